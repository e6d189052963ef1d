"""Production settings: `check --deploy` is clean, and debug-off refuses to start without a secret key."""
import os
import subprocess
import sys

from django.conf import settings

PRODUCTION = {
    "DJANGO_DEBUG": "0",
    "DJANGO_SECRET_KEY": "a-long-random-production-secret-key-with-more-than-fifty-characters-0123456789",
    "DJANGO_ALLOWED_HOSTS": "emojify.example.com",
    "EMOJIFY_PRELOAD_MODEL": "0",
}


def manage(*arguments, **environment):
    env = {key: value for key, value in os.environ.items() if not key.startswith(("DJANGO_", "DATABASE_"))}
    return subprocess.run([sys.executable, "manage.py", *arguments], cwd=settings.BASE_DIR, capture_output=True,
                          text=True, env=env | environment, timeout=120)


def test_check_deploy_is_clean_with_production_variables():
    result = manage("check", "--deploy", "--fail-level", "WARNING", **PRODUCTION)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_debug_off_requires_a_secret_key():
    result = manage("check", **(PRODUCTION | {"DJANGO_SECRET_KEY": ""}))
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY must be set" in result.stderr


def test_database_url_selects_postgresql():
    code = "from django.conf import settings; print(settings.DATABASES['default']['ENGINE'])"
    result = subprocess.run([sys.executable, "-c", f"import django; django.setup(); {code}"], cwd=settings.BASE_DIR,
                            capture_output=True, text=True, timeout=60,
                            env=os.environ | {"DJANGO_SETTINGS_MODULE": "emojify_site.settings",
                                              "DATABASE_URL": "postgres://user:pw@db.internal:5432/emojify"})
    assert result.stdout.strip() == "django.db.backends.postgresql", result.stderr
