"""Abuse limits of the production pair, for real: `manage.py serve` (nginx in front of gunicorn) on loopback,
production settings over plain HTTP. Parallel password guesses check no more than the throttle allows, every
route that draws pictures has a per-address rate and concurrency limit, static files carry the security
headers, gunicorn is reached only through nginx, and nginx's worker is not root. Every test talks from
loopback addresses of its own (Stack.address), so no test spends another's budget; nothing waits on a clock.
"""

import os
import shutil
import socket
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from testkit.live_http import running_stack, unread_bytes

NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
PASSWORD = "correct horse battery staple 7"

pytestmark = pytest.mark.skipif(
    not Path(NGINX).is_file(), reason="nginx is not installed: `make test` installs Debian's nginx package"
)


@pytest.fixture(scope="module")
def stack():
    with running_stack(workers=2, threads=2) as running:
        yield running


def test_parallel_wrong_passwords_check_no_more_than_the_limit_and_the_owner_still_gets_in(stack):
    """12 wrong passwords for one name at once from one address: at most 5 are checked (they used to check 6–8,
    each counting before the others had recorded their failure), the rest are refused unchecked; the owner,
    from another address, logs in."""
    from accounts.throttle import PER_ADDRESS_AND_NAME

    assert (
        stack.client()
        .post("/accounts/signup/", {"username": "victim", "password1": PASSWORD, "password2": PASSWORD})
        .status
        == 302
    )
    guesser = stack.address()
    clients = [stack.client(source=guesser) for _ in range(12)]
    for client in clients:  # each its CSRF token first, one after another (the API takes 4 at once)
        client.token = client.get("/api/csrf").json()["csrfToken"]

    def guess(client):
        return client.post("/accounts/login/", {"username": "victim", "password": "guess"})

    with ThreadPoolExecutor(12) as pool:
        answers = list(pool.map(guess, clients))
    assert all(answer.status == 200 for answer in answers)
    checked = sum(b"Please enter a correct username" in answer.body for answer in answers)
    refused = sum(b"Too many wrong passwords" in answer.body for answer in answers)
    assert checked <= PER_ADDRESS_AND_NAME and checked + refused == 12, (checked, refused)
    right = stack.client(source=guesser).post("/accounts/login/", {"username": "victim", "password": PASSWORD})
    assert right.status == 200 and b"Too many wrong passwords" in right.body
    assert stack.client().post("/accounts/login/", {"username": "victim", "password": PASSWORD}).status == 302


def stalled_requests(stack, source: str, request_line: str, count: int) -> list[socket.socket]:
    """`count` requests from `source` whose headers nginx has read and whose body never comes: each holds a
    place in the per-address concurrency limit (counted before the body is read) until closed."""
    stalled = []
    for _ in range(count):
        connection = socket.create_connection(("127.0.0.1", stack.port), timeout=60, source_address=(source, 0))
        connection.sendall(
            f"{request_line} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 100000\r\n"
            "Content-Type: application/json\r\n\r\n".encode()
        )
        stalled.append(connection)
    began = time.monotonic()
    while any(unread_bytes(connection, stack.port) != 0 for connection in stalled):
        assert time.monotonic() - began < 120, "nginx never read the stalled requests"  # a hang, not a speed
        time.sleep(0.05)
    return stalled


@pytest.mark.parametrize(
    "request_line, at_once, probe",
    [
        ("POST /api/emojify", 2, "/api/animation"),
        ("POST /avatars/stickers.zip", 2, "/avatars/emoji/happy.svg"),
        ("POST /avatars/thumbnail/top.png", 6, "/avatars/thumbnail/hair.png"),
    ],
)
def test_drawing_routes_take_few_requests_at_once_from_one_address(stack, request_line, at_once, probe):
    """16 sticker packs or emojify uploads at once from one address held every worker (GET / waited 50 s):
    now an address has `at_once` drawing requests in progress at most, and the next is a 429; another address
    is served meanwhile."""
    source = stack.address()
    stalled = stalled_requests(stack, source, request_line, at_once)
    try:
        refused = stack.client(source=source).get(probe)
        assert refused.status == 429 and refused.headers["Retry-After"] == "1", refused.body[:200]
        if probe.startswith("/api/"):
            assert refused.content_type == "application/json" and "at once" in refused.json()["error"]
        else:
            assert refused.content_type.startswith("text/plain") and b"Too many pictures" in refused.body
        assert stack.client().get(probe).status != 429  # another address is served meanwhile
    finally:
        for connection in stalled:
            connection.close()


