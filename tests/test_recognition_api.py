"""POST /api/emotion through Django's real request stack, with real photos and the shipped model."""

import base64
import io
import json
import os
import zlib

import cv2
import numpy as np
import pytest
from django.conf import settings
from PIL import Image

from ml.labels import EMOTIONS
from testkit import images

URL = "/api/emotion"


def post_image(client, data: bytes, name="frame.jpg"):
    upload = io.BytesIO(data)
    upload.name = name
    return client.post(URL, {"image": upload})


def test_real_smiling_face_is_one_happy_face(client):
    response = post_image(client, images.encode(images.astronaut_bgr()))
    assert response.status_code == 200
    body = response.json()
    assert len(body["faces"]) == 1 and body["primary"] == 0
    face = body["faces"][0]
    assert face["emotion"] == "happy"
    assert list(face["probabilities"]) == list(EMOTIONS)
    assert sum(face["probabilities"].values()) == pytest.approx(1.0, abs=1e-3)
    assert face["confidence"] == max(face["probabilities"].values())
    x, y, w, h = face["box"]
    assert 150 < x + w / 2 < 300 and 50 < y + h / 2 < 200  # the astronaut's face, not the flag


def test_webcam_frame_png_and_data_url_forms(client):
    frame = images.webcam_frame()
    png = images.encode(frame, ".png")
    assert post_image(client, png, "frame.png").json()["faces"][0]["emotion"] == "happy"
    data_url = "data:image/jpeg;base64," + base64.b64encode(images.encode(frame)).decode()
    as_form = client.post(URL, {"image": data_url})
    as_json = client.post(URL, json.dumps({"image": data_url}), content_type="application/json")
    for response in (as_form, as_json):
        assert response.status_code == 200 and response.json()["faces"][0]["emotion"] == "happy"


def test_webp_upload(client):
    buffer = io.BytesIO()
    Image.fromarray(images.webcam_frame()[:, :, ::-1]).save(buffer, "WEBP", quality=90)
    assert post_image(client, buffer.getvalue(), "frame.webp").json()["primary"] == 0


def test_grayscale_decoding_matches_the_colour_decode():
    """/api/emotion decodes JPEGs straight to luma; it must see what the colour path would have seen."""
    from recognition.images import decode_for_reading, decode_image

    frame = images.webcam_frame()
    rotated = io.BytesIO()
    exif = Image.Exif()
    exif[0x0112] = 6  # orientation: rotate 90° clockwise for display
    Image.fromarray(frame[:, :, ::-1]).save(rotated, "JPEG", quality=90, exif=exif)
    transparent = np.dstack([frame, np.full(frame.shape[:2], 255, np.uint8)])
    transparent[:, :100, 3] = 0  # flattened on white, like the colour path
    for data in (images.encode(frame), rotated.getvalue(), images.encode(transparent, ".png")):
        colour, gray = decode_image(data), decode_for_reading(data)
        assert gray.ndim == 2 and gray.shape == colour.shape[:2]
        difference = np.abs(gray.astype(int) - cv2.cvtColor(colour, cv2.COLOR_BGR2GRAY))
        assert difference.mean() < 0.5 and difference.max() <= 8  # JPEG chroma rounding at colour edges
    assert decode_for_reading(rotated.getvalue()).shape == (640, 480)  # EXIF applied


def test_same_face_twice_gives_two_faces_largest_first(client):
    body = post_image(client, images.encode(images.side_by_side())).json()
    assert len(body["faces"]) == 2
    areas = [face["box"][2] * face["box"][3] for face in body["faces"]]
    assert areas == sorted(areas, reverse=True)
    assert {face["emotion"] for face in body["faces"]} == {"happy"}
    centres = sorted(face["box"][0] + face["box"][2] / 2 for face in body["faces"])
    assert centres[0] < 240 < 320 < centres[1]


@pytest.mark.parametrize("picture", [images.noise(), np.full((480, 640, 3), 128, np.uint8)])
def test_no_face_is_an_empty_200(client, picture):
    response = post_image(client, images.encode(picture))
    assert response.status_code == 200
    assert response.json() == {"faces": [], "primary": None, "calibrated": False}


