"""The site on a phone (375×812, touch) and the avatar maker's picture tiles, in real headless Chromium:
first-screen layout, no sideways scrolling, 44 px tap targets, keyboard-only tiles, Random, sharing and the
messages people see."""

import io

import numpy as np
import pytest
from PIL import Image

from avatars.models import SavedAvatar
from avatars.random_look import EYE_SAFE_ACCESSORIES
from avatars.rendering import SHIRT_TEXT_WIDTH, SVG_SIDE
from testkit import images
from testkit.browser import BROWSER_TEST_MARKS, PHONE, create_avatar, launch
from testkit.images import write_y4m

pytestmark = BROWSER_TEST_MARKS

MIN_TARGET = 44  # CSS px, WCAG 2.5.5

# Every visible control smaller than MIN_TARGET, except links inside a sentence (WCAG 2.5.5's inline exception).
SMALL_TARGETS = """(minimum) => {
  const controls = document.querySelectorAll("a[href], button, input:not([type=hidden]), select, textarea, summary");
  const small = [];
  for (const element of controls) {
    const style = getComputedStyle(element);
    const box = element.getBoundingClientRect();
    if (!box.width || !box.height || style.visibility === "hidden" || element.closest("[hidden]")) continue;
    if (element.closest(".skip-link:not(:focus)")) continue;
    const parentText = element.parentElement.textContent.replace(/\\s+/g, " ").trim();
    if (element.tagName === "A" && parentText.length > element.textContent.trim().length + 3) continue;
    if (box.width < minimum - 0.5 || box.height < minimum - 0.5)
      small.push(`${element.tagName} ${element.id || element.name || element.textContent.trim().slice(0, 30)}: ` +
                 `${Math.round(box.width)}×${Math.round(box.height)}`);
  }
  return small;
}"""
OVERFLOW = "document.documentElement.scrollWidth - document.documentElement.clientWidth"


@pytest.fixture
def camera(tmp_path):
    return write_y4m(tmp_path / "face.y4m", images.webcam_frame())


def test_generate_page_first_screen_on_a_phone(live_server, playwright_instance, camera):
    browser = launch(playwright_instance, camera)
    page = browser.new_context(permissions=["camera"], accept_downloads=True, **PHONE).new_page()
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    create_avatar(page, live_server.url)
    page.wait_for_function(
        "() => document.getElementById('calibration-state').dataset.state === 'calibrating'", timeout=30_000
    )
    page.get_by_role("button", name="Skip calibration").click()
    page.wait_for_function("() => document.getElementById('emotion-label').dataset.emotion", timeout=60_000)
    assert page.evaluate("scrollY") == 0 and page.evaluate(OVERFLOW) == 0
    for selector in ("#camera", "#emotion-label", "#generate-button", "#avatar-live"):
        box = page.locator(selector).bounding_box()
        assert box["y"] >= 0 and box["y"] + box["height"] <= 812 and box["x"] + box["width"] <= 375, selector
    # The avatar sits over the camera view; the front camera's picture is mirrored like a mirror.
    camera_box, avatar_box = page.locator("#camera").bounding_box(), page.locator("#avatar-live").bounding_box()
    assert (
        camera_box["y"] <= avatar_box["y"]
        and avatar_box["y"] + avatar_box["height"] <= camera_box["y"] + camera_box["height"] + 1
    )
    assert page.evaluate("getComputedStyle(document.getElementById('camera')).transform").startswith("matrix(-1")
    assert page.evaluate("document.getElementById('camera').srcObject.getVideoTracks()[0].readyState") == "live"
    # The emoji made comes with its share button, right under the button that made it.
    with page.expect_download():
        page.get_by_role("button", name="Generate emoji").click()
    share = page.locator("#result").get_by_role("button", name="Share")
    assert share.is_visible() and share.bounding_box()["y"] < 812
    assert errors == []
    browser.close()