@pytest.mark.parametrize("path, api", [("/avatars/emoji/happy.png?top=NOPE", False), ("/api/animation", True)])
def test_drawing_routes_are_rate_limited_per_address(stack, path, api):
    """Image pages had no rate limit (150 uncached in a row all 200) and the drawing API endpoints shared the
    frames' 20 a second: now 2 a second with a burst of 10, per address (cheap refusals here, counted alike)."""
    hammering = stack.client()
    statuses = [hammering.get(path).status for _ in range(30)]
    assert 429 not in statuses[:11] and 429 in statuses, statuses
    refused = hammering.get(path)
    assert refused.status == 429 and refused.headers["Retry-After"] == "1"
    if api:
        assert refused.content_type == "application/json" and "too many requests" in refused.json()["error"]
    assert stack.client().get(path).status in (400, 405)


def test_static_files_carry_the_security_headers(stack):
    static = stack.client().get("/static/favicon.svg")
    assert static.status == 200 and static.content_type == "image/svg+xml"
    assert static.headers["X-Content-Type-Options"] == "nosniff" and static.headers["X-Frame-Options"] == "DENY"
    assert "Strict-Transport-Security" not in static.headers  # plain HTTP: no HSTS, as Django


def listening_inodes(table: str) -> set[int]:
    inodes = set()
    for line in Path(table).read_text().splitlines()[1:]:
        fields = line.split()
        if fields[3] == "0A":  # LISTEN
            inodes.add(int(fields[9]))
    return inodes


def socket_inodes(pid: int) -> set[int]:
    inodes = set()
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        try:
            target = os.readlink(fd)
        except OSError:
            continue
        if target.startswith("socket:["):
            inodes.add(int(target[8:-1]))
    return inodes


def test_gunicorn_listens_only_where_nginx_alone_reaches(stack):
    """gunicorn believed X-Real-IP from anyone who reached its loopback port: now it has no TCP port at all,
    only a Unix socket in a folder that only nginx's worker (and root) may enter."""
    gunicorn = socket_inodes(stack.master_pid)
    assert not gunicorn & (listening_inodes("/proc/net/tcp") | listening_inodes("/proc/net/tcp6"))
    paths = [
        line.split()[-1]
        for line in Path("/proc/net/unix").read_text().splitlines()[1:]
        if int(line.split()[6]) in gunicorn and line.split()[-1].startswith("/")
    ]
    assert paths, "gunicorn listens on no Unix socket"
    folder = Path(paths[0]).parent
    assert folder.stat().st_mode & 0o777 == 0o700


def test_nginx_workers_are_not_root(stack):
    """Started as root with a root-owned checkout, nginx's worker ran as root; now as the checkout's owner, or
    nobody (reading a copy of the static files: test_static_files_carry_the_security_headers gets one)."""
    listening = {
        int(line.split()[9])
        for line in Path("/proc/net/tcp").read_text().splitlines()[1:]
        if line.split()[3] == "0A" and int(line.split()[1].split(":")[1], 16) == stack.port
    }
    nginx = [
        int(pid.name)
        for pid in Path("/proc").iterdir()
        if pid.name.isdigit() and pid.name != str(os.getpid()) and socket_inodes_safe(int(pid.name)) & listening
    ]
    parents = {pid: int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1]) for pid in nginx}
    workers = [pid for pid in nginx if parents[pid] in nginx]
    assert workers, nginx
    for pid in workers:
        uid = int(
            next(
                line for line in Path(f"/proc/{pid}/status").read_text().splitlines() if line.startswith("Uid:")
            ).split()[1]
        )
        assert uid != 0, pid


def socket_inodes_safe(pid: int) -> set[int]:
    try:
        return socket_inodes(pid)
    except OSError:  # a process that ended meanwhile, or one we may not look into
        return set()
