"""The production stack on loopback and a small HTTP client for it (the serving-stack test and
bench/http_load.py): `manage.py serve` started with production settings over plain HTTP and a throw-away
database; the CSRF handshake an API client does (GET /api/csrf, then cookie + X-CSRFToken), multipart
uploads, and a loopback source address of the client's own (all of 127.0.0.0/8 is this machine), so that
several clients on one machine count as several addresses for nginx's per-address rate limits: a test that is
not about those limits never spends another's budget, however fast the host runs it."""

from __future__ import annotations

import contextlib
import http.client
import itertools
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass
from http.cookies import SimpleCookie
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# Production settings served over plain HTTP on loopback (docs/deploy.md: "Plain HTTP on one machine").
PRODUCTION_OVER_PLAIN_HTTP = {
    "DJANGO_DEBUG": "0",
    "DJANGO_HTTPS": "0",
    "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
    "DJANGO_SECRET_KEY": "loopback-stack-key-never-used-in-production-0123456789-abcdefghij",
}


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
            head = (
                f'Content-Disposition: form-data; name="{name}"; filename="{name}"\r\n'
                "Content-Type: application/octet-stream\r\n"
            )
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
                self.connection = http.client.HTTPConnection(
                    self.host, self.port, timeout=self.timeout, source_address=self.source
                )
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


def unread_bytes(connection: socket.socket, server_port: int) -> int | None:
    """What the server has not yet read of what `connection` sent (its socket's receive queue in /proc/net/tcp);
    None while the server's end is not listed."""
    client_port = connection.getsockname()[1]
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        local_port, remote_port = (int(address.split(":")[1], 16) for address in fields[1:3])
        if (local_port, remote_port) == (server_port, client_port):
            return int(fields[4].split(":")[1], 16)
    return None


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


# Addresses handed out by Stack.address(): 127.1.0.0/16, clear of the fixed ones tests and benchmarks name
# (127.0.0.x) and of one another.
FRESH_ADDRESSES = (f"127.1.{n // 250}.{n % 250 + 1}" for n in itertools.count())


@dataclass
class Stack:
    port: int
    master_pid: int  # gunicorn's
    started_seconds: float  # from launching `manage.py serve` to the site answering through nginx

    @staticmethod
    def address() -> str:
        """A loopback address no other client has used: its own budget under nginx's per-address limits."""
        return next(FRESH_ADDRESSES)

    def client(self, source: str | None = None, timeout: float = 60) -> ApiClient:
        """A client from `source`, by default from an address of its own (Stack.address); `timeout` (seconds
        a read may wait) bounds a hang, not the host's speed."""
        return ApiClient("127.0.0.1", self.port, source=source or self.address(), timeout=timeout)

    def workers(self) -> set[int]:
        children = Path(f"/proc/{self.master_pid}/task/{self.master_pid}/children").read_text().split()
        return {int(pid) for pid in children}


# The TLS terminator an HTTPS stack trusts (manage.py serve's default --trusted-proxy): X-Forwarded-Proto is
# believed from this address only.
TLS_TERMINATOR = "127.0.0.1"


def production_environment(database_url: str, **extra: str) -> dict[str, str]:
    """This process's environment without its Django and database settings, plus production settings over
    plain HTTP on `database_url`."""
    env = {key: value for key, value in os.environ.items() if not key.startswith(("DJANGO_", "DATABASE_"))}
    return env | PRODUCTION_OVER_PLAIN_HTTP | {"DATABASE_URL": database_url} | extra


def prepare(env: dict[str, str]) -> None:
    """migrate and collectstatic, as `make serve` does before serving."""
    for command in (["migrate", "--noinput"], ["collectstatic", "--noinput"]):
        subprocess.run(
            [sys.executable, "manage.py", *command], cwd=ROOT, env=env, capture_output=True, timeout=180, check=True
        )


@contextlib.contextmanager
def serving(arguments: list[str], env: dict[str, str], log_path: Path, *, timeout: float = 600):
    """`manage.py serve ARGUMENTS` in a session of its own (os.killpg takes it down whole, as a machine that
    dies); yields (process, the line saying what it serves) once it says so, however long a busy host takes;
    `timeout` only stops one that hangs. SIGTERM at the end, unless it is gone already."""
    with open(log_path, "w+") as log:
        started = time.monotonic()
        process = subprocess.Popen(
            [sys.executable, "manage.py", "serve", *arguments],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=log,
            text=True,
            start_new_session=True,
        )
        try:
            line = ""
            while not line.startswith("serving "):
                if time.monotonic() - started > timeout or process.poll() is not None:
                    log.seek(0)
                    raise RuntimeError(f"serve {' '.join(arguments)} did not start:\n" + log.read()[-3000:])
                line = process.stdout.readline()
            yield process, line
        finally:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
                process.wait(timeout=30)