def test_no_sideways_scroll_and_44px_targets_on_every_page(live_server, playwright_instance, camera):
    browser = launch(playwright_instance, camera)
    for options in (PHONE, {"viewport": {"width": 1280, "height": 900}}):
        page = browser.new_context(permissions=["camera"], **options).new_page()
        generate_url = create_avatar(page, live_server.url)
        pk = generate_url.rstrip("/").split("/")[-1]
        paths = [
            "/",
            "/avatars/",
            "/avatars/new/",
            "/avatars/new/?gender=female&all=1",
            f"/avatars/{pk}/edit/",
            f"/avatars/{pk}/gallery/",
            "/avatars/gallery/?gender=male",
            generate_url.replace(live_server.url, ""),
            "/emojify/",
            "/accounts/login/",
            "/accounts/signup/",
            "/no-such-page/",
        ]
        for path in paths:
            page.goto(live_server.url + path)
            page.wait_for_load_state("load")
            assert page.evaluate(OVERFLOW) == 0, f"{path} scrolls sideways at {options['viewport']}"
            assert page.evaluate(SMALL_TARGETS, MIN_TARGET) == [], path
        page.context.close()
    browser.close()


def test_every_tile_grid_works_with_the_keyboard_alone(live_server, playwright_instance):
    browser = launch(playwright_instance, None)
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.goto(live_server.url + "/avatars/new/")
    page.keyboard.press("Tab")  # skip link
    for _ in range(12):  # to the gender choices: arrows pick, Enter submits
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.name") == "gender":
            break
    page.keyboard.press("ArrowRight")
    assert page.evaluate("document.activeElement.value") == "male"
    page.keyboard.press("Enter")
    page.wait_for_url("**gender=male**")

    page.get_by_label("Name").focus()
    groups = page.evaluate(
        "[...new Set([...document.querySelectorAll('#avatar-form input[type=radio]')].map(i => i.name))]"
    )
    changed = set()
    for _ in range(60):
        page.keyboard.press("Tab")
        focused = page.evaluate(
            "({name: document.activeElement.name, type: document.activeElement.type, "
            "tag: document.activeElement.tagName, value: document.activeElement.value})"
        )
        if focused["tag"] == "SUMMARY":
            page.keyboard.press("Enter")  # opens "More options"
            continue
        if focused["type"] != "radio" or focused["name"] in changed:
            if focused["tag"] == "BUTTON":
                break
            continue
        name = focused["name"]
        # A visible focus ring on the tile, then an arrow key picks the next option and the preview follows.
        assert page.evaluate("getComputedStyle(document.activeElement.closest('label')).outlineStyle") == "solid"
        page.keyboard.press("ArrowRight")
        value = page.evaluate(f"document.querySelector('input[name={name}]:checked').value")
        assert value != focused["value"]
        page.wait_for_function(f"() => document.getElementById('avatar-preview').src.includes('{name}={value}')")
        changed.add(name)
    assert changed == set(groups) - {"gender"}
    page.keyboard.press("Enter")  # focus is on "Save and make emojis"
    page.wait_for_url("**/generate/*/")
    browser.close()


def test_tiles_show_the_part_they_name_and_follow_the_look(live_server, playwright_instance):
    browser = launch(playwright_instance, None)
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.goto(live_server.url + "/avatars/new/?gender=female")
    grid = page.get_by_role("group", name="Glasses and accessories")

    def tile(name):
        image = grid.get_by_role("radio", name=name, exact=True).locator("xpath=..").locator("img")
        image.scroll_into_view_if_needed()
        page.wait_for_function("(image) => image.complete && image.naturalWidth > 0", arg=image.element_handle())
        return np.asarray(Image.open(io.BytesIO(image.screenshot())).convert("RGB"), dtype=float)

    plain, glasses, sunglasses = tile("None"), tile("Round"), tile("Wayfarers")
    assert np.abs(plain - glasses).mean() > 3 and np.abs(glasses - sunglasses).mean() > 3
    # Picking red hair redraws the other parts' tiles with red hair.
    before = tile("Round")
    page.get_by_role("group", name="Hair color").get_by_role("radio", name="Red").check()
    page.wait_for_function(
        "() => [...document.querySelectorAll('#id_accessory img')].every(i => i.src.includes('hair_color=RED'))"
    )
    assert np.abs(tile("Round") - before).mean() > 1
    browser.close()


