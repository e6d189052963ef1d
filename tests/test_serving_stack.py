"""The production pair for real: `manage.py serve` (nginx in front of gunicorn) on loopback, production
settings over plain HTTP. Slow uploads do not starve the workers, a killed worker loses no later request, and
every hostile input gets its 4xx JSON, nginx's own refusals included. However fast or busy the host: every
client talks from a loopback address of its own (testkit/live_http.py), so only the rate-limit test meets nginx's
per-address limit, and nothing waits on a clock but a bound on a hang (a read times out after 60 s)."""

import io
import os
import select
import shutil
import signal
import socket
import threading
import time
import zlib
from pathlib import Path

import pytest
from django.conf import settings
from PIL import Image

from testkit import images
from testkit.live_http import TLS_TERMINATOR, multipart, running_stack, unread_bytes

NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
WORKERS, THREADS = 2, 2

pytestmark = pytest.mark.skipif(
    not Path(NGINX).is_file(), reason="nginx is not installed: `make test` installs Debian's nginx package"
)


@pytest.fixture(scope="module")
def stack():
    with running_stack(workers=WORKERS, threads=THREADS) as running:
        yield running


def test_behind_a_tls_terminator_django_sees_https():
    """With HTTPS on, behind a balancer that terminates TLS: nginx passes its X-Forwarded-Proto on, so
    Django answers rather than redirecting to https for ever; a request without the header is redirected, and
    so is one whose client says https itself without being the trusted terminator (it used to be believed)."""
    with running_stack(workers=1, threads=1, https=True) as stack:
        client = stack.client(source=TLS_TERMINATOR)
        assert client.request("GET", "/api/csrf", headers={"X-Forwarded-Proto": "https"}).status == 200
        plain = client.request("GET", "/api/csrf")
        assert plain.status == 301 and plain.headers["Location"].startswith("https://")
        claimed = stack.client().request("GET", "/api/csrf", headers={"X-Forwarded-Proto": "https"})
        assert claimed.status == 301 and claimed.headers["Location"].startswith("https://")
        # nginx's own static files carry Django's HSTS, a year with preload (it said preload with 30 days).
        page = client.request("GET", "/api/csrf", headers={"X-Forwarded-Proto": "https"})
        static = client.request("GET", "/static/favicon.svg", headers={"X-Forwarded-Proto": "https"})
        assert static.status == 200 and static.headers["X-Content-Type-Options"] == "nosniff"
        assert (
            static.headers["Strict-Transport-Security"]
            == page.headers["Strict-Transport-Security"]
            == "max-age=31536000; includeSubDomains; preload"
        )


def frame() -> bytes:
    return images.encode(images.webcam_frame())


def test_a_face_is_read_through_nginx_and_static_files_are_served(stack):
    client = stack.client()
    answer = client.post("/api/emotion", {"image": frame()})
    assert answer.status == 200 and answer.headers["Server"] == "nginx"
    assert answer.json()["faces"][0]["emotion"] == "happy"
    static = client.get("/static/favicon.svg")
    assert static.status == 200 and static.content_type == "image/svg+xml"


def still_waiting(connection: socket.socket) -> bool:
    """Open, and the server has answered nothing on it: nothing to read, not even the end of the stream."""
    readable, _, _ = select.select([connection], [], [], 0)
    return not readable


def test_slow_uploads_do_not_starve_the_workers(stack):
    """More stalled uploads than the workers have threads: nginx holds them, gunicorn never sees them. No
    clock decides: once nginx has read what the stalled clients sent, a request is answered while every one
    of them is still open and unanswered (they trickle a byte a second, so nginx's 10-s body timeout never
    ends them, however long a busy host takes). Were they holding gunicorn's threads, it would never be."""
    stalled = []
    for _ in range(WORKERS * THREADS * 2):
        connection = socket.create_connection(("127.0.0.1", stack.port), timeout=5, source_address=(stack.address(), 0))
        connection.sendall(
            b"POST /api/emotion HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            b"Content-Type: multipart/form-data; boundary=zzz\r\nContent-Length: 1000000\r\n\r\n"
            + b"--zzz\r\n"
            + b"x" * 1024
        )
        stalled.append(connection)
    stop = threading.Event()

    def trickle():
        while not stop.wait(1):
            for connection in stalled:
                connection.sendall(b"x")

    trickler = threading.Thread(target=trickle, daemon=True)
    try:
        began = time.monotonic()
        while any(unread_bytes(connection, stack.port) != 0 for connection in stalled):
            assert time.monotonic() - began < 120, "nginx never read the stalled uploads"  # a hang, not a speed
            time.sleep(0.05)
        trickler.start()
        client = stack.client()
        assert client.get("/api/csrf").status == 200
        assert client.post("/api/emotion", {"image": frame()}).status == 200
        assert all(still_waiting(connection) for connection in stalled)
    finally:
        stop.set()
        if trickler.is_alive():
            trickler.join()
        for connection in stalled:
            connection.close()


