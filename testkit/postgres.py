"""A throw-away PostgreSQL cluster for the tests and benchmarks: Debian's server binaries (`make test` installs
the `postgresql` package when they are missing), `initdb` into a temporary folder, `pg_ctl` on a free loopback
port, stopped and deleted at the end. No system service, no /etc/postgresql cluster, nothing listening beyond
127.0.0.1, no Unix socket. Run as root (a container), the server runs as `nobody`: PostgreSQL refuses root.

The cluster trusts every local connection (it lives for one test run, on loopback, with throw-away data) and
trades durability for speed (fsync off): a crash loses nothing anyone needs."""

from __future__ import annotations

import contextlib
import os
import pwd
import re
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from .live_http import free_port

SUPERUSER = "emojify"


def server_binaries() -> Path | None:
    """The folder holding initdb, pg_ctl and postgres: Debian's newest /usr/lib/postgresql/<version>/bin, else
    the one on PATH; None when there is none."""

    def version(path: Path) -> tuple[int, ...]:
        return tuple(int(part) for part in re.findall(r"\d+", path.parent.name))

    debian = sorted((path.parent for path in Path("/usr/lib/postgresql").glob("*/bin/initdb")), key=version)
    if debian:
        return debian[-1]
    found = shutil.which("initdb")
    return Path(found).resolve().parent if found else None


MISSING = (
    "PostgreSQL's server is not installed: `make test` installs Debian's postgresql package "
    "(apt-get install postgresql)"
)


@dataclass
class Cluster:
    port: int
    folder: Path

    def url(self, database: str = "postgres") -> str:
        return f"postgres://{SUPERUSER}@127.0.0.1:{self.port}/{database}"

    def create_database(self, name: str) -> str:
        """A fresh, empty database in the cluster; its DATABASE_URL."""
        import psycopg

        with psycopg.connect(
            host="127.0.0.1", port=self.port, user=SUPERUSER, dbname="postgres", autocommit=True
        ) as connection:
            connection.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)


def _as_unprivileged(account: pwd.struct_passwd | None):
    if account is None:
        return None

    def drop():
        os.setgid(account.pw_gid)
        os.setgroups([])
        os.setuid(account.pw_uid)

    return drop


@contextlib.contextmanager
def running_cluster(*, timeout: float = 120):
    """initdb + pg_ctl start on a free loopback port; yields a Cluster; stops the server and deletes its
    folder on exit. `timeout` bounds a hang (pg_ctl waits for the server to accept connections)."""
    binaries = server_binaries()
    if binaries is None:
        raise RuntimeError(MISSING)
    account = pwd.getpwnam("nobody") if os.geteuid() == 0 else None
    folder = Path(tempfile.mkdtemp(prefix="emojify-postgres-"))
    data = folder / "data"
    log = folder / "server.log"
    if account is not None:
        os.chown(folder, account.pw_uid, account.pw_gid)
    as_server = {
        "preexec_fn": _as_unprivileged(account),
        "cwd": folder,
        "capture_output": True,
        "text": True,
        "env": {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LC_ALL": "C"},
    }
    subprocess.run(
        [
            binaries / "initdb",
            "-D",
            data,
            "-U",
            SUPERUSER,
            "--auth=trust",
            "--encoding=UTF8",
            "--no-locale",
            "--no-sync",
        ],
        check=True,
        timeout=timeout,
        **as_server,
    )
    started = None
    for _ in range(5):  # another process may take the free port between our probe and the server's bind
        port = free_port()
        options = (
            f"-c listen_addresses=127.0.0.1 -c port={port} -c unix_socket_directories='' "
            "-c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=100"
        )
        started = subprocess.run(
            [binaries / "pg_ctl", "start", "-D", data, "-l", log, "-w", "-t", str(int(timeout)), "-o", options],
            timeout=timeout + 10,
            **as_server,
        )
        if started.returncode == 0:
            break
    try:
        if started.returncode != 0:
            raise RuntimeError(
                "PostgreSQL did not start:\n"
                + started.stdout
                + started.stderr
                + (log.read_text()[-3000:] if log.exists() else "")
            )
        yield Cluster(port, folder)
    finally:
        subprocess.run([binaries / "pg_ctl", "stop", "-D", data, "-m", "immediate", "-w"], timeout=60, **as_server)
        shutil.rmtree(folder, ignore_errors=True)


def wait_until(condition, *, bound: float, what: str, step: float = 0.05):
    """Polls `condition` until it is true; `bound` only stops a hang."""
    deadline = time.monotonic() + bound
    while not (result := condition()):
        if time.monotonic() > deadline:
            raise AssertionError(f"{what}: not within {bound:.0f} s")
        time.sleep(step)
    return result
