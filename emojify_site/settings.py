"""Settings for the emojify site, read from environment variables with safe local defaults.

Local use needs no variables (debug on, SQLite in the project folder; `make run` turns debug off with a key of
its own, the Makefile says how). Production sets DJANGO_DEBUG=0,
DJANGO_SECRET_KEY, DJANGO_ALLOWED_HOSTS and usually DATABASE_URL=postgres://…
"""

import os
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent


def env_flag(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value.strip() == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str) -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEBUG = env_flag("DJANGO_DEBUG", True)
SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "DJANGO_SECRET_KEY must be set when DJANGO_DEBUG is off, e.g. export "
            "DJANGO_SECRET_KEY=$(python3 -c 'import secrets; print(secrets.token_urlsafe(50))')"
        )
    SECRET_KEY = "django-insecure-local-development-only"
ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", "127.0.0.1,localhost,[::1]" if DEBUG else "")
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS", "")

INSTALLED_APPS = [
    "accounts.apps.AdminConfig",  # django.contrib.admin with the password throttle
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "avatars",
    "recognition",
    "emojis",
    "accounts",
    "deploy",
]

# Behind the repo's nginx (manage.py serve sets this), every request comes from nginx's loopback address:
# the client's own is in nginx's X-Real-IP header (the log-in throttle counts failures per address).
BEHIND_PROXY = env_flag("DJANGO_BEHIND_PROXY", False)
# An app node on its own machine (manage.py serve --bind) is reached over TCP from the balancer's nginx: its
# X-Real-IP is believed from these peer addresses only (serve --balancer sets them).
PROXY_ADDRESSES = env_list("DJANGO_PROXY_ADDRESSES", "")

MIDDLEWARE = [
    "emojis.middleware.JsonApiErrorsMiddleware",  # outermost: sees the errors of every layer below
    "deploy.proxy.ProxiedClientAddressMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "deploy.headers.SecurityHeadersMiddleware",  # Content-Security-Policy, Permissions-Policy
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "accounts.throttle.KnownDeviceMiddleware",
    "emojis.middleware.NotFoundPageMiddleware",  # innermost: the views' Http404, DEBUG or not
]

ROOT_URLCONF = "emojify_site.urls"
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ]
        },
    }
]
WSGI_APPLICATION = "emojify_site.wsgi.application"
ASGI_APPLICATION = "emojify_site.asgi.application"


def database_from_url(url: str) -> dict:
    """DATABASE_URL read into Django's setting, or one line saying what is wrong with it (never the password).
    Managed PostgreSQL: TLS through the URL's query (?sslmode=verify-full&sslrootcert=/path/ca.pem), how long a
    connection is kept open between requests in DATABASE_CONN_MAX_AGE (seconds; 0: one per request), and a
    kept connection is checked before a request uses it (the server may have closed it meanwhile)."""
    scheme = url.partition("://")[0].lower() if "://" in url else ""
    if scheme not in DATABASE_SCHEMES:
        shown = f"'{scheme}://…'" if scheme else "no scheme"
        raise ImproperlyConfigured(
            f"DATABASE_URL must start with postgres:// or sqlite:/// (it has {shown}), "
            "e.g. DATABASE_URL=postgres://user:password@host:5432/emojify"
        )
    max_age = os.environ.get("DATABASE_CONN_MAX_AGE", "60").strip()
    if not max_age.isdigit():
        raise ImproperlyConfigured(f"DATABASE_CONN_MAX_AGE must be a whole number of seconds, not {max_age!r}")
    try:
        database = dj_database_url.parse(url, conn_max_age=int(max_age), conn_health_checks=True)
    except ValueError as error:
        raise ImproperlyConfigured(f"DATABASE_URL cannot be read: {str(error).splitlines()[0]}") from None
    if scheme != "sqlite":  # a database that does not answer is said within seconds, not after minutes
        database.setdefault("OPTIONS", {}).setdefault("connect_timeout", 10)
    return database


DATABASE_SCHEMES = {"postgres", "postgresql", "pgsql", "sqlite"}
DATABASES = {
    "default": database_from_url(os.environ.get("DATABASE_URL", "").strip() or f"sqlite:///{BASE_DIR / 'db.sqlite3'}")
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = BASE_DIR / "staticfiles"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if not DEBUG
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}