def test_random_never_gives_sunglasses(live_server, playwright_instance):
    browser = launch(playwright_instance, None)
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.goto(live_server.url + "/avatars/new/?gender=male")
    safe = {accessory.name for accessory in EYE_SAFE_ACCESSORIES}
    tops = set()
    for _ in range(15):
        previous = page.locator("#avatar-preview").get_attribute("src")
        page.get_by_role("link", name="Random").click()
        page.wait_for_function(f"() => document.getElementById('avatar-preview').getAttribute('src') !== {previous!r}")
        look = page.evaluate("Object.fromEntries(new FormData(document.getElementById('avatar-form')))")
        assert look["accessory"] in safe
        tops.add(look["top"])
    assert len(tops) > 5 and page.url.endswith("gender=male")  # no page load: the script asked random.json
    browser.close()


# The preview and every tile on the screen show the form's look, loaded; a tile's URL is the look with its own
# part set (its own key left out of the comparison).
SETTLED = """() => {
  const form = document.getElementById('avatar-form'), preview = document.getElementById('avatar-preview');
  const look = [...new FormData(form)].filter(([key]) => !['csrfmiddlewaretoken', 'name', 'gender'].includes(key));
  const shows = (image, own) => {
    const query = new URLSearchParams((image.getAttribute('src') || '').split('?')[1]);
    return image.complete && image.naturalWidth > 0 && !image.dataset.want
      && look.every(([key, value]) => key === own || (query.get(key) || '') === value);
  };
  const onScreen = [...form.querySelectorAll('.tiles img')].filter((image) => {
    const box = image.getBoundingClientRect();
    return box.width > 0 && box.bottom > 0 && box.top < innerHeight;
  });
  return shows(preview, null) && onScreen.length > 20
    && onScreen.every((image) => shows(image, image.previousElementSibling.name));
}"""
NEAR_TILES = """() => [...document.querySelectorAll('#avatar-form .tiles img')].filter((image) => {
  const box = image.getBoundingClientRect();
  return box.width > 0 && box.bottom > -300 && box.top < innerHeight + 300;
}).length"""
TILE_REQUESTS_AT_ONCE = 4  # static/js/avatar_form.js's MAX_TILE_REQUESTS


def test_random_redraws_the_tiles_on_the_screen_without_aborting_a_request(live_server, playwright_instance):
    """Random redraws the preview, then the tiles on or near the screen, never giving a tile a new picture while
    its request is on its way: no tile request is aborted (the form aborted up to ~100 a Random, 525 over ten
    quick ones), and ten quick Randoms ask the server for the last look's tiles and a few on their way, not ten
    looks' worth (840 before)."""
    browser = launch(playwright_instance, None)
    page = browser.new_page(viewport={"width": 1280, "height": 800})
    asked, aborted = [], []
    page.on("request", lambda request: "/thumbnail/" in request.url and asked.append(request.url))
    page.on(
        "requestfailed",
        lambda request: "/thumbnail/" in request.url and aborted.append(f"{request.failure} {request.url}"),
    )
    random = page.get_by_role("link", name="Random")

    def roll(times: int):
        for _ in range(times):
            with page.expect_response(lambda response: "/random.json" in response.url):
                random.click()
        page.wait_for_function(SETTLED)

    # A Random while the page's own tiles are on their way, one on the settled page, then ten in a row.
    page.goto(live_server.url + "/avatars/new/?gender=female", wait_until="domcontentloaded")
    roll(1)
    roll(1)
    assert aborted == [], f"{len(aborted)} aborted, first: {aborted[0]}"
    asked.clear()
    roll(10)
    assert aborted == [], f"{len(aborted)} aborted, first: {aborted[0]}"
    assert len(asked) <= page.evaluate(NEAR_TILES) + 10 * TILE_REQUESTS_AT_ONCE, len(asked)
    browser.close()


