"""Production settings: `check --deploy` is clean, debug-off refuses to start without a secret key, and a database
never migrated gets a clear message; `make run` serves the site as visitors meet it (debugging off)."""

import http.client
import os
import re
import signal
import socket
import subprocess
import sys
import time

from django.conf import settings

from testkit.commands import manage

PRODUCTION = {
    "DJANGO_DEBUG": "0",
    "DJANGO_SECRET_KEY": "a-long-random-production-secret-key-with-more-than-fifty-characters-0123456789",
    "DJANGO_ALLOWED_HOSTS": "emojify.example.com",
    "EMOJIFY_PRELOAD_MODEL": "0",
}


def test_check_deploy_is_clean_with_production_variables():
    result = manage("check", "--deploy", "--fail-level", "WARNING", **PRODUCTION)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_debug_off_requires_a_secret_key():
    result = manage("check", **(PRODUCTION | {"DJANGO_SECRET_KEY": ""}))
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY must be set" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1 and "Traceback" not in result.stderr  # one line


def test_database_url_selects_postgresql():
    code = "from django.conf import settings; print(settings.DATABASES['default']['ENGINE'])"
    result = subprocess.run(
        [sys.executable, "-c", f"import django; django.setup(); {code}"],
        cwd=settings.BASE_DIR,
        capture_output=True,
        text=True,
        timeout=60,
        env=os.environ
        | {
            "DJANGO_SETTINGS_MODULE": "emojify_site.settings",
            "DATABASE_URL": "postgres://user:pw@db.internal:5432/emojify",
        },
    )
    assert result.stdout.strip() == "django.db.backends.postgresql", result.stderr


def test_behind_the_proxy_the_client_address_comes_from_nginx_and_only_from_it(settings):
    """manage.py serve's nginx overwrites X-Real-IP; a request that did not come through it keeps its own."""
    from django.test import RequestFactory

    from deploy.proxy import ProxiedClientAddressMiddleware

    seen = ProxiedClientAddressMiddleware(lambda request: request.META["REMOTE_ADDR"])
    through_nginx = RequestFactory().get("/", REMOTE_ADDR="", HTTP_X_REAL_IP="203.0.113.9")  # gunicorn's socket
    from_elsewhere = RequestFactory().get("/", REMOTE_ADDR="198.51.100.7", HTTP_X_REAL_IP="203.0.113.9")
    # Another process on this machine reaching a gunicorn on TCP loopback is not nginx either.
    from_loopback = RequestFactory().get("/", REMOTE_ADDR="127.0.0.1", HTTP_X_REAL_IP="203.0.113.9")
    settings.BEHIND_PROXY = True
    assert seen(through_nginx) == "203.0.113.9"
    assert seen(from_elsewhere) == "198.51.100.7"
    assert seen(from_loopback) == "127.0.0.1"
    settings.BEHIND_PROXY = False
    through_nginx.META["REMOTE_ADDR"] = ""
    assert seen(through_nginx) == ""


