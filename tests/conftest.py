import os

import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

SHARED_DATA = os.path.join(os.path.dirname(__file__), "..", "..", "shared", "data")
SHARED_FER = os.path.join(SHARED_DATA, "fer2013", "fer2013.csv.gz")
SHARED_FERPLUS = os.path.join(SHARED_DATA, "ferplus", "fer2013plus.csv.gz")

# Fixtures that open the database: a test asking for one of them (or marked django_db or `database`) touches it.
DATABASE_FIXTURES = {
    "db",
    "transactional_db",
    "django_db_reset_sequences",
    "django_db_serialized_rollback",
    "live_server",
    "django_user_model",
    "admin_user",
    "admin_client",
    "owner",
}


def pytest_addoption(parser):
    parser.addoption(
        "--database",
        choices=("sqlite", "postgresql"),
        default="sqlite",
        help="sqlite (default): every test, on SQLite. postgresql: only the tests that touch the database, on a "
        "throw-away PostgreSQL cluster (testkit/postgres.py); `make test` runs both passes",
    )


def pytest_configure(config):
    config.addinivalue_line(
        "markers",
        "database: touches the database without asking for a database fixture (a subprocess's); runs in both passes",
    )
    config.addinivalue_line(
        "markers",
        "postgresql_only: needs PostgreSQL (several processes sharing one database); "
        "runs only in the PostgreSQL pass (pytest --database postgresql)",
    )


def touches_database(item) -> bool:
    return bool(
        item.get_closest_marker("django_db")
        or item.get_closest_marker("database")
        or item.get_closest_marker("postgresql_only")
        or DATABASE_FIXTURES & set(getattr(item, "fixturenames", ()))
    )


def pytest_collection_modifyitems(config, items):
    """The PostgreSQL pass runs the tests that touch the database and deselects the rest (they ran in the
    SQLite pass); the SQLite pass skips the PostgreSQL-only ones, saying where they run."""
    if config.getoption("--database") == "postgresql":
        kept = [item for item in items if touches_database(item)]
        deselected = [item for item in items if not touches_database(item)]
        if deselected:
            config.hook.pytest_deselected(items=deselected)
            items[:] = kept
        return
    skip = pytest.mark.skip(reason="runs in the PostgreSQL pass: pytest --database postgresql (make test runs it)")
    for item in items:
        if item.get_closest_marker("postgresql_only"):
            item.add_marker(skip)


@pytest.fixture(scope="session")
def postgres_cluster():
    """A throw-away PostgreSQL cluster for the whole run (testkit/postgres.py), stopped at the end."""
    from testkit.postgres import MISSING, running_cluster, server_binaries

    if server_binaries() is None:
        pytest.fail(MISSING)
    with running_cluster() as cluster:
        yield cluster


@pytest.fixture(scope="session")
def django_db_modify_db_settings(django_db_modify_db_settings_parallel_suffix, request):
    """In the PostgreSQL pass, Django's default database is the throw-away cluster: pytest-django then creates
    its test database there and runs every migration on it from empty, as it does on SQLite."""
    if request.config.getoption("--database") != "postgresql":
        return
    import dj_database_url
    from django.conf import settings
    from django.db import connections

    cluster = request.getfixturevalue("postgres_cluster")
    connections.close_all()
    settings.DATABASES["default"] = dj_database_url.parse(cluster.url("emojify"))
    connections.__dict__.pop("settings", None)  # ConnectionHandler's cached copy of settings.DATABASES
    for alias in list(settings.DATABASES):
        try:
            del connections[alias]
        except AttributeError:
            pass  # never opened


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
    """Playwright's sync API for one test module's browser tests (testkit/browser.py launches Chromium)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        yield playwright


@pytest.fixture
def astronaut_baseline():
    """The served model's reading of testkit's webcam frame (the astronaut, smiling) as the generate page sends it
    live, as a calibration baseline (7 numbers summing to 1): a test puts it in the tab's sessionStorage, where the
    page itself would refuse a smile as a relaxed face."""
    from ml.calibration import baseline_from_readings
    from ml.labels import EMOTIONS
    from recognition.faces import read_faces
    from testkit.browser import as_live_frame
    from testkit.images import webcam_frame

    (face, *_) = [face for face in read_faces(as_live_frame(webcam_frame())) if face.emotion]
    return dict(zip(EMOTIONS, map(float, baseline_from_readings([face.probabilities]))))
