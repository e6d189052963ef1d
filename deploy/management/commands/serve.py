"""python manage.py serve [--host 127.0.0.1] [--port 8000] [--workers 2] [--threads 4] [--trusted-proxy ADDRESS]

The production pair on one machine: nginx on --port in front of gunicorn on a Unix socket in a folder only
nginx's worker may enter (so no one reaches gunicorn, or tells it a client address, but through nginx).
nginx runs from deploy/nginx.conf with its own temporary prefix directory (no root, no system service);
gunicorn preloads the site (the model is loaded once and shared by the forked workers, so a replacement
worker is ready at once). Runs in the foreground until Ctrl-C or SIGTERM, which stop both; if either exits,
the other is stopped too. `make serve` runs collectstatic and migrate, then this.
"""

from __future__ import annotations

import grp
import os
import pwd
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

TEMPLATE = Path(settings.BASE_DIR) / "deploy" / "nginx.conf"
MB = 1024 * 1024


def worker_account() -> pwd.struct_passwd | None:
    """Started as root, nginx's worker drops to another user: the checkout's owner, who can read its static
    files wherever it lies (`nobody` got 403 on every one in a clone under a private folder), or `nobody`
    when the owner is root itself (then the static files are served from a copy nobody can read). Started by
    anyone else, the worker is the caller already (None: nginx would only warn about a `user` line)."""
    if os.geteuid() != 0:
        return None
    owner = pwd.getpwuid(Path(settings.BASE_DIR).stat().st_uid)
    return owner if owner.pw_uid != 0 else pwd.getpwnam("nobody")


def worker_user_directive() -> str:
    account = worker_account()
    return f"user {account.pw_name} {grp.getgrgid(account.pw_gid).gr_name};" if account else ""


def hsts_header() -> str:
    """Django's Strict-Transport-Security (SecurityMiddleware), for what nginx answers itself; "" without HTTPS."""
    if not settings.SECURE_HSTS_SECONDS:
        return ""
    return (
        f"max-age={settings.SECURE_HSTS_SECONDS}"
        + "; includeSubDomains" * settings.SECURE_HSTS_INCLUDE_SUBDOMAINS
        + "; preload" * settings.SECURE_HSTS_PRELOAD
    )


