"""Shared helpers for the benchmark scripts: Django set-up and median timing."""

from __future__ import annotations

import contextlib
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FER_PACKAGES = ROOT / "bench" / ".fer-packages"
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "emojify_site.settings")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


def setup_django() -> None:
    import django

    django.setup()


def warm_client():
    """A Django test client for the real site, with the model loaded and warmed first."""
    setup_django()
    from django.test import Client

    from recognition.faces import warm_up

    warm_up()
    return Client(HTTP_HOST="127.0.0.1")  # an allowed host: this is not the test runner


def timings_ms(function, repeat: int, warmup: int = 3) -> list[float]:
    """Milliseconds of each of `repeat` calls of `function()`, after `warmup` untimed ones."""
    for _ in range(warmup):
        function()
    timings = []
    for _ in range(repeat):
        started = time.perf_counter()
        function()
        timings.append((time.perf_counter() - started) * 1000)
    return timings


def median_ms(function, repeat: int, warmup: int = 3) -> float:
    return statistics.median(timings_ms(function, repeat, warmup))


def fer_detector():
    """The `fer` package's detector (Haar cascade + its own CNN), our peer in the benchmarks.

    Installed on first use into bench/.fer-packages only (pip --no-deps, with pandas, requests and tqdm),
    never into the project's environment; it brings its own bundled model and cascade.
    """
    if not (FER_PACKAGES / "fer").exists():
        subprocess.run(
            [
                sys.executable,
                "-m",
                "pip",
                "install",
                "-q",
                "--no-deps",
                "--target",
                str(FER_PACKAGES),
                "fer",
                "pandas",
                "requests",
                "tqdm",
            ],
            check=True,
        )
    sys.path.append(str(FER_PACKAGES))
    from fer.fer import FER

    return FER(mtcnn=False)


@contextlib.contextmanager
def running_site(port: int = 8799, workers: int = 0):
    """The site on a throwaway SQLite database, for browser measurements: served by Django's own server, or
    with `workers` by gunicorn as `make serve` runs it (threads 4, the site preloaded); yields its base URL
    and stops it after."""
    with tempfile.TemporaryDirectory() as directory:
        environment = os.environ | {"DATABASE_URL": f"sqlite:///{directory}/site.sqlite3", "DJANGO_DEBUG": "1"}
        manage = [sys.executable, str(ROOT / "manage.py")]
        subprocess.run(manage + ["migrate", "--noinput", "-v0"], env=environment, check=True)
        command = (
            manage + ["runserver", f"127.0.0.1:{port}", "--noreload"]
            if not workers
            else [
                str(Path(sys.executable).with_name("gunicorn")),
                "emojify_site.wsgi",
                "--bind",
                f"127.0.0.1:{port}",
                "--workers",
                str(workers),
                "--threads",
                "4",
                "--preload",
            ]
        )
        server = subprocess.Popen(
            command, env=environment, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        base = f"http://127.0.0.1:{port}"
        try:
            for _ in range(240):  # the first start imports TensorFlow
                try:
                    urllib.request.urlopen(base + "/avatars/new/", timeout=2)
                    break
                except OSError:
                    time.sleep(0.5)
            yield base
        finally:
            server.terminate()
            server.wait()


def chromium(playwright, *arguments: str):
    return playwright.chromium.launch(
        executable_path=shutil.which("chromium") or "/usr/bin/chromium",
        headless=True,
        args=["--no-sandbox", "--disable-gpu", *arguments],
    )
