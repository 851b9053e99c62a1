"""Running promtool (Debian's `prometheus` package, installed by deploy/install-system-deps.sh)."""

from __future__ import annotations

import shutil
import subprocess

import pytest


def promtool(*args: str, stdin: str | None = None, cwd=None) -> subprocess.CompletedProcess:
    if shutil.which("promtool") is None:
        pytest.fail("promtool is missing: run deploy/install-system-deps.sh (package prometheus)")
    return subprocess.run(["promtool", *args], input=stdin, capture_output=True, text=True,
                          cwd=cwd, timeout=120)
