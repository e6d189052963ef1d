"""What the browser tests (tests/test_browser*.py) share: Debian's Chromium launched headless through Playwright,
with a fake camera playing a .y4m video (testkit.images.write_y4m), the marks every browser test carries, the
phone they emulate, and the steps and page probes several of them take. The Playwright fixture itself is
tests/conftest.py's `playwright_instance`; nothing here imports the site."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import cv2
import numpy as np
import pytest

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
# Screenshots a browser test leaves for a person to look at (ignored by git).
ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"

# Each browser test module's `pytestmark`.
BROWSER_TEST_MARKS = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not os.path.exists(CHROMIUM), reason="Debian's chromium is not installed (make test installs it)"
    ),
]
# Playwright's sync API runs an event loop in this thread; the ORM is only used by the live server's thread.
# Set when a browser test module is collected, as it was when this lived in tests/test_browser.py.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

# The phone the tests emulate: 375×812 CSS px at 3× density, touch.
PHONE = {"viewport": {"width": 375, "height": 812}, "device_scale_factor": 3, "is_mobile": True, "has_touch": True}

# JavaScript expressions for the generate page's calibration state and the expression its label shows.
STATE = "document.getElementById('calibration-state').dataset.state"
LABEL = "document.getElementById('emotion-label').dataset.emotion"

# An init script that hands every CSP violation to a `reportViolation` binding the test exposes on its context.
REPORT_VIOLATIONS = """document.addEventListener("securitypolicyviolation", (event) => window.reportViolation(
  `${event.effectiveDirective} refused ${event.blockedURI || "inline"} (${event.sourceFile}:${event.lineNumber})`));"""

IN_VIEW = """(selector) => { const r = document.querySelector(selector).getBoundingClientRect();
  return r.width > 0 && r.top >= 0 && r.left >= 0 && r.bottom <= innerHeight && r.right <= innerWidth; }"""


def launch(playwright, video: Path | None):
    """Headless Chromium; with `video`, a fake camera playing it, the camera permission granted without asking."""
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
    """What `trigger()` downloads: its suggested file name and its bytes."""
    with page.expect_download() as info:
        trigger()
    path = info.value.path()
    return info.value.suggested_filename, Path(path).read_bytes()


def open_generate_page(playwright_instance, live_server, video: Path):
    """A laptop-sized browser with `video` as its camera, on the generate page of an avatar it has just made;
    returns (browser, page, the page's uncaught errors so far)."""
    browser = launch(playwright_instance, video)
    context = browser.new_context(
        accept_downloads=True, permissions=["camera"], viewport={"width": 1280, "height": 900}
    )
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    create_avatar(page, live_server.url)
    return browser, page, errors


def record(page) -> tuple[str, bytes, dict]:
    """Click Record 3 s; the download and the JSON body the page posted to /api/animation."""
    posted = []
    page.on("request", lambda request: posted.append(request) if request.url.endswith("/api/animation") else None)
    with page.expect_download(timeout=20_000) as info:
        page.get_by_role("button", name="Record 3 s").click()
        ring = page.get_by_role("progressbar", name="Recording")
        ring.wait_for(state="visible")
        assert page.locator("#record-countdown").inner_text() in {"1", "2", "3"}
        assert page.get_by_role("button", name="Record 3 s").is_disabled()
        assert "Recording 3 seconds" in page.locator("#generate-status").inner_text()
    (request,) = posted
    assert request.headers["content-type"] == "application/json"
    return info.value.suggested_filename, open(info.value.path(), "rb").read(), json.loads(request.post_data)


def in_view(page, selector: str) -> bool:
    """Whether the element is shown whole on the first screen, without scrolling."""
    return page.evaluate(IN_VIEW, selector)


def as_live_frame(frame: np.ndarray) -> np.ndarray:
    """What the page sends for a live reading: 320 px wide, JPEG quality 0.8."""
    small = cv2.resize(frame, (320, 240), interpolation=cv2.INTER_AREA)
    return cv2.imdecode(cv2.imencode(".jpg", small, [cv2.IMWRITE_JPEG_QUALITY, 80])[1], cv2.IMREAD_GRAYSCALE)