def test_form_works_without_javascript(live_server, playwright_instance, transactional_db):
    browser = launch(playwright_instance, None)
    page = browser.new_context(java_script_enabled=False, viewport={"width": 375, "height": 812}).new_page()
    page.goto(live_server.url + "/avatars/new/")
    page.get_by_label("Non-binary / other").check()
    page.get_by_role("button", name="Next: choose the look").click()
    page.get_by_role("group", name="Hair or hat").get_by_role("radio", name="Bun").check()
    page.get_by_text("More options").click()
    page.get_by_role("group", name="Nose").get_by_role("radio", name="Wide").check()
    page.get_by_role("link", name="Random").click()  # a page load with a random look
    assert "random=" in page.url
    page.get_by_role("group", name="Hair or hat").get_by_role("radio", name="Bun").check()
    page.get_by_role("button", name="Save and make emojis").click()
    page.wait_for_url("**/generate/*/")
    avatar = SavedAvatar.objects.get()
    assert (
        avatar.top == "BUN"
        and avatar.gender == "nonbinary"
        and avatar.accessory in {a.name for a in EYE_SAFE_ACCESSORIES}
    )
    browser.close()


def test_share_copy_link_and_copy_image(live_server, playwright_instance):
    browser = launch(playwright_instance, None)
    context = browser.new_context(
        viewport={"width": 1280, "height": 900}, permissions=["clipboard-read", "clipboard-write"]
    )
    page = context.new_page()
    page.goto(live_server.url + "/avatars/gallery/?gender=female&top=BUN")
    link = page.get_by_label("Share link (recreates this avatar anywhere)")
    share_url = link.input_value()
    assert share_url.startswith(live_server.url + "/s/") and len(share_url) < 100  # the short link (issue 50)
    page.get_by_role("button", name="Copy link").click()
    page.wait_for_function("() => document.querySelector('.share-status').textContent.includes('Link copied')")
    assert page.evaluate("navigator.clipboard.readText()") == share_url
    page.get_by_role("button", name="Copy image").click()
    page.wait_for_function("() => document.querySelector('.share-status').textContent.includes('Image copied')")
    copied = page.evaluate("""async () => { const [item] = await navigator.clipboard.read();
        const blob = await item.getType('image/png'); return [...new Uint8Array(await blob.arrayBuffer())]; }""")
    assert Image.open(io.BytesIO(bytes(copied))).size == (512, 512)
    # No Web Share API on desktop Linux: Share copies the link and says so.
    page.get_by_role("button", name="Share").click()
    page.wait_for_function("() => document.querySelector('.share-status').textContent.includes('Link copied')")
    context.close()

    # A phone's Web Share API (recorded here, as headless Chromium has none) gets the PNG file and the link.
    phone = browser.new_context(**PHONE)
    phone.add_init_script("""navigator.canShare = (data) => true;
        navigator.share = async (data) => { window.shared = { url: data.url, files: (data.files || []).map(
            f => ({ name: f.name, type: f.type, size: f.size })) }; };""")
    page = phone.new_page()
    page.goto(share_url)
    assert not page.get_by_role("button", name="Copy image").is_visible()  # a touch screen: no clipboard image
    page.get_by_role("button", name="Share").click()
    page.wait_for_function("() => window.shared")
    shared = page.evaluate("window.shared")
    assert (
        shared["url"] == share_url and shared["files"][0]["type"] == "image/png" and shared["files"][0]["size"] > 1000
    )
    assert page.locator(".share-status").inner_text() == "Shared."
    browser.close()


def test_photo_messages_for_people_and_old_results_cleared(live_server, playwright_instance, tmp_path):
    browser = launch(playwright_instance, None)
    page = browser.new_page(**PHONE)
    page.goto(live_server.url + "/emojify/")
    photo, wall, junk = tmp_path / "face.jpg", tmp_path / "wall.png", tmp_path / "notes.png"
    photo.write_bytes(images.encode(images.astronaut_bgr()))
    wall.write_bytes(images.encode(np.full((240, 320, 3), 200, np.uint8), ".png"))
    junk.write_bytes(b"these are not pixels")
    status = page.locator("#emojify-status")

    page.get_by_label("Photo").set_input_files(str(photo))
    page.get_by_role("button", name="Emojify").click()
    page.wait_for_function("() => document.getElementById('emojify-status').textContent === 'Done.'", timeout=30_000)
    assert page.locator("#emojify-result").is_visible()

    page.get_by_label("Photo").set_input_files(str(wall))
    page.get_by_role("button", name="Emojify").click()
    page.wait_for_function(
        "() => document.getElementById('emojify-status').textContent.includes('No face found in this photo')"
    )
    assert not page.locator("#emojify-result").is_visible()  # the earlier result is gone

    page.get_by_label("Photo").set_input_files(str(junk))
    page.get_by_role("button", name="Emojify").click()
    page.wait_for_function("() => document.getElementById('emojify-status').textContent.includes('not an image')")
    assert not status.inner_text().startswith("image:") and status.inner_text().startswith("Not an image")
    browser.close()


