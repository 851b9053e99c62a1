"""What the figures were measured on, saved beside them."""

from __future__ import annotations

import os
import platform
import subprocess
from pathlib import Path

from vigie.shared.broker import kafka_version

ROOT = Path(__file__).resolve().parents[2]


def describe() -> dict:
    cpus = len(os.sched_getaffinity(0))
    model = _cpu_model()
    memory_gb = _memory_gb()
    return {
        "cpus": cpus, "cpu_model": model, "memory_gb": memory_gb,
        "python": platform.python_version(), "kafka": kafka_version(), "commit": _commit(),
        "summary": f"{cpus} CPU(s), {model}, {memory_gb} GB, Python "
                   f"{platform.python_version()}, Kafka {kafka_version()}",
    }


def _cpu_model() -> str:
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return platform.processor() or "unknown"


def _memory_gb() -> float:
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemTotal:"):
            return round(int(line.split()[1]) / 1024 / 1024, 1)
    return 0.0


def _commit() -> str:
    def git(*args: str) -> str:
        return subprocess.run(["git", *args], cwd=ROOT, capture_output=True,
                              text=True).stdout.strip()
    dirty = " (with local changes)" if git("status", "--porcelain", "--untracked-files=no") else ""
    return git("rev-parse", "--short", "HEAD") + dirty