def render_nginx_config(
    *,
    prefix: Path,
    listen: str,
    upstream: str,
    api_rate: int,
    api_burst: int,
    trusted_proxies: list[str] = ("127.0.0.1",),
    static_root: Path | None = None,
) -> str:
    values = {
        "WORKER_USER": worker_user_directive(),
        "PREFIX": str(prefix),
        "LISTEN": listen,
        "UPSTREAM": upstream,
        "STATIC_ROOT": str(static_root or settings.STATIC_ROOT),
        "MAX_BODY": str(settings.MAX_REQUEST_BYTES),
        "MAX_BODY_MB": str(settings.MAX_IMAGE_BYTES // MB),
        "API_RATE": str(api_rate),
        "API_BURST": str(api_burst),
        "HSTS": hsts_header(),
        "SET_REAL_IP_FROM": " ".join(f"set_real_ip_from {address};" for address in trusted_proxies),
        "TRUSTED_PROXIES": " ".join(f"{address} 1;" for address in trusted_proxies),
    }
    text = TEMPLATE.read_text()
    for name, value in values.items():
        text = text.replace(f"@{name}@", value)
    return text


def private_folder(path: Path, account: pwd.struct_passwd | None) -> Path:
    """A folder only its owner (and root) may enter: nginx's worker, when it is another user."""
    path.mkdir(mode=0o700)
    if account is not None:
        os.chown(path, account.pw_uid, account.pw_gid)
    return path


def wait_for_port(address: tuple[str, int] | str, process: subprocess.Popen, timeout: float) -> None:
    """Until something listens on (host, port), or on the Unix socket at a path."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise CommandError(f"{process.args[0]} exited with status {process.returncode} while starting")
        try:
            with socket.socket(socket.AF_UNIX if isinstance(address, str) else socket.AF_INET) as probe:
                probe.settimeout(0.5)
                probe.connect(address)
            return
        except OSError:
            time.sleep(0.1)
    raise CommandError(f"nothing listens on {address} after {timeout:.0f} s")


class Command(BaseCommand):
    help = __doc__.splitlines()[0]

    def add_arguments(self, parser):
        parser.add_argument("--host", default="127.0.0.1", help="address nginx listens on")
        parser.add_argument("--port", type=int, default=8000, help="port nginx listens on")
        parser.add_argument(
            "--trusted-proxy",
            action="append",
            default=None,
            metavar="ADDRESS",
            help="address of a TLS terminator in front, whose X-Forwarded-Proto and X-Forwarded-For "
            "are believed (repeatable; default: 127.0.0.1)",
        )
        parser.add_argument("--workers", type=int, default=2, help="gunicorn worker processes (about one per core)")
        parser.add_argument("--threads", type=int, default=4, help="request threads per worker")
        parser.add_argument("--api-rate", type=int, default=20, help="requests a second to /api/ from one address")
        parser.add_argument("--api-burst", type=int, default=40, help="requests over the rate allowed at once")
        parser.add_argument("--nginx", default=shutil.which("nginx") or "/usr/sbin/nginx", help="nginx binary")

    def handle(self, *args, **options):
        if not Path(options["nginx"]).is_file():
            raise CommandError(
                f"nginx not found at {options['nginx']}: install Debian's nginx package "
                "(sudo apt-get install nginx) or pass --nginx"
            )
        prefix = Path(tempfile.mkdtemp(prefix="emojify-nginx-"))
        prefix.chmod(0o755)  # nginx's worker drops root when started by root (worker_account)
        account = worker_account()
        upstream = private_folder(prefix / "upstream", account) / "gunicorn.sock"
        static_root = None
        if account is not None and account.pw_uid != Path(settings.BASE_DIR).stat().st_uid:
            static_root = prefix / "static"  # the worker is `nobody`: a copy it can read
            shutil.copytree(settings.STATIC_ROOT, static_root)
        config = prefix / "nginx.conf"
        config.write_text(
            render_nginx_config(
                prefix=prefix,
                listen=f"{options['host']}:{options['port']}",
                upstream=f"unix:{upstream}",
                api_rate=options["api_rate"],
                api_burst=options["api_burst"],
                static_root=static_root,
                trusted_proxies=options["trusted_proxy"] or ["127.0.0.1"],
            )
        )
        gunicorn = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "emojify_site.wsgi",
                "--bind",
                f"unix:{upstream}",
                "--workers",
                str(options["workers"]),
                "--threads",
                str(options["threads"]),
                "--preload",
                "--timeout",
                "30",
                "--graceful-timeout",
                "10",
                "--no-control-socket",
            ],
            cwd=settings.BASE_DIR,
            env=os.environ | {"DJANGO_BEHIND_PROXY": "1"},
        )
        processes = [gunicorn]
        asked_to_stop = []

        def on_signal(*_):
            asked_to_stop.append(True)

        signal.signal(signal.SIGTERM, on_signal)
        signal.signal(signal.SIGINT, on_signal)
        try:
            wait_for_port(str(upstream), gunicorn, timeout=120)
            nginx = subprocess.Popen([options["nginx"], "-p", str(prefix), "-c", str(config), "-e", "stderr"])
            processes.append(nginx)
            wait_for_port((options["host"], options["port"]), nginx, timeout=10)
            self.stdout.write(
                f"serving http://{options['host']}:{options['port']}/ — nginx (pid {nginx.pid}) → "
                f"gunicorn unix:{upstream} (master pid {gunicorn.pid}, "
                f"{options['workers']} workers × {options['threads']} threads); Ctrl-C stops both"
            )
            self.stdout.flush()
            while not asked_to_stop and all(process.poll() is None for process in processes):
                time.sleep(0.2)
        finally:
            exited = [process for process in processes if process.poll() is not None]
            for process in processes:
                if process.poll() is None:
                    process.terminate()
            for process in processes:
                try:
                    process.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    process.kill()
            shutil.rmtree(prefix, ignore_errors=True)
        if exited and not asked_to_stop:
            raise CommandError(f"{Path(exited[0].args[0]).name} exited with status {exited[0].returncode}")