# The text of each line a box's text wraps into, as drawn: its characters grouped by where they sit.
TEXT_LINES = """(selector) => [...document.querySelectorAll(selector)].map((box) => {
  const characters = [];
  const walker = document.createTreeWalker(box, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    for (let index = 0; index < node.length; index++) {
      const range = document.createRange();
      range.setStart(node, index);
      range.setEnd(node, index + 1);
      const rect = range.getClientRects()[0];
      if (rect && rect.width) characters.push({ text: node.data[index], x: rect.left, y: rect.top + rect.height / 2 });
    }
  }
  const lines = [];
  for (const character of characters.sort((a, b) => a.y - b.y)) {
    const line = lines.find((candidate) => Math.abs(candidate.y - character.y) < 8);
    line ? line.characters.push(character) : lines.push({ y: character.y, characters: [character] });
  }
  return lines.map((line) => line.characters.sort((a, b) => a.x - b.x).map((c) => c.text).join("").trim());
})"""


def test_gallery_download_links_leave_no_lone_dot_on_a_phone(live_server, playwright_instance):
    """The download links wrap on a phone's two columns: no line begins or ends with a separator dot (the
    wave's "WebP sticker · GIF" wrapped as "WebP sticker ·" / "GIF")."""
    browser = launch(playwright_instance, None)
    page = browser.new_context(**PHONE).new_page()
    page.goto(live_server.url + "/avatars/gallery/?gender=female")
    captions = page.evaluate(TEXT_LINES, ".gallery figcaption")
    assert len(captions) == 8 and "WebP sticker" in captions[-1] and "GIF" in captions[-1]  # the lines were read
    for lines in captions:
        assert not any(line.startswith("·") or line.endswith("·") for line in lines), lines
    browser.close()


def test_the_gallery_draws_a_long_shirt_text_across_the_shirt(live_server, playwright_instance):
    """Inline in the page, under its CSP (which drops python-avatars' style="text-anchor: middle"), a shirt text
    of the field's 12 characters sits centred on the avatar and no wider than the shirt."""
    browser = launch(playwright_instance, None)
    page = browser.new_context(**PHONE).new_page()
    page.goto(
        live_server.url
        + "/avatars/gallery/?gender=male&clothing=GRAPHIC_SHIRT&shirt_graphic=CUSTOM_TEXT&shirt_text=WWWWWWWWWWWW"
    )
    boxes = page.evaluate("""() => [...document.querySelectorAll('.gallery figure svg')].map((svg) => {
        const avatar = svg.getBoundingClientRect(), text = svg.querySelector('text').getBoundingClientRect();
        return { centre: (text.left + text.right - avatar.left - avatar.right) / 2 / avatar.width,
                 width: text.width / avatar.width };
    })""")
    assert len(boxes) == 7
    for box in boxes:  # on the 280-unit square: centred, and within SHIRT_TEXT_WIDTH plus the font's bearings
        assert abs(box["centre"]) < 0.01 and 0.3 < box["width"] < (SHIRT_TEXT_WIDTH + 4) / SVG_SIDE, box
    browser.close()


