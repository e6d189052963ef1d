"""Decode untrusted image bytes (upload or data: URL) into a BGR array, in memory only.

Every way an upload can be wrong raises :class:`ImageInputError` with the HTTP status and a message for
the user; nothing here writes to disk or logs the bytes.
"""

from __future__ import annotations

import base64
import binascii
import io
import math
import re

import cv2
import numpy as np
from django.conf import settings
from PIL import Image, ImageOps, UnidentifiedImageError

MAX_PIXELS = 40_000_000
MAX_SIDE = 8000
# MPO: a phone camera's JPEG carrying extra pictures (depth, HDR gain map) after the photo itself.
ACCEPTED_FORMATS = {"JPEG", "MPO", "PNG", "WEBP"}
DRAFTABLE_FORMATS = {"JPEG", "MPO"}  # can be decoded at 1/2, 1/4 or 1/8 size
# Reading faces needs no more (1920×1080): the detector looks for faces of at least a tenth of the shorter side
# and shrinks the image until such a face fills its 24-px window, and the model reads 48×48 crops, so even a
# JPEG read at 1/8 scale keeps every readable face above 48 px. PNG and WebP have no reduced-size decode, so their
# cost grows with every pixel (bench/big_images_speed.py; its figures: docs/deploy.md).
READING_MAX_PIXELS = 1920 * 1080
# ...so PNG and WebP are read up to a tall phone's screenshot (1440×3200), then shrunk to READING_MAX_PIXELS;
# bigger ones are refused.
UNDRAFTABLE_MAX_PIXELS = 1440 * 3200
# /api/emojify answers the picture with its faces covered, so it decodes the picture no bigger than it answers:
# at most 1920×1080 pixels (a 40-megapixel photo would cost 2.5 GB and 6 s of a core, issue 35), a bigger JPEG
# shrunk while it is decoded, as for reading faces, and a PNG/WebP over UNDRAFTABLE_MAX_PIXELS refused.
EMOJIFY_MAX_PIXELS = 1920 * 1080
WIDE_MODES = {"I", "I;16", "I;16B", "I;16L", "I;16N"}  # 16-bit grey PNGs decode to these
DATA_URL = re.compile(
    r"^data:(?P<mime>image/[a-z0-9.+-]+)?(?P<params>(;[a-z0-9-]+=[^;,]*)*)(?P<base64>;base64)?,", re.IGNORECASE
)


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
    payload = value[match.end() :]
    check_size(len(payload) * 3 // 4)
    try:
        return base64.b64decode(payload, validate=True)
    except (binascii.Error, ValueError):
        raise ImageInputError("the data: URL holds invalid base64") from None


def decode_image(data: bytes) -> np.ndarray:
    """JPEG/PNG/WebP bytes → BGR uint8 array, full size (EXIF orientation applied, alpha flattened on white)."""
    return to_array(load(open_image(data)), grayscale=False)


def decode_for_emojify(data: bytes) -> np.ndarray:
    """Image bytes → BGR uint8 array of at most EMOJIFY_MAX_PIXELS (what /api/emojify answers), decoding no more
    than that where the format allows (see decode_for_reading); too-large PNG/WebP are refused (413)."""
    image = open_image(data)
    refuse_undraftable(image)
    draft(image, "RGB", EMOJIFY_MAX_PIXELS)
    return shrink_to(to_array(load(image), grayscale=False), EMOJIFY_MAX_PIXELS)


def refuse_undraftable(image: Image.Image, purpose: str = "") -> None:
    """PNG and WebP are decoded whole: refuse those bigger than UNDRAFTABLE_MAX_PIXELS (413)."""
    width, height = image.size
    if image.format not in DRAFTABLE_FORMATS and width * height > UNDRAFTABLE_MAX_PIXELS:
        raise ImageInputError(
            f"a {image.format} image of {width}×{height} is too large{' ' * bool(purpose)}"
            f"{purpose}: at most "
            f"{UNDRAFTABLE_MAX_PIXELS / 1_000_000:.1f} megapixels (a JPEG may have up to "
            f"{MAX_PIXELS // 1_000_000})",
            status=413,
        )


def draft(image: Image.Image, mode: str, max_pixels: int, rounding=math.floor) -> None:
    """A JPEG is decoded in `mode`, scaled by the power of two (at most 8, all JPEG offers) nearest above
    `max_pixels` (`rounding` math.floor), or under it (math.ceil); other formats are left as they are."""
    if image.format not in DRAFTABLE_FORMATS:
        return
    width, height = image.size
    shrink = math.sqrt(width * height / max_pixels)
    factor = 2 ** min(3, max(0, rounding(math.log2(shrink)))) if shrink > 1 else 1
    image.draft(mode, (max(1, width // factor), max(1, height // factor)))


def shrink_to(pixels: np.ndarray, max_pixels: int) -> np.ndarray:
    """Shrunk (area-averaged) to at most `max_pixels`, keeping its shape."""
    height, width = pixels.shape[:2]
    if height * width <= max_pixels:
        return pixels
    factor = math.sqrt(height * width / max_pixels)
    return cv2.resize(pixels, (max(1, int(width / factor)), max(1, int(height / factor))), interpolation=cv2.INTER_AREA)


def decode_for_reading(data: bytes) -> np.ndarray:
    """Image bytes → 2-D luma array of at most READING_MAX_PIXELS, for reading faces (all emotion reading needs).

    JPEGs are decoded straight to their luma plane, skipping the colour conversion (half the decode time of a webcam
    frame), and big ones are shrunk while they are decoded (draft mode: the DCT is scaled by 1/2, 1/4 or 1/8, so a
    40-megapixel photo costs what a 2.5-megapixel one does); PNG and WebP cannot be decoded at a reduced size, so they
    are read up to UNDRAFTABLE_MAX_PIXELS (a phone screenshot) and shrunk after decoding; bigger ones are refused (413)
    rather than costing half a second of a core each. The answer is a :class:`ShrunkImage` whose `scale` maps its pixels
    back to the upload's, so boxes are given in the upload's coordinates.
    """
    image = open_image(data)
    width, height = image.size
    refuse_undraftable(image, "to read faces in")
    draft(image, "L", READING_MAX_PIXELS, rounding=math.ceil)  # luma only, and no bigger than the limit
    # A PNG/WebP, or a JPEG whose draft could not shrink it enough (CMYK), is shrunk after decoding.
    gray = shrink_to(to_array(load(image), grayscale=True), READING_MAX_PIXELS)
    scale = max(width, height) / max(gray.shape)  # EXIF may have turned it: compare the longer sides
    return ShrunkImage.of(gray, scale)


class ShrunkImage(np.ndarray):
    """A decoded image with `scale`: how many of the upload's pixels one of its pixels spans (≥ 1).

    A NumPy subclass, so every function taking an image array takes it unchanged; read_faces uses the scale
    to answer boxes (and judge face sizes) in the upload's pixels.
    """

    scale: float = 1.0

    @classmethod
    def of(cls, pixels: np.ndarray, scale: float) -> ShrunkImage:
        shrunk = pixels.view(cls)
        shrunk.scale = scale
        return shrunk

    def __array_finalize__(self, source):
        self.scale = getattr(source, "scale", 1.0)


def open_image(data: bytes) -> Image.Image:
    """Open (header only) and check everything that can be checked before decoding."""
    if not data:
        raise ImageInputError("the image is empty")
    check_size(len(data))
    try:
        image = Image.open(io.BytesIO(data))
    except UnidentifiedImageError:
        raise ImageInputError("not an image: send a JPEG, PNG or WebP file") from None
    except Image.DecompressionBombError:  # Pillow's own pixel limit, checked on the header
        raise ImageInputError(
            f"image is too large to decode: at most {MAX_SIDE} px a side and {MAX_PIXELS // 1_000_000} megapixels",
            status=413,
        ) from None
    except (OSError, SyntaxError, ValueError):  # a header cut short or mangled
        raise ImageInputError("the image file is truncated or corrupt") from None
    if image.format not in ACCEPTED_FORMATS:
        raise ImageInputError(f"unsupported image format {image.format}: send a JPEG, PNG or WebP file")
    width, height = image.size
    # Checked on the header, before decoding: a tiny file can claim gigapixels (decompression bomb).
    if width > MAX_SIDE or height > MAX_SIDE or width * height > MAX_PIXELS:
        raise ImageInputError(
            f"image is {width}×{height}: at most {MAX_SIDE} px a side and {MAX_PIXELS // 1_000_000} megapixels",
            status=413,
        )
    return image


def load(image: Image.Image) -> Image.Image:
    """Decode the first frame (an animated PNG or WebP, a phone's multi-picture JPEG: what viewers show
    first; the other frames are never decoded), turned upright by its EXIF orientation."""
    try:
        image.load()
    except (OSError, SyntaxError, ValueError, EOFError, Image.DecompressionBombError):
        raise ImageInputError("the image file is truncated or corrupt") from None
    return ImageOps.exif_transpose(image)


def to_array(image: Image.Image, *, grayscale: bool) -> np.ndarray:
    """A decoded image of any mode → BGR (or luma) uint8: alpha flattened on white, 16-bit scaled to 8-bit."""
    if image.mode in WIDE_MODES:
        # Pillow's convert() clips 16-bit values at 255 (a 16-bit grey PNG would turn white): scale instead.
        image = Image.fromarray((np.asarray(image).astype(np.uint32) >> 8).astype(np.uint8), "L")
    if image.mode in ("RGBA", "LA", "PA", "La", "RGBa") or (image.mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        background = Image.new("RGB", image.size, (255, 255, 255))
        background.paste(rgba, mask=rgba.getchannel("A"))
        image = background
    if grayscale:
        return np.asarray(image if image.mode == "L" else image.convert("L"))
    if image.mode != "RGB":
        image = image.convert("RGB")  # CMYK (Adobe's inverted kind included), palette, bilevel, luma
    return cv2.cvtColor(np.asarray(image), cv2.COLOR_RGB2BGR)
