"""The generate flow in real headless Chromium (Debian's), with a fake webcam fed by a real face video.

Playwright drives /usr/bin/chromium; the camera is Chromium's file-backed fake device playing a .y4m video
built here from skimage's astronaut photo (a real smiling face) or from a blank wall.
"""

import io
import os
import shutil
from pathlib import Path
from xml.etree import ElementTree

import numpy as np
import pytest
from PIL import Image

from testkit import images
from testkit.images import write_y4m

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not os.path.exists(CHROMIUM), reason="Debian's chromium is not installed (make test installs it)"
    ),
]
# Playwright's sync API runs an event loop in this thread; the ORM is only used by the live server's thread.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


def launch(playwright, video: Path | None):
    arguments = [
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        "--disable-quic",
    ]
    if video is not None:
        arguments += [
            "--use-fake-device-for-media-stream",
            "--use-fake-ui-for-media-stream",
            f"--use-file-for-fake-video-capture={video.resolve()}",
        ]
    return playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=arguments)


def create_avatar(page, base_url: str) -> str:
    """Both form steps, as a person would: gender, then a few attributes; returns the generate page URL."""
    page.goto(base_url + "/avatars/new/")
    page.get_by_label("Male", exact=True).check()
    page.get_by_role("button", name="Next: choose the look").click()
    page.get_by_label("Name").fill("Browser test")
    page.get_by_role("group", name="Hair or hat").get_by_role("radio", name="Short curly").check()
    page.get_by_role("group", name="Facial hair", exact=True).get_by_role("radio", name="Light beard").check()
    page.get_by_role("group", name="Clothing color").get_by_role("radio", name="Red").check()
    page.wait_for_function("() => document.getElementById('avatar-preview').src.includes('SHORT_CURLY')")
    page.get_by_role("button", name="Save and make emojis").click()
    page.wait_for_url("**/generate/*/")
    return page.url


def download(page, trigger) -> tuple[str, bytes]:
    with page.expect_download() as info:
        trigger()
    path = info.value.path()
    return info.value.suggested_filename, Path(path).read_bytes()


def test_live_emotion_generate_download_and_upload(live_server, playwright_instance, tmp_path):
    video = write_y4m(tmp_path / "face.y4m", images.webcam_frame())
    browser = launch(playwright_instance, video)
    context = browser.new_context(
        accept_downloads=True, permissions=["camera"], viewport={"width": 1280, "height": 900}
    )
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    create_avatar(page, live_server.url)
    # Uncalibrated: calibrated to her own smile, the smile would read as her resting face
    # (tests/test_browser_calibration.py).
    page.get_by_role("button", name="Skip calibration").click()

    # Live: the label settles on the astronaut's smile, bars and the avatar preview follow it.
    page.wait_for_function("() => document.getElementById('emotion-label').dataset.emotion === 'happy'", timeout=60_000)
    happy_bar = page.locator('#bars li[data-emotion="happy"] .bar').get_attribute("aria-valuenow")
    assert int(happy_bar) > 40
    assert "emotion=happy" in page.locator("#avatar-live").get_attribute("src")
    assert "Reading your expression" in page.locator("#camera-status").inner_text()

    # Generate PNG (keyboard: focus the button and press Enter).
    page.locator("#size").select_option("256")
    page.locator("#generate-button").focus()
    name, data = download(page, lambda: page.keyboard.press("Enter"))
    assert name == "emoji-happy.png"
    image = Image.open(io.BytesIO(data))
    assert image.format == "PNG" and image.size == (256, 256)
    assert page.locator("#result").is_visible() and page.locator("#result").get_attribute("data-emotion") == "happy"

    # Generate SVG.
    page.locator("#format").select_option("svg")
    name, data = download(page, lambda: page.get_by_role("button", name="Generate emoji").click())
    assert name == "emoji-happy.svg"
    assert "feeling happy" in ElementTree.fromstring(data).findtext("{http://www.w3.org/2000/svg}title")

    # Upload fallback goes through the same path.
    photo = tmp_path / "portrait.jpg"
    photo.write_bytes(images.encode(images.astronaut_bgr()))
    page.locator("#format").select_option("png")
    page.get_by_label("No webcam? Use a photo instead").set_input_files(str(photo))
    name, data = download(page, lambda: page.get_by_role("button", name="Generate from photo").click())
    assert name == "emoji-happy.png" and Image.open(io.BytesIO(data)).size == (256, 256)  # the chosen size

    # Sticker pack.
    name, data = download(page, lambda: page.get_by_role("link", name="Download sticker pack").click())
    assert name == "emoji-stickers.zip" and data[:2] == b"PK"
    assert errors == []
    browser.close()


def test_no_face_and_no_camera_messages(live_server, playwright_instance, tmp_path):
    blank = write_y4m(tmp_path / "wall.y4m", np.full((480, 640, 3), (170, 180, 185), np.uint8))
    browser = launch(playwright_instance, blank)
    context = browser.new_context(accept_downloads=True, permissions=["camera"])
    page = context.new_page()
    create_avatar(page, live_server.url)
    page.get_by_role("button", name="Skip calibration").click()
    page.wait_for_function(
        "() => document.getElementById('camera-status').textContent.includes('No face seen')", timeout=30_000
    )
    # No face, no reading: nothing to generate, and the label says what Generate waits for (issue 50).
    assert page.get_by_role("button", name="Generate emoji").is_disabled()
    assert page.locator("#emotion-label").inner_text() == "Waiting for a first reading of your face…"
    # An upload without a face gets a clear message, and nothing downloads.
    wall = tmp_path / "wall.png"
    wall.write_bytes(images.encode(np.full((240, 320, 3), 200, np.uint8), ".png"))
    page.get_by_label("No webcam? Use a photo instead").set_input_files(str(wall))
    page.get_by_role("button", name="Generate from photo").click()
    page.wait_for_function(
        "() => document.getElementById('generate-status').textContent.includes('No face found in this photo')"
    )
    browser.close()

    # No camera at all (no fake device, nothing granted): the page says so and offers the upload.
    browser = launch(playwright_instance, None)
    page = browser.new_page()
    create_avatar(page, live_server.url)  # a new browser sees no one else's avatars
    page.wait_for_function(
        "() => document.getElementById('camera-status').textContent.includes('photo below')", timeout=30_000
    )
    assert page.get_by_label("No webcam? Use a photo instead").is_visible()
    browser.close()