# Each visible tile: whether it shows a picture (an older one stays while a new one loads), whether that picture
# is the form's current look, loaded (SETTLED's rule), whether it is on the screen, and whether it is marked busy.
TILE_STATES = """() => {
  const form = document.getElementById('avatar-form');
  const look = [...new FormData(form)].filter(([key]) => !['csrfmiddlewaretoken', 'name', 'gender'].includes(key));
  return [...form.querySelectorAll('.tiles img')].filter((image) => image.getBoundingClientRect().width > 0)
    .map((image) => {
      const query = new URLSearchParams((image.getAttribute('src') || '').split('?')[1]);
      const own = image.previousElementSibling.name, tile = image.closest('.tile'), box = image.getBoundingClientRect();
      return {
        tile: own + '=' + image.previousElementSibling.value,
        picture: image.naturalWidth > 0,
        current: image.complete && image.naturalWidth > 0 && !image.dataset.want
          && look.every(([key, value]) => key === own || (query.get(key) || '') === value),
        onScreen: box.bottom > 0 && box.top < innerHeight,
        busy: tile.classList.contains('stale') && tile.getAttribute('aria-busy') === 'true',
        marked: tile.classList.contains('stale') || tile.hasAttribute('aria-busy'),
      };
    });
}"""
# Tile requests out for the look that has `change` in it: the script has given that many tiles their new URL.
TILES_ASKED = """([change, count]) => [...document.querySelectorAll('#avatar-form .tiles img')]
  .filter((image) => (image.getAttribute('src') || '').includes(change) && !image.complete).length >= count"""


class HeldTiles:
    """Tile responses held back (Playwright's page.route) until release(): the window in which a tile shows
    an older look stays open however fast the host draws, so a test can look at it."""

    def __init__(self, page):
        self.holding, self.held, self.asked = False, [], []
        page.route("**/avatars/thumbnail/**", self.handle)

    def handle(self, route):
        if not self.holding:
            route.continue_()
            return
        self.asked.append(route.request.url)
        self.held.append(route)

    def hold(self):
        self.holding = True

    def release(self):
        self.holding = False
        while self.held:
            self.held.pop(0).continue_()


def test_a_tile_still_showing_an_older_look_is_marked_busy_until_its_new_picture_comes(
    live_server, playwright_instance
):
    """A new user picked hair, skin and glasses: the preview changed at once, the Glasses tiles showed the old
    look for seconds, unmarked. Every tile whose picture is not the current look is now busy (class "stale",
    aria-busy="true"), and only those; each is unmarked once its new picture has come."""
    browser = launch(playwright_instance, None)
    page = browser.new_page(viewport={"width": 1280, "height": 800})
    tiles = HeldTiles(page)
    page.goto(live_server.url + "/avatars/new/?gender=female")
    page.wait_for_function(SETTLED)
    assert [state["tile"] for state in page.evaluate(TILE_STATES) if state["marked"]] == []

    tiles.hold()
    page.get_by_role("group", name="Hair color").get_by_role("radio", name="Red").check()
    page.wait_for_function(TILES_ASKED, arg=["hair_color=RED", TILE_REQUESTS_AT_ONCE])
    states = page.evaluate(TILE_STATES)
    older = [state["tile"] for state in states if state["picture"] and not state["current"]]
    assert len([state for state in states if state["onScreen"] and not state["current"]]) > TILE_REQUESTS_AT_ONCE
    assert len(older) > TILE_REQUESTS_AT_ONCE
    assert [state["tile"] for state in states if state["picture"] and not state["current"] and not state["busy"]] == []

    # Once the pictures come, the marks go: each with its picture's load event, a moment after the picture is
    # complete, so the test waits for it.
    tiles.release()
    page.wait_for_function(SETTLED)
    page.wait_for_function(
        f"() => ({TILE_STATES})().every((state) => !state.marked || !(state.current || state.onScreen))"
    )
    states = page.evaluate(TILE_STATES)
    assert [state["tile"] for state in states if state["picture"] and not state["current"] and not state["busy"]] == []
    browser.close()