def master_pid(line: str) -> int:
    """gunicorn's master pid, from the line `manage.py serve` says what it serves in."""
    return int(line.split("master pid ")[1].split(",")[0])


@contextlib.contextmanager
def running_stack(
    *, workers: int, threads: int, timeout: float = 600, https: bool = False, database_url: str | None = None
):
    """`manage.py serve` on free loopback ports with a fresh SQLite database (or the empty database at
    `database_url`, migrated here); stopped on exit. With `https`, production's HTTPS settings, as behind a TLS
    terminator that sends X-Forwarded-Proto: https. It waits for the stack to say it serves, however long a busy
    host takes; `timeout` only stops a stack that hangs."""
    with tempfile.TemporaryDirectory(prefix="emojify-stack-") as folder:
        env = production_environment(database_url or f"sqlite:///{folder}/db.sqlite3")
        if https:
            env["DJANGO_HTTPS"] = "1"
        behind_tls = {"X-Forwarded-Proto": "https"} if https else {}
        prepare(env)
        port = free_port()
        started = time.monotonic()
        arguments = ["--port", str(port), "--workers", str(workers), "--threads", str(threads)]
        with serving(arguments, env, Path(folder) / "serve.log", timeout=timeout) as (_, line):
            stack = Stack(port, master_pid(line), 0.0)
            for _ in range(2 * workers):  # ready: the site answers through nginx, on every worker
                client = stack.client(source=TLS_TERMINATOR if https else None)
                assert client.request("GET", "/api/csrf", headers=behind_tls).status == 200
            stack.started_seconds = time.monotonic() - started
            yield stack


@dataclass
class Node:
    """An app node of a scaled-out stack: `manage.py serve --bind` (gunicorn alone) on its own loopback port."""

    port: int
    process: subprocess.Popen  # leader of its own session: os.killpg takes the node down whole
    master_pid: int
    access_log: Path

    def requests_served(self, path: str = "") -> int:
        """Requests gunicorn logged (only those to `path`, when given): which node answered what."""
        if not self.access_log.exists():
            return 0
        lines = self.access_log.read_text().splitlines()
        return sum(f" {path}" in line for line in lines) if path else len(lines)

    def down(self) -> bool:
        """Its port refuses connections, as a dead machine's does."""
        try:
            socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
        except OSError:
            return True
        return False


@dataclass
class ScaledOut:
    nodes: list[Node]
    port: int  # the balancer's nginx
    started_seconds: float

    @property
    def master_pids(self) -> list[int]:
        return [node.master_pid for node in self.nodes]


@contextlib.contextmanager
def running_nodes(database_url: str, *, nodes: int = 2, workers: int = 1, threads: int = 4, timeout: float = 600):
    """Scaled out on loopback: the empty PostgreSQL database at `database_url` migrated, `nodes` app nodes
    (`manage.py serve --bind 127.0.0.1:<free port>`, each `workers` × `threads`, its access log kept) and one
    balancer (`manage.py serve --upstream …` for each), production settings over plain HTTP; all stopped on
    exit. `timeout` only stops a process that hangs while starting."""
    with tempfile.TemporaryDirectory(prefix="emojify-nodes-") as folder, contextlib.ExitStack() as stack:
        folder = Path(folder)
        env = production_environment(database_url)
        prepare(env)
        started = time.monotonic()
        running = []
        for index in range(nodes):
            port, access_log = free_port(), folder / f"node-{index}-access.log"
            process, line = stack.enter_context(
                serving(
                    [
                        "--bind",
                        f"127.0.0.1:{port}",
                        "--balancer",
                        "127.0.0.1",
                        "--workers",
                        str(workers),
                        "--threads",
                        str(threads),
                    ],
                    env | {"GUNICORN_CMD_ARGS": f"--access-logfile {access_log}"},
                    folder / f"node-{index}.log",
                    timeout=timeout,
                )
            )
            running.append(Node(port, process, master_pid(line), access_log))
        port = free_port()
        stack.enter_context(
            serving(
                ["--port", str(port)] + [f"--upstream=127.0.0.1:{node.port}" for node in running],
                env,
                folder / "balancer.log",
                timeout=timeout,
            )
        )
        scaled = ScaledOut(running, port, 0.0)
        for _ in range(2 * nodes * workers):  # ready: the site answers through the balancer
            assert ApiClient("127.0.0.1", port, source=Stack.address()).get("/api/csrf").status == 200
        scaled.started_seconds = time.monotonic() - started
        yield scaled
