"""What a newcomer trips over (issue 34), in real headless Chromium at a laptop's 1280×800: the answer to
"Generate from photo" where the eye is, shirt graphics that show, one face on a photo of one person, the gallery's
wave among the other cards, the generate page's controls, and no black box without a camera."""

import io

import cv2
import numpy as np
from PIL import Image

from avatars.models import share_query
from avatars.presets import preset
from testkit import images
from testkit.browser import ARTIFACTS, BROWSER_TEST_MARKS, PHONE, create_avatar, download, launch

pytestmark = BROWSER_TEST_MARKS

LAPTOP = {"width": 1280, "height": 800}


def box(page, selector: str) -> dict:
    return page.locator(selector).bounding_box()


def picture(locator) -> np.ndarray:
    locator.scroll_into_view_if_needed()
    return np.asarray(Image.open(io.BytesIO(locator.screenshot())).convert("RGB"), dtype=float)


def test_a_shirt_graphic_shows_when_picked(live_server, playwright_instance):
    browser = launch(playwright_instance, None)
    page = browser.new_page(viewport=LAPTOP)
    page.goto(live_server.url + "/avatars/new/?gender=female")  # a scoop-neck top: no graphic shows on it
    summary = page.locator("#more-options > summary")
    assert summary.inner_text().startswith("More options: ")
    summary.click()
    assert summary.inner_text() == "Fewer options" and not page.locator("#all-options").is_visible()

    graphics = page.get_by_role("group", name="Shirt graphic")

    def tile(name):
        image = graphics.get_by_role("radio", name=name, exact=True).locator("xpath=..").locator("img")
        image.scroll_into_view_if_needed()
        page.wait_for_function("(image) => image.complete && image.naturalWidth > 0", arg=image.element_handle())
        return picture(image)

    plain, bat, bear = tile("None"), tile("Bat"), tile("Bear")
    assert np.abs(plain - bat).mean() > 3 and np.abs(bat - bear).mean() > 3
    before = picture(page.locator("#avatar-preview"))
    graphics.get_by_role("radio", name="Bat", exact=True).check()
    page.wait_for_function(
        "() => document.getElementById('avatar-preview').src.includes('clothing=GRAPHIC_SHIRT')"
        " && document.getElementById('avatar-preview').complete"
    )
    assert (
        page.get_by_role("group", name="Clothing", exact=True).get_by_role("radio", name="Graphic shirt").is_checked()
    )
    assert "Graphic shirt" in page.locator("#form-status").inner_text()
    assert np.abs(picture(page.locator("#avatar-preview")) - before).mean() > 1
    browser.close()


def test_generate_from_photo_answers_where_the_eye_is_without_a_camera(live_server, playwright_instance, tmp_path):
    browser = launch(playwright_instance, None)  # no camera at all
    context = browser.new_context(accept_downloads=True, viewport=LAPTOP)
    page = context.new_page()
    create_avatar(page, live_server.url)
    page.wait_for_function("() => document.getElementById('camera-status').textContent.includes('photo below')")
    assert not page.locator(".camera").is_visible()  # no big black box in its place

    # The options: format and size one width, each label on its select's line.
    assert box(page, "#format")["width"] == box(page, "#size")["width"]
    # An SVG has no pixel size: "PNG size" is off while the format is SVG, on again for PNG (issue 41).
    assert page.locator("#size").is_enabled()
    page.locator("#format").select_option("svg")
    assert page.locator("#size").is_disabled()
    page.locator("#format").select_option("png")
    assert page.locator("#size").is_enabled()
    middles = [
        box(page, selector)["y"] + box(page, selector)["height"] / 2
        for selector in ("label[for=record-format]", "#record-format")
    ]
    assert max(middles) - min(middles) < 4, middles

    photo = tmp_path / "portrait.jpg"
    photo.write_bytes(images.encode(images.astronaut_bgr()))
    page.get_by_label("No webcam? Use a photo instead").set_input_files(str(photo))
    page.get_by_role("button", name="Generate from photo").scroll_into_view_if_needed()
    name, _ = download(page, lambda: page.get_by_role("button", name="Generate from photo").click())
    assert name == "emoji-happy.png"
    # The made emoji is in view, and the label, the bars and the avatar show the photo's reading.
    page.wait_for_function("""() => { const r = document.getElementById('result').getBoundingClientRect();
                                      return r.height > 0 && r.top >= 0 && r.bottom <= innerHeight; }""")
    assert page.locator("#emotion-label").get_attribute("data-emotion") == "happy"
    assert int(page.locator('#bars li[data-emotion="happy"] .bar').get_attribute("aria-valuenow")) > 40
    assert "emotion=happy" in page.locator("#avatar-live").get_attribute("src")
    assert page.locator("#bars-help").inner_text() == "Read from your photo."

    # A photo without a face: the message is in view too.
    wall = tmp_path / "wall.png"
    wall.write_bytes(images.encode(np.full((240, 320, 3), 200, np.uint8), ".png"))
    page.get_by_label("No webcam? Use a photo instead").set_input_files(str(wall))
    page.get_by_role("button", name="Generate from photo").scroll_into_view_if_needed()
    page.get_by_role("button", name="Generate from photo").click()
    page.wait_for_function("""() => { const s = document.getElementById('generate-status');
                                      const r = s.getBoundingClientRect();
                                      return s.textContent.includes('No face found in this photo')
                                             && r.top >= 0 && r.bottom <= innerHeight; }""")
    browser.close()