# The tiles whose new picture is on its way (their URL has `change`), and those still waiting for their turn, each
# with its distance from the centre of the option picked (a tile's picture's centre, CSS px).
QUEUE = """([change, picked]) => {
  const box = document.querySelector(picked).closest('label').getBoundingClientRect();
  const [x, y] = [box.left + box.width / 2, box.top + box.height / 2];
  const distance = (image) => { const b = image.getBoundingClientRect();
    return Math.hypot(b.left + b.width / 2 - x, b.top + b.height / 2 - y); };
  const onScreen = (image) => { const b = image.getBoundingClientRect(); return b.bottom > 0 && b.top < innerHeight; };
  const images = [...document.querySelectorAll('#avatar-form .tiles img')];
  return {
    asked: images.filter((i) => (i.getAttribute('src') || '').includes(change) && !i.complete).map(distance),
    waiting: images.filter((i) => (i.dataset.want || '').includes(change) && onScreen(i)).map(distance),
  };
}"""


def test_the_tiles_nearest_the_option_just_picked_redraw_first(live_server, playwright_instance):
    """Picking glasses with the Clothing tiles above them on the screen: the four tile requests first out are
    the tiles nearest the glasses just picked (the form asked the screen's tiles from the top, the Hair tiles'
    turn before the ones beside the person's eye)."""
    browser = launch(playwright_instance, None)
    page = browser.new_page(viewport={"width": 1280, "height": 800})
    tiles = HeldTiles(page)
    page.goto(live_server.url + "/avatars/new/?gender=female")
    page.wait_for_function(SETTLED)
    # The glasses at the bottom of the screen, above the sticky Save bar; the Clothing tiles fill the rest.
    page.locator("#field-accessory").evaluate(
        "(field) => scrollBy(0, field.getBoundingClientRect().bottom - innerHeight + 90)"
    )
    page.wait_for_function(SETTLED)
    tiles.hold()
    round_glasses = page.get_by_role("group", name="Glasses and accessories").get_by_role("radio", name="Round")
    round_glasses.check()
    page.wait_for_function(TILES_ASKED, arg=["accessory=ROUND", TILE_REQUESTS_AT_ONCE])
    queue = page.evaluate(QUEUE, ["accessory=ROUND", "#id_accessory input[value=ROUND]"])
    assert len(queue["asked"]) == TILE_REQUESTS_AT_ONCE and len(queue["waiting"]) > TILE_REQUESTS_AT_ONCE, queue
    assert max(queue["asked"]) <= min(queue["waiting"]) + 0.5, queue
    tiles.release()
    page.wait_for_function(SETTLED)
    browser.close()


def test_tiles_under_the_closed_more_options_load_the_look_of_when_it_opens(live_server, playwright_instance):
    """The tiles under "More options" wait, unasked, until it opens, and then ask the look of that moment: in
    Chromium a closed <details>' tiles have a box, and the form took them for tiles in sight, so after a change
    each one opened loaded the page's first look and then the new one."""
    browser = launch(playwright_instance, None)
    page = browser.new_page(viewport={"width": 1280, "height": 800})
    asked, aborted = [], []
    page.on("request", lambda request: "/thumbnail/" in request.url and asked.append(request.url))
    page.on("requestfailed", lambda request: "/thumbnail/" in request.url and aborted.append(request.url))
    page.goto(live_server.url + "/avatars/new/?gender=female")
    page.wait_for_function(SETTLED)
    page.get_by_role("group", name="Hair color").get_by_role("radio", name="Red").check()
    page.wait_for_function(SETTLED)
    asked.clear()
    page.locator("#more-options > summary").click()
    page.get_by_role("group", name="Nose").scroll_into_view_if_needed()
    page.wait_for_function(  # the tiles it opened on the screen have come (the screen holds too few for SETTLED)
        """() => [...document.querySelectorAll('#more-options .tiles img')].filter((image) => {
          const box = image.getBoundingClientRect(); return box.width > 0 && box.bottom > 0 && box.top < innerHeight;
        }).every((image) => image.complete && image.naturalWidth > 0 && !image.dataset.want)"""
    )
    under = page.evaluate(
        "[...document.querySelectorAll('#more-options .tiles img')].map((image) => image.src.split('?')[0])"
    )
    opened = [url for url in asked if url.split("?")[0] in under]
    assert opened and [url for url in opened if "hair_color=RED" not in url] == []
    assert aborted == []
    browser.close()
