"""python manage.py serve [--host 127.0.0.1] [--port 8000] [--workers 2] [--threads 4] [--trusted-proxy ADDRESS]
                       [--upstream HOST:PORT … | --bind HOST:PORT [--balancer ADDRESS …]]

The production pair on one machine: nginx on --port in front of gunicorn on a Unix socket in a folder only
nginx's worker may enter (so no one reaches gunicorn, or tells it a client address, but through nginx).
nginx runs from deploy/nginx.conf with its own temporary prefix directory (no root, no system service);
gunicorn preloads the site (the model is loaded once and shared by the forked workers, so a replacement
worker is ready at once). Runs in the foreground until Ctrl-C or SIGTERM, which stop both; if either exits,
the other is stopped too. `make serve` runs collectstatic and migrate, then this.

Scaled out over several machines sharing one PostgreSQL (docs/deploy.md, "Scaling out"): on each app node
`serve --bind HOST:PORT --balancer NGINX_ADDRESS` runs gunicorn alone on that TCP address, believing the client
address nginx sends only from the balancer; on the balancer `serve --upstream NODE:PORT --upstream …` runs
nginx alone in front of those nodes. The one-machine pair and the app node first check that the database answers.
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


def upstream_servers(upstream: str | list[str]) -> str:
    """nginx's `server` lines: gunicorn's one socket (a str) twice, so that a request a dying worker refused is
    retried on it; app nodes (a list of host:port) once each, a node that fails passed over for 5 s."""
    if isinstance(upstream, str):
        return f"server {upstream} max_fails=0;\n        server {upstream} max_fails=0 backup;"
    return "\n        ".join(f"server {address} max_fails=1 fail_timeout=5s;" for address in upstream)


def render_nginx_config(
    *,
    prefix: Path,
    listen: str,
    upstream: str | list[str],
    api_rate: int,
    api_burst: int,
    trusted_proxies: list[str] = ("127.0.0.1",),
    static_root: Path | None = None,
) -> str:
    """`upstream`: gunicorn's Unix socket on this machine ("unix:/…"), or the app nodes' host:port addresses."""
    values = {
        "WORKER_USER": worker_user_directive(),
        "PREFIX": str(prefix),
        "LISTEN": listen,
        "UPSTREAM_SERVERS": upstream_servers(upstream),
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
            if isinstance(address, str):
                with socket.socket(socket.AF_UNIX) as probe:
                    probe.settimeout(0.5)
                    probe.connect(address)
            else:
                socket.create_connection(address, timeout=0.5).close()
            return
        except OSError:
            time.sleep(0.1)
    raise CommandError(f"nothing listens on {address} after {timeout:.0f} s")


def host_and_port(text: str, option: str) -> tuple[str, int]:
    """Reads "10.0.0.2:8001" or "[::1]:8001", or raises a CommandError naming the option and what it takes."""
    host, _, port = text.rpartition(":")
    host = host.strip("[]")
    if not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise CommandError(f"{option} takes HOST:PORT (e.g. 10.0.0.2:8001), not {text!r}")
    return host, int(port)


def nginx_address(host: str, port: int) -> str:
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def check_database() -> None:
    """The database answers, or manage.py says in one line why not (OperationalError), before anything starts."""
    from django.db import connection

    connection.ensure_connection()
    connection.close()


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
        parser.add_argument(
            "--upstream",
            action="append",
            default=None,
            metavar="HOST:PORT",
            help="nginx alone, in front of this app node (repeatable: one per node, each running "
            "serve --bind); no gunicorn here",
        )
        parser.add_argument(
            "--bind",
            metavar="HOST:PORT",
            help="gunicorn alone, on this TCP address (an app node behind a balancer's nginx); no nginx here",
        )
        parser.add_argument(
            "--balancer",
            action="append",
            default=None,
            metavar="ADDRESS",
            help="with --bind: the balancer's address, the only peer whose X-Real-IP (the "
            "client's address) is believed (repeatable; default: 127.0.0.1)",
        )

    def handle(self, *args, **options):
        if options["upstream"] and options["bind"]:
            raise CommandError(
                "--upstream (nginx alone) and --bind (gunicorn alone) are two machines' roles: give one of them"
            )
        if options["balancer"] and not options["bind"]:
            raise CommandError("--balancer goes with --bind (gunicorn alone on an app node)")
        if options["bind"]:
            host, port = host_and_port(options["bind"], "--bind")
            check_database()
            return self.run_processes(
                [self.gunicorn(nginx_address(host, port), options, balancers=options["balancer"] or ["127.0.0.1"])],
                ready=[(host, port)],
                prefix=None,
                serving=f"app node http://{nginx_address(host, port)}/ — gunicorn" + self.pool(options),
            )
        if not Path(options["nginx"]).is_file():
            raise CommandError(
                f"nginx not found at {options['nginx']}: install Debian's nginx package "
                "(sudo apt-get install nginx) or pass --nginx"
            )
        nodes = [nginx_address(*host_and_port(text, "--upstream")) for text in options["upstream"] or []]
        if not nodes:
            check_database()
        prefix = Path(tempfile.mkdtemp(prefix="emojify-nginx-"))
        prefix.chmod(0o755)  # nginx's worker drops root when started by root (worker_account)
        account = worker_account()
        static_root = None
        if account is not None and account.pw_uid != Path(settings.BASE_DIR).stat().st_uid:
            static_root = prefix / "static"  # the worker is `nobody`: a copy it can read
            shutil.copytree(settings.STATIC_ROOT, static_root)
        socket_path = None if nodes else private_folder(prefix / "upstream", account) / "gunicorn.sock"
        config = prefix / "nginx.conf"
        config.write_text(
            render_nginx_config(
                prefix=prefix,
                listen=f"{options['host']}:{options['port']}",
                upstream=nodes or f"unix:{socket_path}",
                api_rate=options["api_rate"],
                api_burst=options["api_burst"],
                static_root=static_root,
                trusted_proxies=options["trusted_proxy"] or ["127.0.0.1"],
            )
        )
        nginx = ([options["nginx"], "-p", str(prefix), "-c", str(config), "-e", "stderr"], {})
        listen = (options["host"], options["port"])
        url = f"http://{options['host']}:{options['port']}/"
        if nodes:
            return self.run_processes(
                [nginx], ready=[listen], prefix=prefix, serving=f"{url} — nginx in front of {', '.join(nodes)}"
            )
        return self.run_processes(
            [self.gunicorn(f"unix:{socket_path}", options), nginx],
            ready=[str(socket_path), listen],
            prefix=prefix,
            serving=f"{url} — nginx → gunicorn unix:{socket_path}" + self.pool(options),
        )

    @staticmethod
    def pool(options) -> str:
        """What live_http (tests, bench) reads the gunicorn master's pid from, after the pid is known."""
        return f" ({{master}}, {options['workers']} workers × {options['threads']} threads)"

    def gunicorn(self, bind: str, options, balancers: list[str] | None = None) -> tuple[list, dict]:
        environment = {"DJANGO_BEHIND_PROXY": "1"}
        if balancers:
            environment["DJANGO_PROXY_ADDRESSES"] = ",".join(balancers)
        return (
            [
                sys.executable,
                "-m",
                "gunicorn",
                "emojify_site.wsgi",
                "--bind",
                bind,
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
            environment,
        )

    def run_processes(self, commands: list, *, ready: list, prefix: Path | None, serving: str) -> None:
        """Starts each (command, environment) once the one before listens (its address in `ready`); says what
        serves, with gunicorn's master pid; runs until Ctrl-C or SIGTERM, or until one exits, then stops them all."""
        processes = []
        asked_to_stop = []

        def on_signal(*_):
            asked_to_stop.append(True)

        signal.signal(signal.SIGTERM, on_signal)
        signal.signal(signal.SIGINT, on_signal)
        try:
            for (command, environment), address in zip(commands, ready):
                processes.append(subprocess.Popen(command, cwd=settings.BASE_DIR, env=os.environ | environment))
                wait_for_port(address, processes[-1], timeout=120)
            gunicorn = next((process for process in processes if "gunicorn" in process.args), None)
            if gunicorn is not None:
                serving = serving.replace("{master}", f"master pid {gunicorn.pid}")
            self.stdout.write(f"serving {serving}; Ctrl-C stops {'both' if len(processes) > 1 else 'it'}")
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
            if prefix is not None:
                shutil.rmtree(prefix, ignore_errors=True)
        if exited and not asked_to_stop:
            raise CommandError(f"{Path(exited[0].args[0]).name} exited with status {exited[0].returncode}")
