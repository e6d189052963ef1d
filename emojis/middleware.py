"""Every error under /api/ is JSON, whatever raised it.

The API views answer their own errors as {"error": "…"}; this catches the rest — Django's own 400 for a body it
cannot parse or that is too big (raised while the CSRF check reads the form, before any view runs), 404 for an
unknown endpoint, 405 from a view's method check, a 500 — and answers them in the same shape. Pages keep their
HTML error pages (templates/400.html … 500.html), and a page a view says is not there gets the site's own 404
page (NotFoundPageMiddleware).
"""

from __future__ import annotations

from django.conf import settings
from django.http import Http404, JsonResponse
from django.shortcuts import render

MESSAGES = {
    400: "malformed request: send multipart/form-data, a urlencoded form or a JSON object",
    403: "forbidden",
    404: "no such API endpoint: see docs/api.md",
    413: "request body is larger than {limit} MB",
    500: "internal error: the request could not be answered",
}


class JsonApiErrorsMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if (
            not request.path.startswith("/api/")
            or response.status_code < 400
            or response.get("Content-Type", "").startswith("application/json")
        ):
            return response
        status = response.status_code
        if status == 400 and self.body_too_large(request):
            status = 413  # Django refuses an oversized form body with a plain 400
        if status == 405:
            message = f"method {request.method} not allowed: use {response.get('Allow', 'another method')}"
        else:
            message = MESSAGES.get(status, MESSAGES[500] if status >= 500 else "request refused").format(
                limit=settings.MAX_IMAGE_BYTES // (1024 * 1024)
            )
        answer = JsonResponse({"error": message}, status=status)
        # What the layers below set stays (Allow, and the security middlewares' nosniff, X-Frame-Options,
        # HSTS, Referrer-Policy…): only the body and what describes it are replaced.
        for header, value in response.items():
            if not header.lower().startswith("content-"):
                answer[header] = value
        return answer

    @staticmethod
    def body_too_large(request) -> bool:
        try:
            return int(request.META.get("CONTENT_LENGTH") or 0) > settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        except ValueError:
            return False


class NotFoundPageMiddleware:
    """A page a view says is not there (an avatar deleted, or someone else's) gets the site's own 404 page even
    with DEBUG on, as `make dev` serves the site: Django's debug 404 showed a visitor a yellow technical page about
    URLconfs and settings. Addresses no URL matches keep Django's debug page under DEBUG (its list of URL patterns
    is for developers); with DEBUG off every 404 is templates/404.html. /api/ answers JSON as before."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if isinstance(exception, Http404) and not request.path.startswith("/api/"):
            return render(request, "404.html", status=404)
        return None
