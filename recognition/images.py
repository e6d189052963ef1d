"""Decode untrusted image bytes (upload or data: URL) into a BGR array, in memory only.

Every way an upload can be wrong raises :class:`ImageInputError` with the HTTP status and a message for
the user; nothing here writes to disk or logs the bytes.
"""
from __future__ import annotations

import base64
import binascii
import io
import re

import cv2
import numpy as np
from django.conf import settings
from PIL import Image, ImageOps, UnidentifiedImageError

MAX_PIXELS = 40_000_000
MAX_SIDE = 8000
ACCEPTED_FORMATS = {"JPEG", "PNG", "WEBP"}
DATA_URL = re.compile(r"^data:(?P<mime>image/[a-z0-9.+-]+)?(?P<params>(;[a-z0-9-]+=[^;,]*)*)(?P<base64>;base64)?,",
                      re.IGNORECASE)


class ImageInputError(ValueError):
    def __init__(self, message: str, status: int = 400):
        super().__init__(message)
        self.status = status


def max_image_bytes() -> int:
    return settings.MAX_IMAGE_BYTES


def check_size(size: int) -> None:
    if size > max_image_bytes():
        raise ImageInputError(f"image is larger than {max_image_bytes() // (1024 * 1024)} MB", status=413)


def bytes_from_data_url(value: str) -> bytes:
    value = value.strip()
    match = DATA_URL.match(value)
    if not match:
        raise ImageInputError("'image' must be an uploaded file or a data: URL (data:image/jpeg;base64,…)")
    if not match["base64"]:
        raise ImageInputError("the data: URL must be base64-encoded (data:image/…;base64,…)")
    payload = value[match.end():]
    check_size(len(payload) * 3 // 4)
    try:
        return base64.b64decode(payload, validate=True)
    except (binascii.Error, ValueError):
        raise ImageInputError("the data: URL holds invalid base64") from None


def decode_image(data: bytes, *, grayscale: bool = False) -> np.ndarray:
    """JPEG/PNG/WebP bytes → BGR uint8 array (EXIF orientation applied, alpha flattened on white).

    With `grayscale`, a 2-D luma array instead: JPEGs are then decoded straight to their luma plane,
    skipping the colour conversion (half the decode time of a webcam frame) — all emotion reading needs.
    """
    if not data:
        raise ImageInputError("the image is empty")
    check_size(len(data))
    try:
        image = Image.open(io.BytesIO(data))
    except UnidentifiedImageError:
        raise ImageInputError("not an image: send a JPEG, PNG or WebP file") from None
    except Image.DecompressionBombError:  # Pillow's own pixel limit, checked on the header
        raise ImageInputError(f"image is too large to decode: at most {MAX_SIDE} px a side and "
                              f"{MAX_PIXELS // 1_000_000} megapixels", status=413) from None
    except (OSError, SyntaxError, ValueError):  # a header cut short or mangled
        raise ImageInputError("the image file is truncated or corrupt") from None
    if image.format not in ACCEPTED_FORMATS:
        raise ImageInputError(f"unsupported image format {image.format}: send a JPEG, PNG or WebP file")
    width, height = image.size
    # Checked on the header, before decoding: a tiny file can claim gigapixels (decompression bomb).
    if width > MAX_SIDE or height > MAX_SIDE or width * height > MAX_PIXELS:
        raise ImageInputError(f"image is {width}×{height}: at most {MAX_SIDE} px a side and "
                              f"{MAX_PIXELS // 1_000_000} megapixels", status=413)
    if grayscale and image.format == "JPEG":
        image.draft("L", image.size)  # full size, luma only
    try:
        image.load()
    except (OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        raise ImageInputError("the image file is truncated or corrupt") from None
    image = ImageOps.exif_transpose(image)
    if image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info):
        background = Image.new("RGB", image.size, (255, 255, 255))
        background.paste(image.convert("RGBA"), mask=image.convert("RGBA").getchannel("A"))
        image = background
    if grayscale:
        return np.asarray(image if image.mode == "L" else image.convert("L"))
    if image.mode != "RGB":
        image = image.convert("RGB")
    return cv2.cvtColor(np.asarray(image), cv2.COLOR_RGB2BGR)
