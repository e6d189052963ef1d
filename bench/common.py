"""Shared helpers for the benchmark scripts: Django set-up and median timing."""
from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
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
        subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--target", str(FER_PACKAGES),
                        "fer", "pandas", "requests", "tqdm"], check=True)
    sys.path.append(str(FER_PACKAGES))
    from fer.fer import FER

    return FER(mtcnn=False)
