import os

import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

SHARED_DATA = os.path.join(os.path.dirname(__file__), "..", "..", "shared", "data")
SHARED_FER = os.path.join(SHARED_DATA, "fer2013", "fer2013.csv.gz")
SHARED_FERPLUS = os.path.join(SHARED_DATA, "ferplus", "fer2013plus.csv.gz")


@pytest.fixture
def client_csrf():
    """A test client that enforces CSRF like a browser session would."""
    from django.test import Client

    return Client(enforce_csrf_checks=True)


@pytest.fixture
def owner(django_user_model, client):
    """A user signed in on the `client` fixture: avatars created with owner=owner are that client's."""
    user = django_user_model.objects.create_user("owner", password="a long pass phrase 42")
    client.force_login(user)
    return user


@pytest.fixture(scope="module")
def playwright_instance():
    """Playwright's sync API for one test module's browser tests (tests/test_browser.py launches Chromium)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        yield playwright
