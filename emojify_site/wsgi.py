"""WSGI entry point: `gunicorn emojify_site.wsgi` (see docs/deploy.md for the production command)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "emojify_site.settings")
application = get_wsgi_application()

# Load and warm the emotion model before the first request (runserver and gunicorn both import this).
from django.conf import settings  # noqa: E402

if settings.EMOJIFY_PRELOAD_MODEL:
    from recognition.faces import warm_up  # noqa: E402

    warm_up()