def bomb_png() -> bytes:
    # 10000×10000 black PNG: tiny file, 100 megapixels once decoded.
    buffer = io.BytesIO()
    Image.new("L", (10000, 10000)).save(buffer, "PNG")
    return buffer.getvalue()


def huge_header_png() -> bytes:
    """A PNG whose header claims 20000×20000 (Pillow's own bomb limit refuses it on open), cut after the header."""
    buffer = io.BytesIO()
    Image.new("L", (64, 64)).save(buffer, "PNG")
    data = bytearray(buffer.getvalue())
    data[16:24] = (20000).to_bytes(4, "big") * 2  # IHDR width and height
    data[29:33] = zlib.crc32(bytes(data[12:29])).to_bytes(4, "big")  # the header's checksum, made valid
    return bytes(data[:65])


def wide_png() -> bytes:
    buffer = io.BytesIO()
    Image.new("L", (9000, 10)).save(buffer, "PNG")
    return buffer.getvalue()


@pytest.mark.parametrize(
    "make_request, status, message",
    [
        (lambda c: c.post(URL, {}), 400, "no image"),
        (lambda c: c.post(URL, b"", content_type="application/octet-stream"), 400, "empty request body"),
        (lambda c: post_image(c, b"this is not an image"), 400, "not an image"),
        (lambda c: post_image(c, b""), 400, "empty"),
        (lambda c: post_image(c, images.encode(images.astronaut_bgr())[:5000]), 400, "truncated or corrupt"),
        (
            lambda c: post_image(c, images.encode(images.astronaut_bgr(), ".png")[:20000], "x.png"),
            400,
            "truncated or corrupt",
        ),
        (lambda c: post_image(c, images.encode(images.astronaut_bgr())[:10]), 400, "truncated or corrupt"),
        (lambda c: post_image(c, images.encode(images.astronaut_bgr())[:300]), 400, "truncated or corrupt"),
        (lambda c: post_image(c, huge_header_png(), "claims.png"), 413, "too large"),
        (lambda c: post_image(c, bomb_png(), "bomb.png"), 413, "10000×10000"),
        (lambda c: post_image(c, wide_png(), "wide.png"), 413, "9000×10"),
        (lambda c: post_image(c, b"\xff\xd8" + os.urandom(settings.MAX_IMAGE_BYTES)), 413, "larger than 8 MB"),
        (lambda c: c.post(URL, {"image": "data:image/png;base64,!!!notbase64"}), 400, "invalid base64"),
        (lambda c: c.post(URL, {"image": "data:text/plain,hello"}), 400, "base64"),
        (lambda c: c.post(URL, {"image": "http://example.com/face.jpg"}), 400, "data: URL"),
        (lambda c: c.post(URL, "{not json", content_type="application/json"), 400, "not valid JSON"),
        (lambda c: c.post(URL, "[1, 2]", content_type="application/json"), 400, "must be an object"),
        (lambda c: c.get(URL), 405, "use POST"),
        (lambda c: c.put(URL, b"x"), 405, "use POST"),
        (lambda c: c.post(URL, b"--broken", content_type="multipart/form-data; boundary=zzz"), 400, ""),
    ],
)
def test_bad_input_gets_a_4xx_json_error(client, make_request, status, message):
    response = make_request(client)
    assert response.status_code == status
    assert response["Content-Type"] == "application/json"
    assert message in response.json()["error"]


@pytest.mark.parametrize(
    "make_request, status",
    [
        (lambda c: c.get("/api/no-such-endpoint"), 404),
        (
            lambda c: c.post(
                "/api/emotion",
                b"a=" + b"x" * (settings.MAX_REQUEST_BYTES + 10),
                content_type="application/x-www-form-urlencoded",
            ),
            413,
        ),
    ],
)
def test_json_errors_the_middleware_rewrites_keep_the_security_headers(client, make_request, status):
    """Django's own refusals, answered as JSON by JsonApiErrorsMiddleware, keep what SecurityMiddleware and
    XFrameOptionsMiddleware put on them (they used to leave without nosniff or X-Frame-Options)."""
    response = make_request(client)
    assert response.status_code == status and response["Content-Type"] == "application/json"
    assert response["X-Content-Type-Options"] == "nosniff" and response["X-Frame-Options"] == "DENY"


