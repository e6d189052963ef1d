"""POST /api/emojify and `manage.py emojify` on pictures composed from a real face photo."""

import io
import os
import subprocess
import sys

import cv2
import numpy as np
import pytest
from django.conf import settings

from avatars.models import SavedAvatar
from avatars.presets import preset
from testkit import images
from testkit.images import PLACEMENTS, group_photo

URL = "/api/emojify"


def post(client, picture: np.ndarray, **fields):
    upload = io.BytesIO(images.encode(picture, ".png"))
    upload.name = "photo.png"
    return client.post(URL, {"image": upload, **fields})


def decode(response) -> np.ndarray:
    return cv2.imdecode(np.frombuffer(response.content, np.uint8), cv2.IMREAD_COLOR)


@pytest.mark.django_db
def test_three_faces_get_three_overlays_in_the_right_places(client):
    photo = group_photo()
    response = post(client, photo)
    assert response.status_code == 200 and response["Content-Type"] == "image/png"
    assert response["X-Faces"] == "3"
    assert response["X-Emotions"].split(",") == ["happy"] * 3
    result = decode(response)
    assert result.shape == photo.shape
    changed = np.any(result != photo, axis=2)
    for (left, top), side in PLACEMENTS:
        face = changed[top + side // 4 : top + 3 * side // 4, left + side // 4 : left + 3 * side // 4]
        assert face.mean() > 0.8  # the face under the box is covered
    # Far from every face the photo is untouched.
    untouched = np.ones_like(changed)
    for (left, top), side in PLACEMENTS:
        pad = side // 2
        untouched[max(top - pad, 0) : top + side + pad, max(left - pad, 0) : left + side + pad] = False
    assert not changed[untouched].any()


@pytest.mark.django_db
def test_the_page_picks_your_newest_avatar_first(client, owner):
    """Emojify a photo puts *your* avatar over the faces: with saved avatars, the newest is chosen, not the default."""
    SavedAvatar.objects.create(owner=owner, name="Older", gender="female", **preset("female"))
    newest = SavedAvatar.objects.create(owner=owner, name="Newest", gender="male", **preset("male"))
    page = client.get("/emojify/").content.decode()
    assert f'<option value="{newest.pk}" selected>Newest</option>' in page
    assert page.count(" selected>") == 1


@pytest.mark.django_db
def test_saved_avatar_and_jpeg_output(client, owner):
    avatar = SavedAvatar.objects.create(owner=owner, name="E", gender="female", **preset("female"))
    default = decode(post(client, group_photo()))
    response = post(client, group_photo(), avatar=avatar.pk, format="jpeg")
    assert response["Content-Type"] == "image/jpeg" and response["X-Faces"] == "3"
    assert decode(response).shape == (720, 1280, 3)
    assert np.abs(decode(response).astype(int) - default.astype(int)).mean() > 1  # another avatar drawn


@pytest.mark.django_db
def test_no_face_comes_back_unchanged(client):
    picture = images.noise(320, 240)
    response = post(client, picture)
    assert response.status_code == 200 and response["X-Faces"] == "0" and response["X-Emotions"] == ""
    np.testing.assert_array_equal(decode(response), picture)


@pytest.mark.django_db
def test_too_small_faces_are_left_alone_and_reported(client):
    """In a small photo a face can be found and still be too small to read (under 40 px): it is counted, not covered.
    (Faces are looked for down to 5% of the shorter side, so in a bigger photo every face found is readable.)"""
    photo = np.full((480, 640, 3), (120, 160, 90), np.uint8)
    photo[100:340, 60:300] = images.astronaut_face_crop()
    photo[20:92, 500:572] = cv2.resize(images.astronaut_face_crop(), (72, 72), interpolation=cv2.INTER_AREA)  # ~33 px
    response = post(client, photo)
    assert response["X-Faces"] == "1" and response["X-Faces-Too-Small"] == "1"
    np.testing.assert_array_equal(decode(response)[10:102, 490:582], photo[10:102, 490:582])


@pytest.mark.django_db
@pytest.mark.parametrize("side", [512, 768, 1024])
@pytest.mark.parametrize("extension", [".png", ".jpg"])
def test_a_photo_of_one_person_has_one_face_as_generate_from_photo_finds(client, side, extension):
    """skimage's astronaut as a person uploads her: one face, where /api/emoji ("Generate from photo") finds it.
    Searched at the resolution small faces need, her shoulder was a second face from 640 px up (issue 34)."""
    photo = cv2.resize(images.astronaut_bgr(), (side, side), interpolation=cv2.INTER_CUBIC)
    upload = io.BytesIO(images.encode(photo, extension))
    response = client.post(URL, {"image": upload})
    assert response["X-Faces"] == "1" and response["X-Faces-Too-Small"] == "0"
    changed = np.argwhere(np.any(decode(response).astype(int) - photo.astype(int) > 40, axis=2))
    emoji = client.post("/api/emotion", {"image": io.BytesIO(images.encode(photo, extension))}).json()
    x, y, w, h = emoji["faces"][emoji["primary"]]["box"]
    assert len(emoji["faces"]) == 1
    (top, left), (bottom, right) = changed.min(axis=0), changed.max(axis=0)
    assert left < x + w / 2 < right and top < y + h / 2 < bottom  # the avatar is over the face the page reads


@pytest.mark.django_db
@pytest.mark.parametrize("fields, status", [({"avatar": "999"}, 404), ({"format": "gif"}, 400), ({"top": "NOPE"}, 400)])
def test_bad_fields_are_4xx_json(client, fields, status):
    response = post(client, images.noise(64, 64), **fields)
    assert response.status_code == status and "error" in response.json()


def test_command_processes_a_folder_and_fails_on_the_corrupt_file(tmp_path):
    source = tmp_path / "in"
    source.mkdir()
    cv2.imwrite(str(source / "group.jpg"), group_photo())
    cv2.imwrite(str(source / "single.png"), images.webcam_frame())
    (source / "broken.jpg").write_bytes(b"\xff\xd8\xff\xe0 definitely not a whole jpeg")
    out = tmp_path / "out"
    run = subprocess.run(
        [sys.executable, "manage.py", "emojify", str(source), "--out", str(out)],
        cwd=settings.BASE_DIR,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert run.returncode == 1
    assert "broken.jpg" in run.stderr
    assert run.stdout.strip().splitlines()[-1] == "files=2 failed=1 faces=4 emotions: happy 4"
    assert sorted(path.name for path in out.iterdir()) == ["group-emojified.png", "single-emojified.png"]
    assert cv2.imread(str(out / "group-emojified.png")).shape == (720, 1280, 3)


# One 40-megapixel JPEG with a big face, in a fresh process once the site is warm: the request's peak memory on
# top of what the process already held (Linux's VmHWM, reset first), and the answer's size.
BIG_JPEG_PROBE = """
import io, json, os, re, sys
import django
django.setup()
from django.test import Client
from testkit.images import big_picture

def kilobytes(key):
    return int(re.search(key + r":\\s+(\\d+)", open("/proc/self/status").read()).group(1))

def jpeg(picture):
    buffer = io.BytesIO()
    picture.save(buffer, "JPEG", quality=90)
    return buffer.getvalue()

client = Client(HTTP_HOST="127.0.0.1")
data = jpeg(big_picture())
assert client.post("/api/emojify", {"image": io.BytesIO(jpeg(big_picture(640, 400)))}).status_code == 200
with open("/proc/self/clear_refs", "w") as reset:
    reset.write("5")  # the peak (VmHWM) starts again from now
before = kilobytes("VmRSS")
response = client.post("/api/emojify", {"image": io.BytesIO(data), "format": "png"})
print(json.dumps({"status": response.status_code, "faces": response.get("X-Faces"),
                  "grew_mb": (kilobytes("VmHWM") - before) / 1024, "png": response.content.hex()}))
"""


def test_a_40_megapixel_jpeg_is_emojified_within_150_mb_and_answered_at_most_1920x1080():
    """It is decoded shrunk (a quarter of each side here, JPEG's DCT scaling) and answered at most 1920×1080:
    before, this one request grew the worker by 640 MB (2.5 GB with a bigger face, issue 35)."""
    import json

    env = {key: value for key, value in os.environ.items() if not key.startswith(("DJANGO_", "DATABASE_"))}
    run = subprocess.run(
        [sys.executable, "-c", BIG_JPEG_PROBE],
        cwd=settings.BASE_DIR,
        capture_output=True,
        text=True,
        timeout=600,
        env=env | {"DJANGO_SETTINGS_MODULE": "emojify_site.settings"},
    )
    assert run.returncode == 0, run.stderr[-2000:]
    result = json.loads(run.stdout.strip().splitlines()[-1])
    assert result["status"] == 200 and result["faces"] == "1"
    answer = cv2.imdecode(np.frombuffer(bytes.fromhex(result["png"]), np.uint8), cv2.IMREAD_COLOR)
    height, width = answer.shape[:2]
    assert height * width <= 1920 * 1080 and abs(width / height - 7999 / 5000) < 0.01
    assert result["grew_mb"] < 150, result["grew_mb"]


@pytest.mark.django_db
def test_a_png_bigger_than_a_phone_screenshot_is_refused_before_decoding(client):
    """As /api/emotion: PNG cannot be decoded shrunk, so one over 1440×3200's pixels is a 413."""
    response = post(client, np.zeros((2000, 2600, 3), np.uint8))
    assert response.status_code == 413 and "2600×2000 is too large" in response.json()["error"]


@pytest.mark.django_db
def test_close_neighbours_each_keep_their_avatar_in_their_own_third(client):
    """Three heads of 380 px side by side in a 1200×450 photo: each avatar is sized to its face and stays in its
    own third, so no neighbour's covers another's; X-Face-Boxes says where each face is (X-Emotions' order)."""
    photo = images.close_up_group()
    response = post(client, photo)
    assert response["X-Faces"] == "3"
    boxes = [tuple(map(int, box.split(","))) for box in response["X-Face-Boxes"].split(";")]
    assert sorted(x + w // 2 for x, _, w, _ in boxes) == pytest.approx([200, 600, 1000], abs=20)
    changed = np.any(decode(response) != photo, axis=2)
    for x, y, w, h in boxes:
        assert changed[y + h // 4 : y + 3 * h // 4, x + w // 4 : x + 3 * w // 4].mean() > 0.8  # the face is covered
    # Each avatar spans no more than its third: nothing changed on the borders between thirds.
    assert not changed[:, 395:405].any() and not changed[:, 795:805].any()


@pytest.mark.django_db
def test_a_tilted_head_gets_an_avatar_turned_as_it_is(client):
    """The avatar over a head leaning 25° is turned 25° with it: the photo emojified tilted is the upright one's
    result turned, near the face."""
    upright_photo = images.webcam_frame()
    tilted_photo = images.tilted(upright_photo, 25)
    covered = lambda photo: np.any(decode(post(client, photo)) != photo, axis=2)
    upright, tilted = covered(upright_photo), covered(tilted_photo)
    overlap = lambda a, b: (a & b).sum() / (a | b).sum()
    turned_with_the_head = images.tilted(upright.astype(np.uint8) * 255, 25) > 127
    # Not 1: the upright avatar's shoulders are cut by the frame's bottom edge, the turned one's less so.
    assert overlap(turned_with_the_head, tilted) > 0.75
    assert overlap(turned_with_the_head, tilted) > overlap(upright, tilted) + 0.15


@pytest.mark.django_db
def test_face_boxes_come_in_the_emotions_order(client):
    """X-Emotions is largest face first; X-Face-Boxes says where each of those faces is, so a page can name them
    left to right: the small neutral face on the left is second in both."""
    response = post(client, images.neutral_and_happy())
    assert response["X-Emotions"] == "happy,neutral"
    (happy_x, *_), (neutral_x, *_) = [tuple(map(int, box.split(","))) for box in response["X-Face-Boxes"].split(";")]
    assert neutral_x < 300 < happy_x
