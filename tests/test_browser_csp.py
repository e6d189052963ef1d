"""Every page under its Content-Security-Policy, in real headless Chromium with a fake camera: a person signs up,
designs an avatar (tiles, swatches, Random), generates with the camera, picks an expression by hand, records,
copies the emoji, opens the gallery and a share link, edits, duplicates, emojifies a photo, visits every account
page and logs out. Any CSP violation (the page's `securitypolicyviolation` events), console error or uncaught
error fails the test."""

import re

from testkit import images
from testkit.browser import BROWSER_TEST_MARKS, REPORT_VIOLATIONS, STATE, create_avatar, launch
from testkit.images import write_y4m

pytestmark = BROWSER_TEST_MARKS

PASSWORD = "correct horse battery staple 7"


def test_every_page_keeps_to_the_content_security_policy(live_server, playwright_instance, tmp_path, transactional_db):
    browser = launch(playwright_instance, write_y4m(tmp_path / "face.y4m", images.webcam_frame()))
    context = browser.new_context(
        accept_downloads=True,
        permissions=["camera", "clipboard-read", "clipboard-write"],
        viewport={"width": 1280, "height": 900},
    )
    problems, pages = [], []
    context.expose_binding("reportViolation", lambda source, text: problems.append(f"{source['frame'].url}: {text}"))
    context.add_init_script(REPORT_VIOLATIONS)
    page = context.new_page()
    page.on(
        "console",
        lambda message: problems.append(f"{page.url}: console {message.text}") if message.type == "error" else None,
    )
    page.on("pageerror", lambda error: problems.append(f"{page.url}: {error}"))

    def policed(response):  # every HTML page carries the policy and the camera's Permissions-Policy
        if response.request.resource_type == "document":
            pages.append(response.url)
            policy = response.headers.get("content-security-policy", "")
            assert "default-src 'self'" in policy and "'unsafe-inline'" not in policy, response.url
            assert response.headers.get("permissions-policy") == "camera=(self)", response.url

    page.on("response", policed)

    def visit(path: str):
        assert page.goto(live_server.url + path).status == 200, path

    def download(trigger) -> str:
        with page.expect_download(timeout=60_000) as info:
            trigger()
        return info.value.suggested_filename

    visit("/")
    visit("/accounts/signup/")
    page.get_by_label("Username").fill("ada")
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_label("Password confirmation").fill(PASSWORD)
    page.get_by_label("Password confirmation").press("Enter")
    page.wait_for_url("**/avatars/")

    # The form: pictures, swatches, Random (its look fetched and the tiles redrawn), then a saved avatar.
    visit("/avatars/new/?gender=female")
    before = page.locator("#avatar-preview").get_attribute("src")
    page.get_by_role("link", name="Random").click()
    page.wait_for_function(f"() => document.getElementById('avatar-preview').src !== {before!r}")
    generate_url = create_avatar(page, live_server.url)
    avatar_id = re.search(r"/generate/(\d+)/", generate_url).group(1)

    # The camera, calibration (refused: she smiles), a generated emoji (a blob: picture, read back to copy it), a
    # chosen one, a recording.
    page.wait_for_function(f"() => {STATE} === 'not-relaxed'", timeout=90_000)  # her smile is no relaxed face
    assert download(lambda: page.get_by_role("button", name="Generate emoji").click()).startswith("emoji-")
    page.locator("#result-image").wait_for(state="visible")
    copy = page.locator("#result").get_by_role("button", name="Copy image")
    if copy.is_visible():
        copy.click()
        page.wait_for_function("() => [...document.querySelectorAll('#result .share-status')].some(s => s.textContent)")
    assert download(lambda: page.locator('#choices button[data-emotion="surprise"]').click()) == "emoji-surprise.png"
    assert download(lambda: page.get_by_role("button", name="Record 3 s").click()) == "emoji-animated.webp"

    # My avatars, its gallery (inline SVGs, the wave), the share link, edit, duplicate, delete's confirmation.
    visit("/avatars/")
    page.get_by_role("link", name="Gallery").click()
    page.wait_for_function("() => document.getElementById('wave').complete")
    page.get_by_role("button", name="Copy link").click()
    share_url = page.locator("[data-share-url]").first.get_attribute("data-share-url")
    assert page.goto(share_url if "://" in share_url else live_server.url + share_url).status == 200
    visit(f"/avatars/{avatar_id}/edit/")
    visit("/avatars/")
    page.get_by_role("button", name="Duplicate").click()
    page.wait_for_url("**/edit/")
    visit(f"/avatars/{avatar_id}/delete/")

    # Emojify a photo: the result is a blob: picture.
    photo = tmp_path / "portrait.jpg"
    photo.write_bytes(images.encode(images.astronaut_bgr()))
    visit("/emojify/")
    page.get_by_label("Photo").set_input_files(str(photo))
    page.get_by_role("button", name="Emojify").click()
    page.wait_for_function("() => document.getElementById('emojify-status').textContent === 'Done.'", timeout=60_000)
    assert page.locator("#emojify-result-image").get_attribute("src").startswith("blob:")

    # Accounts, then logged out.
    for path in ("/accounts/", "/accounts/password_change/", "/accounts/delete/"):
        visit(path)
    page.get_by_role("button", name="Log out").click()
    page.wait_for_url(live_server.url + "/")
    for path in ("/accounts/login/", "/accounts/password_reset/", "/admin/login/"):
        visit(path)

    # An error page has the policy too (its 404 is the one console error expected).
    assert page.goto(live_server.url + "/avatars/999999/edit/").status == 404
    problems[:] = [problem for problem in problems if "status of 404" not in problem]
    assert len(pages) >= 20
    assert problems == []
    browser.close()