def production_settings(names: str, **environment) -> str:
    """The settings `names` ("A, B") print under production variables plus `environment`, in a fresh process."""
    code = f"from django.conf import settings as s; print(*(getattr(s, name) for name in '{names}'.split(', ')))"
    env = {key: value for key, value in os.environ.items() if not key.startswith("DJANGO_")}
    result = subprocess.run(
        [sys.executable, "-c", f"import django; django.setup(); {code}"],
        cwd=settings.BASE_DIR,
        capture_output=True,
        text=True,
        timeout=60,
        env=env | PRODUCTION | environment | {"DJANGO_SETTINGS_MODULE": "emojify_site.settings"},
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def test_plain_http_production_settings_send_cookies_without_secure():
    for https, expected in (("1", "True True True"), ("0", "False False False")):
        assert (
            production_settings("CSRF_COOKIE_SECURE, SESSION_COOKIE_SECURE, SECURE_SSL_REDIRECT", DJANGO_HTTPS=https)
            == expected
        )


def test_hsts_lasts_a_year_and_says_preload_only_when_it_does():
    for seconds, expected in (("", "31536000 True True"), ("2592000", "2592000 False True")):
        assert (
            production_settings(
                "SECURE_HSTS_SECONDS, SECURE_HSTS_PRELOAD, SECURE_HSTS_INCLUDE_SUBDOMAINS", DJANGO_HSTS_SECONDS=seconds
            )
            == expected
        )


def test_nginx_workers_read_the_static_files_as_the_checkout_owner_and_never_as_root(tmp_path):
    """Started as root, nginx would run its worker as `nobody`, who cannot read a checkout in a private folder
    (every static file a 403, seen in a clone under a mktemp directory), so it runs as the checkout's owner —
    but never as root: a root-owned checkout's worker is `nobody` (reading a copy of the static files, see
    test_serving_limits). As anyone else it is the caller."""
    import grp
    import pwd
    from pathlib import Path

    from deploy.management.commands.serve import render_nginx_config

    config = render_nginx_config(
        prefix=tmp_path, listen="127.0.0.1:8000", upstream="unix:/x/gunicorn.sock", api_rate=20, api_burst=40
    )
    user_lines = [line for line in config.splitlines() if line.startswith("user ")]
    owner = pwd.getpwuid(Path(settings.BASE_DIR).stat().st_uid)
    worker = owner if owner.pw_uid != 0 else pwd.getpwnam("nobody")
    group = grp.getgrgid(worker.pw_gid).gr_name
    assert user_lines == ([f"user {worker.pw_name} {group};"] if os.geteuid() == 0 else [])
    assert "user root" not in config
    settings_lines = "\n".join(line for line in config.splitlines() if not line.lstrip().startswith("#"))
    assert not re.search(r"@[A-Z_]+@", settings_lines), "a placeholder left unfilled"


def test_clearing_visitor_avatars_on_a_database_never_migrated_says_what_to_do(tmp_path):
    result = manage("clear_visitor_avatars", DATABASE_URL=f"sqlite:///{tmp_path / 'new.sqlite3'}")
    assert result.returncode == 1
    assert "run `python manage.py migrate` first" in result.stderr
    assert "Traceback" not in result.stderr


FAKE_OLD_PYTHON = """#!/bin/sh
case "$1" in
  --version) echo "Python 3.9.2" ;;
  -c) exec "{python}" -c "import sys; sys.version_info = (3, 9, 2, 'final', 0); exec(sys.argv[1])" "$2" ;;
  *) exit 3 ;;
esac
"""


def test_make_run_refuses_an_old_python_in_one_clear_line(tmp_path):
    """Before creating anything: the Makefile asks the interpreter its version and says what to do."""
    python = tmp_path / "python3.9"
    python.write_text(FAKE_OLD_PYTHON.format(python=sys.executable))
    python.chmod(0o755)
    result = subprocess.run(
        ["make", "run", f"VENV={tmp_path / 'venv'}", f"PYTHON={python}"],
        cwd=settings.BASE_DIR,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode != 0 and not (tmp_path / "venv").exists()
    assert f"emojify needs Python 3.11 or newer; {python} is Python 3.9.2." in result.stderr
    assert "make run PYTHON=python3.11" in result.stderr


def make_run(*arguments, **environment) -> subprocess.Popen:
    """`make run ARGUMENTS` in a session of its own (os.killpg stops make and the server together), with none
    of this run's DJANGO_/DATABASE_ settings. The virtualenv is this test's own, which make installed: `-o`
    keeps make from installing it again when requirements.txt is newer than its stamp (a fresh checkout)."""
    env = {key: value for key, value in os.environ.items() if not key.startswith(("DJANGO_", "DATABASE_"))}
    return subprocess.Popen(
        ["make", "--no-print-directory", "-o", f"{sys.prefix}/.runtime-installed", "run", f"VENV={sys.prefix}"]
        + list(arguments),
        cwd=settings.BASE_DIR,
        env=env | {"EMOJIFY_PRELOAD_MODEL": "0"} | environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )


def wait_until_listening(process: subprocess.Popen, port: int, timeout: float = 600) -> None:
    """Until something accepts connections on the port, however long migrate and a busy host take; `timeout`
    only stops one that hangs, and a make that exits fails at once with what it said."""
    started = time.monotonic()
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=5).close()
            return
        except OSError:
            pass
        if process.poll() is not None or time.monotonic() - started > timeout:
            os.killpg(process.pid, signal.SIGTERM)
            raise AssertionError("make run did not start serving:\n" + process.communicate(timeout=30)[0][-3000:])
        time.sleep(0.1)


def get(port: int, path: str, host: str | None = None) -> tuple[int, str]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    connection.request("GET", path, headers={"Host": host} if host else {})
    response = connection.getresponse()
    body = response.read().decode(errors="replace")
    connection.close()
    return response.status, body


def test_make_run_answers_a_mistyped_address_with_the_sites_own_404_and_serves_static_files(tmp_path):
    """A new user's `make run` showed Django's debug 404 (the URL patterns, "DEBUG = True", and a CSP error for
    its inline style): it now serves with debugging off, over plain HTTP, static files and all, with a secret
    key of its own made once (the settings refuse debug-off without one) and the loopback host names."""
    from testkit.live_http import free_port

    port, key = free_port(), tmp_path / "secret-key"
    process = make_run(f"PORT={port}", f"LOCAL_SECRET_KEY={key}", DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}")
    try:
        wait_until_listening(process, port)
        status, page = get(port, "/avatars/nwe/")
        assert status == 404
        assert "There is no page at this address" in page  # templates/404.html
        assert "URL patterns" not in page and "URLconf" not in page and "DEBUG = True" not in page
        status, script = get(port, "/static/js/generate.js")
        assert status == 200 and "use strict" in script
        status, home = get(port, "/", host=f"localhost:{port}")
        stylesheet = re.search(r'href="(/static/css/site\.[0-9a-f]{12}\.css)"', home)  # collectstatic's name
        assert status == 200 and stylesheet and get(port, stylesheet.group(1))[0] == 200
        assert get(port, "/", host=f"emojify.example.com:{port}")[0] == 400  # ALLOWED_HOSTS still holds
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        output = process.communicate(timeout=60)[0]
    assert "Internal Server Error" not in output, output[-3000:]  # how Django logs a 500
    assert key.stat().st_mode & 0o777 == 0o600 and len(key.read_text().strip()) >= 50


def test_make_run_on_every_address_answers_to_this_machines_names_and_make_dev_debugs():
    """HOST=0.0.0.0 is for other machines on the network, which name this one by its host name or address."""
    listed = subprocess.run(
        ["make", "-n", "-o", f"{sys.prefix}/.runtime-installed", "run", f"VENV={sys.prefix}", "HOST=0.0.0.0"],
        cwd=settings.BASE_DIR,
        capture_output=True,
        text=True,
        timeout=60,
    ).stdout
    served = [line for line in listed.splitlines() if "runserver" in line]
    assert len(served) == 1 and "DJANGO_DEBUG=0 " in served[0] and "DJANGO_HTTPS=0 " in served[0]
    hosts = re.search(r'DJANGO_ALLOWED_HOSTS="\$\{DJANGO_ALLOWED_HOSTS:-([^}"]*)\}"', served[0]).group(1).split(",")
    assert {"127.0.0.1", "localhost", socket.gethostname()} <= set(hosts)
    dev = subprocess.run(
        ["make", "-n", "-o", f"{sys.prefix}/.runtime-installed", "dev", f"VENV={sys.prefix}"],
        cwd=settings.BASE_DIR,
        capture_output=True,
        text=True,
        timeout=60,
    ).stdout
    assert "DJANGO_DEBUG=1 " in [line for line in dev.splitlines() if "runserver" in line][0]
