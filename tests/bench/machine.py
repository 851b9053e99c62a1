"""What the figures were measured on, saved beside them."""

from __future__ import annotations

import os
import platform
import subprocess
import time
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


def busy_cores(seconds: float = 0.5) -> float:
    """Cores in use machine-wide over ``seconds`` (from /proc/stat). Sampled between steps,
    while the benchmark itself is idle, it shows other work that would skew the figures."""
    def ticks() -> tuple[int, int]:
        fields = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
        idle = fields[3] + fields[4]  # idle + iowait
        return sum(fields[:8]), idle

    total_a, idle_a = ticks()
    time.sleep(seconds)
    total_b, idle_b = ticks()
    elapsed = max(total_b - total_a, 1)
    return round((1 - (idle_b - idle_a) / elapsed) * len(os.sched_getaffinity(0)), 2)
