"""A small HTTP client for a running server (the serving-stack test and bench/http_load.py): the CSRF
handshake an API client does (GET /api/csrf, then cookie + X-CSRFToken), multipart uploads, and a chosen
loopback source address, so that several clients on one machine count as several addresses for nginx's
per-address rate limit."""
from __future__ import annotations

import http.client
import json
import uuid
from dataclasses import dataclass
from http.cookies import SimpleCookie


@dataclass
class Answer:
    status: int
    headers: http.client.HTTPMessage
    body: bytes

    @property
    def content_type(self) -> str:
        return self.headers.get("Content-Type", "")

    def json(self):
        return json.loads(self.body)


def multipart(fields: dict[str, str | bytes]) -> tuple[bytes, str]:
    """multipart/form-data: bytes values are sent as files, str values as plain fields."""
    boundary = uuid.uuid4().hex
    parts = []
    for name, value in fields.items():
        if isinstance(value, bytes):
            head = (f'Content-Disposition: form-data; name="{name}"; filename="{name}"\r\n'
                    "Content-Type: application/octet-stream\r\n")
        else:
            head, value = f'Content-Disposition: form-data; name="{name}"\r\n', value.encode()
        parts.append(f"--{boundary}\r\n{head}\r\n".encode() + value + b"\r\n")
    return b"".join(parts) + f"--{boundary}--\r\n".encode(), f"multipart/form-data; boundary={boundary}"


class ApiClient:
    """One keep-alive connection, reopened when the server closes it; the CSRF token fetched on first POST."""

    def __init__(self, host: str, port: int, *, source: str | None = None, timeout: float = 10):
        self.host, self.port, self.timeout = host, port, timeout
        self.source = (source, 0) if source else None
        self.connection = None
        self.cookies: dict[str, str] = {}
        self.token = None

    def request(self, method: str, path: str, body: bytes | None = None, headers: dict | None = None) -> Answer:
        headers = dict(headers or {})
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{name}={value}" for name, value in self.cookies.items())
        while True:
            reused = self.connection is not None
            if not reused:
                self.connection = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout,
                                                             source_address=self.source)
            try:
                self.connection.request(method, path, body=body, headers=headers)
                response = self.connection.getresponse()
                answer = Answer(response.status, response.headers, response.read())
                break
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                self.close()
                if not reused:  # only a kept-alive connection the server closed meanwhile is tried again
                    raise
        for header in answer.headers.get_all("Set-Cookie") or []:
            self.cookies.update({name: morsel.value for name, morsel in SimpleCookie(header).items()})
        if answer.headers.get("Connection", "").lower() == "close":
            self.close()
        return answer

    def get(self, path: str) -> Answer:
        return self.request("GET", path)

    def post(self, path: str, fields: dict[str, str | bytes]) -> Answer:
        """A CSRF-checked multipart POST, as a script using the JSON API sends it."""
        if self.token is None:
            self.token = self.get("/api/csrf").json()["csrfToken"]
        body, content_type = multipart(fields)
        return self.request("POST", path, body, {"Content-Type": content_type, "X-CSRFToken": self.token})

    def close(self) -> None:
        if self.connection is not None:
            self.connection.close()
            self.connection = None
