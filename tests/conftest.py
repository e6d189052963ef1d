import os

import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

SHARED_FER = os.path.join(os.path.dirname(__file__), "..", "..", "shared", "data", "fer2013", "fer2013.csv.gz")


@pytest.fixture
def client_csrf():
    """A test client that enforces CSRF like a browser session would."""
    from django.test import Client

    return Client(enforce_csrf_checks=True)
