"""`manage.py` in a process of its own, as an operator runs it: for the tests of what it says on its own
(deploy checks, migrations, bad database settings), apart from this test run's settings."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def manage(*arguments, **environment):
    """manage.py in a process of its own, with none of this run's DJANGO_/DATABASE_ settings and no model preload
    unless `environment` says otherwise."""
    env = {key: value for key, value in os.environ.items() if not key.startswith(("DJANGO_", "DATABASE_"))}
    return subprocess.run(
        [sys.executable, "manage.py", *arguments],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env=env | {"EMOJIFY_PRELOAD_MODEL": "0"} | environment,
        timeout=120,
    )
