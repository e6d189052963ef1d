"""Odd and oversized image files on the image endpoints: big photos are read shrunk (boxes still in the
upload's pixels), lossless giants are refused, animations and multi-picture files read their first frame,
and CMYK, 16-bit and palette files read like the plain RGB picture they show."""

import io

import cv2
import numpy as np
import pytest
from PIL import Image

from recognition.images import READING_MAX_PIXELS, decode_for_reading
from testkit import images


def saved(image: Image.Image, format: str, **options) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format, **options)
    return buffer.getvalue()


def post(client, data: bytes, url="/api/emotion", **fields):
    upload = io.BytesIO(data)
    upload.name = "upload"
    return client.post(url, {"image": upload, **fields})


def face_picture() -> Image.Image:
    return Image.fromarray(images.webcam_frame()[:, :, ::-1])


def noise_picture() -> Image.Image:
    return Image.fromarray(images.noise())


def test_a_big_jpeg_is_shrunk_on_decode_and_answered_in_the_uploads_pixels(client):
    data = saved(images.big_picture(), "JPEG", quality=90)
    gray = decode_for_reading(data)
    assert gray.size <= READING_MAX_PIXELS and gray.scale == pytest.approx(8, abs=0.01)  # JPEG's 1/8 DCT scale
    response = post(client, data)
    assert response.status_code == 200
    face = response.json()["faces"][0]
    assert face["emotion"] == "happy"
    x, y, w, h = face["box"]  # the head is pasted at (2999, 1500), 2000 px a side
    assert 2999 < x + w / 2 < 4999 and 1500 < y + h / 2 < 3500
    assert w > 600  # the face (about 40% of the head crop) in the upload's pixels, not the ~110 px decoded


def test_a_small_jpeg_is_decoded_at_full_size():
    assert decode_for_reading(images.encode(images.webcam_frame())).scale == 1.0


@pytest.mark.parametrize("format", ["PNG", "WEBP"])
def test_a_lossless_giant_is_refused_on_the_reading_endpoints(client, format):
    """PNG and WebP cannot be decoded at a reduced size: past a phone screenshot's pixels they are refused,
    not decoded for half a second."""
    options = {"lossless": True} if format == "WEBP" else {}
    data = saved(Image.new("RGB", (7999, 5000), (185, 180, 170)), format, **options)
    for url in ("/api/emotion", "/api/emoji"):
        response = post(client, data, url)
        assert response.status_code == 413 and response["Content-Type"] == "application/json"
        assert "too large to read faces in" in response.json()["error"] and "7999×5000" in response.json()["error"]


def test_a_phone_screenshot_png_is_read_shrunk(client):
    """PNG/WebP are read up to a tall phone's screenshot (1440×3200), shrunk to the reading limit after
    decoding; the face's box is still given in the upload's pixels."""
    canvas = images.big_picture(1440, 3200)
    assert canvas.width * canvas.height > READING_MAX_PIXELS
    (face,) = post(client, saved(canvas, "PNG", compress_level=1)).json()["faces"]
    assert face["emotion"] == "happy"
    x, y, w, h = face["box"]
    assert abs(x + w / 2 - (1440 * 3 // 8 + 640)) < 200 and abs(y + h / 2 - (3200 * 3 // 10 + 640)) < 200


@pytest.mark.parametrize("format", ["PNG", "WEBP"])
def test_animations_are_read_on_their_first_frame(client, format):
    face_first = saved(face_picture(), format, save_all=True, append_images=[noise_picture()])
    noise_first = saved(noise_picture(), format, save_all=True, append_images=[face_picture()])
    assert Image.open(io.BytesIO(face_first)).n_frames == 2
    assert post(client, face_first).json()["faces"][0]["emotion"] == "happy"
    assert post(client, noise_first).json()["faces"] == []


def test_a_phones_multi_picture_jpeg_is_read_as_its_photo(client):
    """Phone cameras write MPO: the photo, then extra pictures (depth maps, HDR gain maps) after it."""
    data = saved(face_picture(), "MPO", save_all=True, append_images=[noise_picture()])
    assert Image.open(io.BytesIO(data)).format == "MPO"
    assert post(client, data).json()["faces"][0]["emotion"] == "happy"


def luma(picture: Image.Image) -> np.ndarray:
    return np.asarray(picture.convert("L")).astype(int)


def odd_files() -> dict[str, bytes]:
    picture = face_picture()
    grey16 = luma(picture).astype(np.uint16) * 257  # 16-bit grey, same picture
    with_alpha = picture.convert("RGBA")
    return {
        "CMYK JPEG": saved(picture.convert("CMYK"), "JPEG", quality=95),
        "16-bit grey PNG": saved(Image.fromarray(grey16), "PNG"),
        "palette PNG": saved(picture.quantize(256), "PNG"),
        "palette PNG with a transparent colour": saved(picture.quantize(255), "PNG", transparency=255),
        "RGBA WebP": saved(with_alpha, "WEBP", lossless=True),
        "grey+alpha PNG": saved(picture.convert("LA"), "PNG"),
    }


@pytest.mark.parametrize("name", list(odd_files()))
def test_odd_colour_modes_read_as_the_picture_they_show(client, name):
    data = odd_files()[name]
    difference = np.abs(decode_for_reading(data).astype(int) - luma(face_picture()))
    assert difference.mean() < 4, name  # colour-conversion and palette rounding only, not white or inverted
    response = post(client, data)
    assert response.status_code == 200 and response.json()["faces"][0]["emotion"] == "happy", name


def test_an_exif_rotated_phone_photo_is_read_upright(client):
    upright = images.webcam_frame()
    exif = Image.Exif()
    exif[0x0112] = 8  # stored turned 90° clockwise: display needs a 90° counter-clockwise turn back
    stored = Image.fromarray(cv2.rotate(upright, cv2.ROTATE_90_CLOCKWISE)[:, :, ::-1])
    response = post(client, saved(stored, "JPEG", quality=90, exif=exif))
    face = response.json()["faces"][0]
    assert face["emotion"] == "happy"
    x, y, w, h = face["box"]
    assert 240 < x + w / 2 < 400 and 160 < y + h / 2 < 320  # upright 640×480 coordinates: the frame's centre
