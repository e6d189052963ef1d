"""Accounts in real headless Chromium: sign up → design → generate → log out → gone → log in → still there,
keyboard-usable forms with labels."""

from testkit import images
from testkit.browser import BROWSER_TEST_MARKS, create_avatar, launch
from testkit.images import write_y4m

pytestmark = BROWSER_TEST_MARKS

PASSWORD = "correct horse battery staple 7"


def test_sign_up_design_generate_log_out_and_back_in(live_server, playwright_instance, tmp_path, transactional_db):
    browser = launch(playwright_instance, write_y4m(tmp_path / "face.y4m", images.webcam_frame()))
    context = browser.new_context(permissions=["camera"])
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))

    # Sign up with the keyboard alone: every field has its label.
    page.goto(live_server.url + "/")
    page.get_by_role("link", name="Sign up").click()
    page.get_by_label("Username").fill("ada")
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_label("Password confirmation").fill(PASSWORD)
    page.get_by_label("Password confirmation").press("Enter")
    page.wait_for_url("**/avatars/")
    assert page.get_by_role("link", name="ada").is_visible()
    # The welcome, said once, with no stray list marker beside it (issue 41).
    welcome = page.locator(".messages")
    assert welcome.inner_text().strip() == "Welcome, ada: your avatars are now yours alone."
    markers = "[...document.querySelectorAll('.messages, .messages *')].filter((e) => e.matches('li, ul, ol')"
    assert page.evaluate(f"() => {markers} || getComputedStyle(e).display === 'list-item').length") == 0

    generate_url = create_avatar(page, live_server.url)
    page.wait_for_function("() => document.getElementById('camera-status').textContent.length > 0")
    page.goto(live_server.url + "/avatars/")
    assert page.get_by_role("heading", name="Browser test").is_visible()

    page.get_by_role("button", name="Log out").click()
    page.wait_for_url(live_server.url + "/")
    assert page.get_by_role("link", name="Log in").is_visible()
    assert page.goto(generate_url).status == 404
    page.goto(live_server.url + "/avatars/")
    assert page.get_by_text("No avatars yet").is_visible()

    page.get_by_role("link", name="Log in", exact=True).click()  # the header's; the visitor note has its own
    page.get_by_label("Username").fill("ada")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url("**/avatars/")
    assert page.get_by_role("heading", name="Browser test").is_visible()
    page.get_by_role("link", name="Make emoji").click()
    page.wait_for_url(generate_url)
    assert errors == []
    browser.close()