def test_oversized_request_is_refused_before_reading(client):
    response = client.post(
        URL,
        b"x" * 10,
        content_type="multipart/form-data; boundary=zzz",
        CONTENT_LENGTH=str(settings.MAX_REQUEST_BYTES + 1),
    )
    assert response.status_code == 413


def test_csrf_is_enforced_and_token_endpoint_works(client_csrf):
    data = images.encode(images.webcam_frame())
    refused = post_image(client_csrf, data)
    assert refused.status_code == 403 and "CSRF" in refused.json()["error"]
    token = client_csrf.get("/api/csrf").json()["csrfToken"]
    upload = io.BytesIO(data)
    upload.name = "frame.jpg"
    accepted = client_csrf.post(URL, {"image": upload}, HTTP_X_CSRFTOKEN=token)
    assert accepted.status_code == 200


def test_no_file_is_written_while_a_frame_is_processed(client, tmp_path, monkeypatch):
    """Frames stay in memory: nothing is opened for writing anywhere during a request."""
    import builtins
    import tempfile

    opened_for_writing = []
    real_open = builtins.open

    def watching_open(file, mode="r", *args, **kwargs):
        if any(flag in mode for flag in "wax+"):
            opened_for_writing.append(str(file))
        return real_open(file, mode, *args, **kwargs)

    monkeypatch.setattr(builtins, "open", watching_open)
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    before = {path: os.stat(path).st_mtime_ns for path in _project_files()}
    # Uncompressed PNG over 2.5 MB: Django's default upload handlers would spill it to a temporary file.
    ok, encoded = cv2.imencode(".png", images.webcam_frame(1280, 960), [cv2.IMWRITE_PNG_COMPRESSION, 0])
    big_frame = encoded.tobytes()
    assert len(big_frame) > 2_621_440
    response = post_image(client, big_frame, "frame.png")
    assert response.status_code == 200
    assert opened_for_writing == []
    assert list(tmp_path.iterdir()) == []
    after = {path: os.stat(path).st_mtime_ns for path in _project_files()}
    assert after == before


def _project_files():
    found = []
    for folder, dirs, files in os.walk(settings.BASE_DIR):
        dirs[:] = [name for name in dirs if name not in {".venv", ".git", "__pycache__", ".pytest_cache"}]
        found += [os.path.join(folder, name) for name in files]
    return found


def test_concurrent_requests_from_many_threads():
    """The shared model and the per-thread detectors and face meshes serve threaded servers (runserver, gunicorn
    --threads)."""
    from concurrent.futures import ThreadPoolExecutor

    from django.test import Client

    frames = [images.encode(images.webcam_frame()), images.encode(images.side_by_side())]

    def one(index):
        return post_image(Client(), frames[index % 2]).json()

    with ThreadPoolExecutor(max_workers=6) as pool:
        results = list(pool.map(one, range(12)))
    assert [len(result["faces"]) for result in results] == [1, 2] * 6
    assert all(face["emotion"] == "happy" for result in results for face in result["faces"])


@pytest.mark.parametrize(
    "make_request, status, message",
    [
        (lambda c: c.post("/api/csrf"), 405, "method POST not allowed: use GET"),
        (lambda c: c.get("/api/no-such-endpoint"), 404, "no such API endpoint"),
        # Django itself refuses these while the CSRF check reads the form, before any of our views runs.
        (
            lambda c: c.post(
                URL,
                "a=" + "x" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 10),
                content_type="application/x-www-form-urlencoded",
            ),
            413,
            "larger than 8 MB",
        ),
        (lambda c: c.post(URL, b"--zzz\r\n", content_type="multipart/form-data"), 400, "malformed request"),
    ],
)
def test_every_api_error_is_json_whatever_raised_it(client_csrf, make_request, status, message):
    client_csrf.get("/api/csrf")
    client_csrf.defaults["HTTP_X_CSRFTOKEN"] = client_csrf.cookies["csrftoken"].value
    response = make_request(client_csrf)
    assert response.status_code == status
    assert response["Content-Type"] == "application/json"
    assert message in response.json()["error"]


@pytest.mark.django_db
def test_pages_keep_friendly_html_error_pages(client, settings):
    settings.DEBUG = False
    response = client.get("/generate/999999/")
    assert response.status_code == 404 and response["Content-Type"].startswith("text/html")
    assert "Nothing here" in response.content.decode() and "Traceback" not in response.content.decode()
