"""Base class for the JSON endpoints that take an image: every failure is a 4xx {"error": "…"}, never a 500."""

from __future__ import annotations

import json

from django.conf import settings
from django.core.exceptions import BadRequest, RequestDataTooBig, SuspiciousOperation
from django.http import JsonResponse, QueryDict
from django.http.multipartparser import MultiPartParserError
from django.views import View

from avatars.forms import errors_text


def json_error(message: str, status: int = 400) -> JsonResponse:
    return JsonResponse({"error": message}, status=status)


class ImageAPIView(View):
    """POST only. Subclasses set `form_class` and implement `form_valid(form)`."""

    http_method_names = ["post", "options"]
    form_class = None
    max_body_bytes = None  # settings.MAX_REQUEST_BYTES (an 8 MB image as a data: URL)
    empty_body_error = "empty request body: send the image as multipart field 'image'"

    def http_method_not_allowed(self, request, *args, **kwargs):
        response = json_error(f"method {request.method} not allowed: use POST", status=405)
        response["Allow"] = "POST"
        return response

    def dispatch(self, request, *args, **kwargs):
        if request.method == "POST":
            try:
                length = int(request.META.get("CONTENT_LENGTH") or 0)
            except ValueError:
                return json_error("invalid Content-Length header")
            # Refused before the body is read, so an oversized upload never reaches memory or disk.
            if length > (self.max_body_bytes or settings.MAX_REQUEST_BYTES):
                limit = (
                    f"{self.max_body_bytes // 1024} KB"
                    if self.max_body_bytes
                    else f"{settings.MAX_IMAGE_BYTES // (1024 * 1024)} MB"
                )
                return json_error(f"request body is larger than {limit}", status=413)
            if length == 0:
                return json_error(self.empty_body_error)
        return super().dispatch(request, *args, **kwargs)

    def request_data(self):
        """Form fields from multipart/urlencoded POST or a JSON object body."""
        if self.request.content_type == "application/json":
            try:
                payload = json.loads(self.request.body)
            except (ValueError, UnicodeDecodeError, RecursionError):  # RecursionError: nested too deep
                raise BadRequest("the JSON body is not valid JSON") from None
            if not isinstance(payload, dict):
                raise BadRequest("the JSON body must be an object")
            data = QueryDict(mutable=True)
            for key, value in payload.items():
                if value is None:  # JSON null: as if the key were not given
                    continue
                data[key] = value if isinstance(value, str) else json.dumps(value)
            return data, {}
        return self.request.POST, self.request.FILES

    def get_form_kwargs(self) -> dict:
        return {}

    def post(self, request, *args, **kwargs):
        try:
            data, files = self.request_data()
        except (MultiPartParserError, RequestDataTooBig, SuspiciousOperation, BadRequest) as error:
            return json_error(str(error) or "malformed request body")
        form = self.form_class(data=data, files=files, **self.get_form_kwargs())
        if not form.is_valid():
            return self.form_invalid(form)
        return self.form_valid(form)

    def form_invalid(self, form) -> JsonResponse:
        too_large = any(error.code == "too_large" for errors in form.errors.as_data().values() for error in errors)
        # The image's messages name the image themselves ("not an image: …"), and pages show them to people
        # as they are; other fields are named for the API client.
        return json_error(errors_text(form, unnamed=("image",)), status=413 if too_large else 400)

    def form_valid(self, form):
        raise NotImplementedError
