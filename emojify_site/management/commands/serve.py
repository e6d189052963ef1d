"""python manage.py serve [--host 127.0.0.1] [--port 8000] [--workers 2] [--threads 4]

The production pair on one machine: nginx on --port in front of gunicorn on 127.0.0.1:--upstream-port.
nginx runs from deploy/nginx.conf with its own temporary prefix directory (no root, no system service);
gunicorn preloads the site (the model is loaded once and shared by the forked workers, so a replacement
worker is ready at once). Runs in the foreground until Ctrl-C or SIGTERM, which stop both; if either exits,
the other is stopped too. `make serve` runs collectstatic and migrate, then this.
"""
from __future__ import annotations

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


def worker_user_directive() -> str:
    """Started as root, nginx runs its worker as `nobody`, who cannot read the static files of a checkout in a
    private folder (a home or a mktemp directory): 403 on every one. So as root the worker runs as the
    checkout's owner. Otherwise the worker is the caller already, and nginx would only warn about the line."""
    if os.geteuid() != 0:
        return ""
    return f"user {pwd.getpwuid(Path(settings.BASE_DIR).stat().st_uid).pw_name};"


def render_nginx_config(*, prefix: Path, listen: str, upstream: str, api_rate: int, api_burst: int) -> str:
    values = {"WORKER_USER": worker_user_directive(),
              "PREFIX": str(prefix), "LISTEN": listen, "UPSTREAM": upstream, "STATIC_ROOT": str(settings.STATIC_ROOT),
              "MAX_BODY": str(settings.MAX_REQUEST_BYTES), "MAX_BODY_MB": str(settings.MAX_IMAGE_BYTES // MB),
              "API_RATE": str(api_rate), "API_BURST": str(api_burst)}
    text = TEMPLATE.read_text()
    for name, value in values.items():
        text = text.replace(f"@{name}@", value)
    return text


def wait_for_port(host: str, port: int, process: subprocess.Popen, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise CommandError(f"{process.args[0]} exited with status {process.returncode} while starting")
        try:
            socket.create_connection((host, port), timeout=0.5).close()
            return
        except OSError:
            time.sleep(0.1)
    raise CommandError(f"nothing listens on {host}:{port} after {timeout:.0f} s")


class Command(BaseCommand):
    help = __doc__.splitlines()[0]

    def add_arguments(self, parser):
        parser.add_argument("--host", default="127.0.0.1", help="address nginx listens on")
        parser.add_argument("--port", type=int, default=8000, help="port nginx listens on")
        parser.add_argument("--upstream-port", type=int, default=None,
                            help="loopback port of gunicorn, reached only through nginx (default: --port + 1)")
        parser.add_argument("--workers", type=int, default=2, help="gunicorn worker processes (about one per core)")
        parser.add_argument("--threads", type=int, default=4, help="request threads per worker")
        parser.add_argument("--api-rate", type=int, default=20, help="requests a second to /api/ from one address")
        parser.add_argument("--api-burst", type=int, default=40, help="requests over the rate allowed at once")
        parser.add_argument("--nginx", default=shutil.which("nginx") or "/usr/sbin/nginx", help="nginx binary")

    def handle(self, *args, **options):
        if not Path(options["nginx"]).is_file():
            raise CommandError(f"nginx not found at {options['nginx']}: install Debian's nginx package "
                               "(sudo apt-get install nginx) or pass --nginx")
        upstream_port = options["upstream_port"] or options["port"] + 1
        prefix = Path(tempfile.mkdtemp(prefix="emojify-nginx-"))
        prefix.chmod(0o755)  # nginx's workers drop root (user nobody) when started by root
        config = prefix / "nginx.conf"
        config.write_text(render_nginx_config(prefix=prefix, listen=f"{options['host']}:{options['port']}",
                                              upstream=f"127.0.0.1:{upstream_port}", api_rate=options["api_rate"],
                                              api_burst=options["api_burst"]))
        gunicorn = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "emojify_site.wsgi", "--bind", f"127.0.0.1:{upstream_port}",
             "--workers", str(options["workers"]), "--threads", str(options["threads"]), "--preload",
             "--timeout", "30", "--graceful-timeout", "10", "--no-control-socket"],
            cwd=settings.BASE_DIR, env=os.environ | {"DJANGO_BEHIND_PROXY": "1"})
        processes = [gunicorn]
        asked_to_stop = []

        def on_signal(*_):
            asked_to_stop.append(True)

        signal.signal(signal.SIGTERM, on_signal)
        signal.signal(signal.SIGINT, on_signal)
        try:
            wait_for_port("127.0.0.1", upstream_port, gunicorn, timeout=120)
            nginx = subprocess.Popen([options["nginx"], "-p", str(prefix), "-c", str(config), "-e", "stderr"])
            processes.append(nginx)
            wait_for_port(options["host"], options["port"], nginx, timeout=10)
            self.stdout.write(f"serving http://{options['host']}:{options['port']}/ — nginx (pid {nginx.pid}) → "
                              f"gunicorn 127.0.0.1:{upstream_port} (master pid {gunicorn.pid}, "
                              f"{options['workers']} workers × {options['threads']} threads); Ctrl-C stops both")
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