def test_killing_a_worker_loses_no_request_after_it(stack):
    before = stack.workers()
    assert len(before) == WORKERS
    victim = min(before)
    os.kill(victim, signal.SIGKILL)
    killed_at = time.monotonic()
    data = frame()
    answers = [stack.client().post("/api/emotion", {"image": data}) for _ in range(12)]  # fresh connections
    assert [answer.status for answer in answers] == [200] * 12
    while len(stack.workers() - {victim}) < WORKERS:  # gunicorn forks a replacement from the preloaded master
        assert time.monotonic() - killed_at < 120, "no replacement worker within 120 s"  # a hang, not a speed
        time.sleep(0.05)
    assert stack.client().post("/api/emotion", {"image": data}).status == 200


def png(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()


def header_claiming_png(side: int) -> bytes:
    data = bytearray(png(Image.new("L", (64, 64))))
    data[16:24] = side.to_bytes(4, "big") * 2
    data[29:33] = zlib.crc32(bytes(data[12:29])).to_bytes(4, "big")
    return bytes(data[:65])


HOSTILE_FILES = {
    "truncated JPEG": (images.encode(images.astronaut_bgr())[:300], 400, "truncated or corrupt"),
    "PNG whose header claims 20000×20000": (header_claiming_png(20000), 413, "too large"),
    "PNG of 10000×10000": (png(Image.new("L", (10000, 10000))), 413, "10000×10000"),
    "PNG of 7999×5000": (png(Image.new("L", (7999, 5000))), 413, "7999×5000"),
    "not an image": (b"GIF89a and then some", 400, "not an image"),
}


@pytest.mark.parametrize("name", list(HOSTILE_FILES))
@pytest.mark.parametrize("path", ["/api/emotion", "/api/emoji", "/api/emojify"])
def test_every_hostile_file_gets_its_4xx_json_on_every_image_endpoint(stack, path, name):
    data, status, message = HOSTILE_FILES[name]
    answer = stack.client().post(path, {"image": data})
    assert answer.status == status, answer.body[:200]
    if status != 200:
        assert answer.content_type == "application/json" and message in answer.json()["error"]


def test_every_refusal_under_api_is_json_nginx_and_django_alike(stack):
    client = stack.client()
    token = client.get("/api/csrf").json()["csrfToken"]
    upload, upload_type = multipart({"image": frame()})
    too_big = b"a=" + b"x" * (settings.MAX_REQUEST_BYTES + 10)
    refusals = [
        (
            client.request(
                "POST",
                "/api/emotion",
                too_big,
                {"Content-Type": "application/x-www-form-urlencoded", "X-CSRFToken": token},
            ),
            413,
            "larger than 8 MB",
        ),
        (
            client.request(
                "POST", "/api/emotion", b"--zzz\r\n", {"Content-Type": "multipart/form-data", "X-CSRFToken": token}
            ),
            400,
            "malformed",
        ),
        (client.request("POST", "/api/csrf", b"", {"X-CSRFToken": token}), 405, "use GET"),
        (client.get("/api/no-such-endpoint"), 404, "no such API endpoint"),
        (stack.client().request("POST", "/api/emotion", upload, {"Content-Type": upload_type}), 403, "CSRF"),
    ]
    for answer, status, message in refusals:
        assert answer.status == status, answer.body[:200]
        assert answer.content_type == "application/json" and message in answer.json()["error"]


def test_one_address_over_the_rate_limit_gets_429_json_and_others_do_not(stack):
    hammering, neighbour = stack.client(source="127.0.0.2"), stack.client(source="127.0.0.3")
    statuses = [hammering.get("/api/csrf").status for _ in range(80)]
    assert statuses.count(429) > 0 and statuses[:40] == [200] * 40  # the burst of 40 passes
    refused = hammering.get("/api/csrf")
    assert refused.status == 429 and refused.content_type == "application/json"
    assert "too many requests" in refused.json()["error"] and refused.headers["Retry-After"] == "1"
    assert neighbour.get("/api/csrf").status == 200
