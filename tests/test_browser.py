"""The generate flow in real headless Chromium (Debian's), with a fake webcam fed by a real face video.

Playwright drives /usr/bin/chromium; the camera is Chromium's file-backed fake device playing a .y4m video
built here from skimage's astronaut photo (a real smiling face) or from a blank wall.
"""

import io
from xml.etree import ElementTree

import numpy as np
from PIL import Image

from testkit import images
from testkit.browser import BROWSER_TEST_MARKS, create_avatar, download, launch, open_generate_page
from testkit.images import write_y4m

pytestmark = BROWSER_TEST_MARKS


def test_live_emotion_generate_download_and_upload(live_server, playwright_instance, tmp_path):
    video = write_y4m(tmp_path / "face.y4m", images.webcam_frame())
    browser, page, errors = open_generate_page(playwright_instance, live_server, video)
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