# Uploaded frames are biometric data: keep them in memory only (no temporary files on disk).
MAX_IMAGE_BYTES = 8 * 1024 * 1024
# A data: URL carries the same image base64-encoded (4/3 larger) plus form overhead.
MAX_REQUEST_BYTES = MAX_IMAGE_BYTES * 4 // 3 + 64 * 1024
FILE_UPLOAD_HANDLERS = ["django.core.files.uploadhandler.MemoryFileUploadHandler"]
FILE_UPLOAD_MAX_MEMORY_SIZE = MAX_REQUEST_BYTES
DATA_UPLOAD_MAX_MEMORY_SIZE = MAX_REQUEST_BYTES

# The emotion model: the shipped weights (ml/weights/emotion_cnn.keras) unless EMOJIFY_MODEL_PATH points elsewhere.
EMOJIFY_MODEL_PATH = os.environ.get("EMOJIFY_MODEL_PATH") or None
# Load and warm the model when the process starts, so the first request is as fast as the rest.
EMOJIFY_PRELOAD_MODEL = env_flag("EMOJIFY_PRELOAD_MODEL", True)
# Cores one emotion call may use (0: all). One: a one-face call is too small to share, and a second thread
# pool beside OpenCV's only makes both wait; parallelism comes from serving requests side by side.
EMOJIFY_TF_THREADS = int(os.environ.get("EMOJIFY_TF_THREADS", "1"))

# Production is served over HTTPS (a TLS terminator in front of nginx): redirect, HSTS, Secure cookies.
# DJANGO_HTTPS=0 is for trying the production stack over plain HTTP on one machine (docs/deploy.md): with
# Secure cookies a client over http:// never sends the csrftoken cookie back, so every POST would be refused.
HTTPS = env_flag("DJANGO_HTTPS", not DEBUG)
if not DEBUG:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
if HTTPS:
    SECURE_SSL_REDIRECT = env_flag("DJANGO_SECURE_SSL_REDIRECT", True)
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    # A year, the least browsers' preload lists take: `preload` is said only with an age that allows it (it was
    # said with 30 days). nginx sends the same header on the static files it serves (manage.py serve).
    SECURE_HSTS_SECONDS = int(os.environ.get("DJANGO_HSTS_SECONDS") or 60 * 60 * 24 * 365)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = SECURE_HSTS_SECONDS >= 60 * 60 * 24 * 365

# Content-Security-Policy on every HTML page (deploy/headers.py; Django 6.0's setting name). Scripts and
# styles only from our own files, never inline; images also from blob: (an emoji just made, shown before it is
# downloaded), which share.js reads back with fetch (connect-src). No plug-ins, no <base>, no framing (as
# X-Frame-Options: DENY), forms post only here. The camera (getUserMedia) is the page's own origin's, nobody
# else's: Permissions-Policy.
SECURE_CSP = {
    "default-src": ["'self'"],
    "script-src": ["'self'"],
    "style-src": ["'self'"],
    "img-src": ["'self'", "blob:"],
    "connect-src": ["'self'", "blob:"],
    "object-src": ["'none'"],
    "base-uri": ["'none'"],
    "form-action": ["'self'"],
    "frame-ancestors": ["'none'"],
}
PERMISSIONS_POLICY = {"camera": "(self)"}

# Frames and request bodies are never logged: Django's own loggers record only method, path and status.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "loggers": {
        "django": {"handlers": ["console"], "level": os.environ.get("DJANGO_LOG_LEVEL", "INFO"), "propagate": False}
    },
}
CSRF_FAILURE_VIEW = "emojis.views.csrf_failure"

# Accounts (django.contrib.auth): your avatars are yours (avatars.ownership).
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "avatars:list"
LOGOUT_REDIRECT_URL = "home"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": f"django.contrib.auth.password_validation.{name}"}
    for name in (
        "UserAttributeSimilarityValidator",
        "MinimumLengthValidator",
        "CommonPasswordValidator",
        "NumericPasswordValidator",
    )
]
# Page scripts read the CSRF token from the form, API clients from GET /api/csrf: no script needs the cookie.
CSRF_COOKIE_HTTPONLY = True
SESSION_COOKIE_HTTPONLY = True
# Password-reset mail: printed on the console unless an SMTP server is configured.
EMAIL_HOST = os.environ.get("EMAIL_HOST", "")
EMAIL_BACKEND = (
    "django.core.mail.backends.smtp.EmailBackend" if EMAIL_HOST else "django.core.mail.backends.console.EmailBackend"
)
EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "587"))
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_flag("EMAIL_USE_TLS", True)
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "emojify <noreply@localhost>")
