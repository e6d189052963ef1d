from django.apps import AppConfig


class DeployConfig(AppConfig):
    """How the site is served: `manage.py serve` (nginx from deploy/nginx.conf in front of gunicorn), the
    client address behind that nginx, and the security headers on every page."""

    name = "deploy"
    verbose_name = "Serving"
