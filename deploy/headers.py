"""Content-Security-Policy and Permissions-Policy on every HTML response.

Django 5.2 has no CSP (6.0 adds django.middleware.csp with a SECURE_CSP setting). The site needs no nonce and no
hash: no page has an inline script, event handler or style attribute (scripts and styles are files under
static/; a colour swatch is an SVG fill), so the policy is one fixed header, which a few lines here send instead
of a dependency (django-csp). The setting keeps Django 6.0's name and shape, a dict of directive → sources, so
moving to Django's own middleware is deleting this one.
"""

from __future__ import annotations

from django.conf import settings


def policy_header(directives: dict[str, list[str]]) -> str:
    return "; ".join(" ".join([directive, *sources]) for directive, sources in directives.items())


class SecurityHeadersMiddleware:
    """settings.SECURE_CSP as Content-Security-Policy and settings.PERMISSIONS_POLICY as Permissions-Policy on
    every text/html response that does not set its own."""

    def __init__(self, get_response):
        self.get_response = get_response
        self.csp = policy_header(settings.SECURE_CSP)
        self.permissions = ", ".join(f"{feature}={allow}" for feature, allow in settings.PERMISSIONS_POLICY.items())

    def __call__(self, request):
        response = self.get_response(request)
        if response.get("Content-Type", "").startswith("text/html"):
            response.headers.setdefault("Content-Security-Policy", self.csp)
            response.headers.setdefault("Permissions-Policy", self.permissions)
        return response
