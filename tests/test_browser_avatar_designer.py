"""The avatar designer and its share links as issue 50 found them, in real headless Chromium: a short link opened in
a fresh browser, the gender step on a phone, the gender pictures' single circle, the shirt's own text under its
tile, and the graphic-shirt notice that goes when it no longer applies."""

import io
import re

import numpy as np
from PIL import Image

from testkit.browser import BROWSER_TEST_MARKS, PHONE, create_avatar, launch

pytestmark = BROWSER_TEST_MARKS

LAPTOP = {"width": 1280, "height": 720}
SHORT_LINK = re.compile(r"http://[^/]+/s/[a-z2-7]+")


def screenshot(locator) -> np.ndarray:
    locator.scroll_into_view_if_needed()
    return np.asarray(Image.open(io.BytesIO(locator.screenshot())).convert("RGB"), dtype=float)


def test_a_short_link_opens_the_same_look_in_a_fresh_browser(live_server, playwright_instance):
    browser = launch(playwright_instance, None)
    maker = browser.new_context(viewport=LAPTOP).new_page()
    create_avatar(maker, live_server.url)
    maker.goto(live_server.url + "/avatars/")
    maker.get_by_role("link", name="Gallery").click()
    link = maker.get_by_label("Share link (recreates this avatar anywhere)").input_value()
    assert SHORT_LINK.fullmatch(link) and len(link) < 100, link
    happy = screenshot(maker.locator(".gallery figure svg").nth(3))

    stranger = browser.new_context(viewport=LAPTOP).new_page()  # no cookies, no session, no account
    stranger.goto(link)
    assert stranger.locator("h1").inner_text() == "Seven expressions of this avatar"
    assert "top=SHORT_CURLY" in stranger.url and "facial_hair=BEARD_LIGHT" in stranger.url
    assert np.abs(screenshot(stranger.locator(".gallery figure svg").nth(3)) - happy).mean() < 1
    assert stranger.get_by_label("Share link (recreates this avatar anywhere)").input_value() == link
    assert stranger.goto(live_server.url + "/s/unknown2code").status == 404
    assert stranger.locator("h1").inner_text() == "Nothing here"
    browser.close()


def test_the_gender_step_on_a_phone_is_one_row_and_a_tap_goes_on(live_server, playwright_instance):
    browser = launch(playwright_instance, None)
    page = browser.new_context(**PHONE).new_page()
    page.goto(live_server.url + "/avatars/new/")
    tiles = [page.locator(".genders .tile").nth(index).bounding_box() for index in range(3)]
    assert len({round(tile["y"]) for tile in tiles}) == 1, tiles  # one row
    assert tiles[0]["x"] >= 0 and tiles[2]["x"] + tiles[2]["width"] <= 375
    next_button = page.get_by_role("button", name="Next: choose the look").bounding_box()
    assert next_button["y"] + next_button["height"] <= 812  # on the first screen
    page.get_by_label("Male", exact=True).tap()
    page.wait_for_url("**/avatars/new/?gender=male")
    assert page.get_by_label("Name").is_visible()  # step 2
    browser.close()


def test_a_click_picks_a_gender_and_next_goes_on(live_server, playwright_instance):
    """With a mouse a click only picks (the page does not move under the pointer): Next goes on."""
    browser = launch(playwright_instance, None)
    page = browser.new_page(viewport=LAPTOP)
    page.goto(live_server.url + "/avatars/new/")
    page.get_by_label("Non-binary / other").click()
    assert page.get_by_label("Non-binary / other").is_checked() and page.url.endswith("/avatars/new/")
    page.get_by_role("button", name="Next: choose the look").click()
    page.wait_for_url("**/avatars/new/?gender=nonbinary")
    browser.close()


def test_the_gender_pictures_have_one_circle(live_server, playwright_instance):
    """Each gender's avatar brings its own circle; the picture's box drew a pale second one around it."""
    browser = launch(playwright_instance, None)
    page = browser.new_page(viewport=LAPTOP)
    page.goto(live_server.url + "/avatars/new/")
    male = page.locator(".genders .tile").nth(1)
    picture_loaded = "(image) => image.complete && image.naturalWidth > 0"
    page.wait_for_function(picture_loaded, arg=male.locator("img").element_handle())
    tile, picture = screenshot(male), male.locator("img").bounding_box()
    origin = male.bounding_box()
    # Just inside the picture's box, halfway down its left edge: the tile's own white, not a pale ring.
    x, y = round(picture["x"] - origin["x"] + 2), round(picture["y"] - origin["y"] + picture["height"] / 2)
    assert tuple(tile[y, x]) == (255, 255, 255), tile[y, x]
    browser.close()