def test_emojify_finds_the_one_face_of_a_photo_of_one_person(live_server, playwright_instance, tmp_path):
    """skimage's astronaut at 1024 px, uploaded through the page as a person would: one face, not two."""
    browser = launch(playwright_instance, None)
    page = browser.new_page(viewport=LAPTOP)
    photo = tmp_path / "astronaut.png"
    photo.write_bytes(
        images.encode(cv2.resize(images.astronaut_bgr(), (1024, 1024), interpolation=cv2.INTER_CUBIC), ".png")
    )
    page.goto(live_server.url + "/emojify/")
    page.get_by_label("Photo").set_input_files(str(photo))
    page.get_by_role("button", name="Emojify").click()
    page.wait_for_function("() => document.getElementById('emojify-status').textContent === 'Done.'", timeout=60_000)
    assert page.locator("#emojify-caption").inner_text().startswith("1 face: ")
    form, result = box(page, "#emojify-form"), box(page, "#emojify-result")
    assert (form["y"], form["width"]) == (result["y"], result["width"])  # the two cards side by side, aligned
    browser.close()


def test_emojify_names_the_faces_left_to_right(live_server, playwright_instance, tmp_path):
    """Two people, the smaller (neutral) on the left: the caption reads them as they stand, not largest first."""
    browser = launch(playwright_instance, None)
    page = browser.new_page(viewport=LAPTOP)
    photo = tmp_path / "two.png"
    photo.write_bytes(images.encode(images.neutral_and_happy(), ".png"))
    page.goto(live_server.url + "/emojify/")
    page.get_by_label("Photo").set_input_files(str(photo))
    page.get_by_role("button", name="Emojify").click()
    page.wait_for_function("() => document.getElementById('emojify-status').textContent === 'Done.'", timeout=60_000)
    assert page.locator("#emojify-caption").inner_text() == "2 faces from left to right: neutral, happy."
    browser.close()


def test_the_gallery_wave_is_a_card_like_the_others(live_server, playwright_instance):
    browser = launch(playwright_instance, None)
    page = browser.new_page(viewport=LAPTOP)
    page.goto(f"{live_server.url}/avatars/gallery/?{share_query(preset('male'), 'male')}")
    page.wait_for_function("() => document.getElementById('wave').complete")
    cards = page.locator(".gallery figure")
    boxes = [cards.nth(index).bounding_box() for index in range(cards.count())]
    wave = box(page, "figure.wave")
    assert cards.count() == 8 and {round(card["width"]) for card in boxes} == {round(wave["width"])}
    assert sum(card["y"] == wave["y"] for card in boxes) > 1  # not alone on its row
    # On the avatar's background, as the still beside it: the same colour at the circle's left edge.
    still, animated = picture(cards.nth(0).locator("svg")), picture(page.locator("#wave"))
    animated = np.asarray(Image.fromarray(animated.astype(np.uint8)).resize(still.shape[1::-1]), dtype=float)
    height, width = still.shape[:2]
    spot = (slice(height // 2 - 3, height // 2 + 3), slice(width // 10, width // 10 + 6))
    assert np.abs(still[spot].mean(axis=(0, 1)) - animated[spot].mean(axis=(0, 1))).max() < 12
    # No link breaks across lines.
    assert (
        page.evaluate(
            "() => [...document.querySelectorAll('.gallery figcaption a')]"
            ".filter(a => a.getClientRects().length > 1).length"
        )
        == 0
    )
    browser.close()


def test_the_home_page_shows_what_you_make_on_its_first_screen(live_server, playwright_instance):
    browser = launch(playwright_instance, None)
    page = browser.new_page(viewport=LAPTOP)
    ARTIFACTS.mkdir(exist_ok=True)
    page.goto(live_server.url + "/")
    page.wait_for_function("""() => { const pictures = [...document.querySelectorAll('.showcase img')];
        return pictures.length === 8 && pictures.every(p => p.complete && p.naturalWidth > 0
                                                            && p.getBoundingClientRect().bottom <= innerHeight); }""")
    assert box(page, ".model-figures")["y"] > box(page, ".showcase")["y"] + box(page, ".showcase")["height"]
    page.screenshot(path=str(ARTIFACTS / "home-page.png"))
    browser.close()


def test_the_home_page_on_a_phone_shows_make_an_avatar_first_and_figures_that_fit(live_server, playwright_instance):
    """Issue 41: on a 375×812 phone "Make an avatar" sat below the first screen and the figures' table was
    cramped (four columns scrolling sideways)."""
    browser = launch(playwright_instance, None)
    page = browser.new_context(**PHONE).new_page()
    page.goto(live_server.url + "/")
    button = box(page, "a.button:text-is('Make an avatar')")
    assert button["y"] >= 0 and button["y"] + button["height"] <= PHONE["viewport"]["height"], button
    assert page.evaluate("() => document.documentElement.scrollWidth") <= PHONE["viewport"]["width"]
    for selector in ("#real-photo-figures", "#recall-figures"):
        element = page.locator(selector)
        element.scroll_into_view_if_needed()
        assert element.evaluate("(e) => e.scrollWidth <= e.clientWidth"), f"{selector} scrolls sideways"
        smallest = element.evaluate(
            "(e) => Math.min(...[...e.querySelectorAll('th, td, li')]"
            ".map((cell) => parseFloat(getComputedStyle(cell).fontSize)))"
        )
        assert smallest >= 13, f"{selector}: {smallest} px text"
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "home-phone.png"), full_page=True)
    browser.close()
