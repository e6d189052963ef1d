"""Regenerate the screenshots in docs/ of the avatar form and the phone layout.

    python docs/screenshots.py

Serves the site on a throwaway database (bench/common.py), designs an avatar in headless Chromium with a fake
webcam playing skimage's astronaut photo, and writes docs/avatar-form.png (desktop), docs/phone-form.png and
docs/phone-generate.png (375×812). docs/generate-page.png, the generate page's first screen at 1280×720, comes
from tests/test_browser_booth.py (test-artifacts/generate-page.png).
"""

import sys
import tempfile
from pathlib import Path

DOCS = Path(__file__).resolve().parent
sys.path.insert(0, str(DOCS.parent / "bench"))
from common import chromium, running_site  # noqa: E402

PHONE = {"viewport": {"width": 375, "height": 812}, "device_scale_factor": 2, "is_mobile": True, "has_touch": True}


def main():
    from playwright.sync_api import sync_playwright

    from testkit import images
    from testkit.images import write_y4m

    with tempfile.TemporaryDirectory() as directory, running_site() as base, sync_playwright() as playwright:
        video = write_y4m(Path(directory) / "face.y4m", images.webcam_frame())
        browser = chromium(
            playwright,
            "--use-fake-device-for-media-stream",
            "--use-fake-ui-for-media-stream",
            f"--use-file-for-fake-video-capture={video}",
        )
        page = browser.new_page(viewport={"width": 1280, "height": 1000})
        page.goto(base + "/avatars/new/?gender=female")
        page.get_by_role("group", name="Hair or hat").get_by_role("radio", name="Bun").check()
        page.get_by_role("group", name="Glasses and accessories").get_by_role("radio", name="Round").check()
        page.get_by_role("group", name="Clothing", exact=True).get_by_role("radio", name="Hoodie").check()
        page.wait_for_function("() => document.getElementById('avatar-preview').src.includes('HOODIE')")
        page.evaluate("scrollTo(0, 120)")
        page.wait_for_load_state("networkidle")
        page.screenshot(path=str(DOCS / "avatar-form.png"))
        browser.close()

        browser = chromium(
            playwright,
            "--use-fake-device-for-media-stream",
            "--use-fake-ui-for-media-stream",
            f"--use-file-for-fake-video-capture={video}",
        )
        page = browser.new_context(permissions=["camera"], **PHONE).new_page()
        page.goto(base + "/avatars/new/?gender=male")
        page.get_by_role("group", name="Hair or hat").get_by_role("radio", name="Short curly").check()
        page.evaluate("scrollTo(0, 700)")
        page.wait_for_load_state("networkidle")
        page.screenshot(path=str(DOCS / "phone-form.png"))
        page.get_by_role("button", name="Save and make emojis").click()
        page.wait_for_url("**/generate/*/")
        page.get_by_role("button", name="Skip calibration").click()
        page.wait_for_function(
            "() => document.getElementById('emotion-label').dataset.emotion === 'happy'", timeout=60_000
        )
        page.wait_for_timeout(1500)
        page.screenshot(path=str(DOCS / "phone-generate.png"))
        browser.close()
    print("wrote", ", ".join(f"docs/{name}" for name in ("avatar-form.png", "phone-form.png", "phone-generate.png")))


if __name__ == "__main__":
    sys.path.insert(0, str(DOCS.parent))
    main()