def test_the_shirt_text_sits_under_its_tile_typing_picks_it_and_it_counts(live_server, playwright_instance):
    browser = launch(playwright_instance, None)
    page = browser.new_page(viewport=LAPTOP)
    page.goto(live_server.url + "/avatars/new/?gender=female&all=1")
    graphics = page.get_by_role("group", name="Shirt graphic")
    own_text = graphics.get_by_role("radio", name="Your own text")
    field = page.get_by_label("Your text")
    tile, box = page.locator("label[for=id_shirt_graphic_4]").bounding_box(), field.bounding_box()
    assert own_text.get_attribute("id") == "id_shirt_graphic_4"
    assert 0 <= box["y"] - (tile["y"] + tile["height"]) < 40, (tile, box)  # right under the tile's row,
    rows = {
        (round(t["y"]), round(t["y"] + t["height"]))
        for t in graphics.locator(".tile").evaluate_all(
            "(tiles) => tiles.map((tile) => tile.getBoundingClientRect().toJSON())"
        )
    }
    assert all(bottom <= box["y"] or top >= box["y"] + box["height"] for top, bottom in rows)  # a row of its own

    graphics.get_by_role("radio", name="Bat", exact=True).check()
    field.press_sequentially("Hi")
    assert own_text.is_checked()  # typing picked its tile
    page.wait_for_function(
        "() => ['shirt_graphic=CUSTOM_TEXT', 'shirt_text=Hi', 'clothing=GRAPHIC_SHIRT']"
        ".every((part) => document.getElementById('avatar-preview').src.includes(part))"
    )
    count = page.locator("#id_shirt_text-count")
    assert count.inner_text() == "2/12" and "id_shirt_text-count" in field.get_attribute("aria-describedby")
    field.press_sequentially(" everyone")
    assert count.inner_text() == "11/12"
    field.press_sequentially("!?")  # the 13th character is refused, and said
    assert field.input_value() == "Hi everyone!" and count.inner_text() == "12/12: no more fit on the shirt"

    # At 1280×720 the sticky Save bar covers the screen's bottom: a field focused behind it comes up above it.
    field.evaluate("(input) => { input.blur(); scrollBy(0, input.getBoundingClientRect().bottom - innerHeight + 20); }")
    bar = page.locator(".form-actions")
    assert field.bounding_box()["y"] + field.bounding_box()["height"] > bar.bounding_box()["y"]  # hidden now
    field.focus()
    assert field.bounding_box()["y"] + field.bounding_box()["height"] <= bar.bounding_box()["y"]
    browser.close()


def test_the_graphic_shirt_notice_goes_when_it_no_longer_applies(live_server, playwright_instance):
    browser = launch(playwright_instance, None)
    page = browser.new_page(viewport=LAPTOP)
    page.goto(live_server.url + "/avatars/new/?gender=female&all=1")
    notice = page.locator("#form-status")
    graphics = page.get_by_role("group", name="Shirt graphic")
    graphics.get_by_role("radio", name="Bat", exact=True).check()
    assert "Graphic shirt" in notice.inner_text()
    page.get_by_role("group", name="Clothing", exact=True).get_by_role("radio", name="Crew-neck T-shirt").check()
    assert not notice.is_visible()  # the graphic no longer shows: the notice is gone
    graphics.get_by_role("radio", name="Bear", exact=True).check()
    assert notice.is_visible()
    page.get_by_role("link", name="Random").click()  # a whole new look: nothing left to explain
    page.wait_for_function("() => document.getElementById('form-status').hidden")
    browser.close()


def test_the_notice_leaves_the_phones_pinned_preview_as_it_was(live_server, playwright_instance):
    """On a phone the notice grew the pinned preview to 28% of the screen and squeezed its select to "Neutra"."""
    browser = launch(playwright_instance, None)
    page = browser.new_context(**PHONE).new_page()
    page.goto(live_server.url + "/avatars/new/?gender=female")
    preview, select = page.locator(".designer-preview"), page.locator("#preview-emotion")
    before = preview.bounding_box()["height"], select.bounding_box()["width"]
    page.get_by_text("More options").click()
    page.get_by_role("group", name="Shirt graphic").get_by_role("radio", name="Bat", exact=True).check()
    assert page.locator("#form-status").is_visible()
    assert (preview.bounding_box()["height"], select.bounding_box()["width"]) == before
    assert before[0] < 0.2 * 812 and before[1] > 150  # a pinned strip, its select wide enough for "Surprise"
    browser.close()
