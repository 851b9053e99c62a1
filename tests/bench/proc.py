"""Processes under measurement: run to completion with their peak memory, or read it live."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from tests.integration.helpers import ROOT, vigie_env


@dataclass(frozen=True)
class Finished:
    returncode: int
    wall_s: float
    peak_rss_mb: float


def peak_rss_mb(pid: int) -> float:
    """VmHWM (the resident-set high-water mark) of a live process and of its child processes
    (enrich runs its model in one), summed, in MB; 0 if gone."""
    return _own_peak_mb(pid) + sum(peak_rss_mb(child) for child in _children(pid))


def _own_peak_mb(pid: int) -> float:
    return _status_count(pid, "VmHWM") / 1024  # kB


def _children(pid: int) -> list[int]:
    children: list[int] = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            children += [int(c) for c in (task / "children").read_text().split()]
        except OSError:
            continue
    return children


def run_vigie_measured(settings, *args: str, log_path: Path, timeout: float = 300,
                       **env: str) -> Finished:
    """Run ``vigie ARGS`` to completion; wall time and peak RSS from the kernel (wait4), exact
    even for a short-lived process."""
    started = time.perf_counter()
    with log_path.open("ab") as log:
        process = subprocess.Popen([sys.executable, "-m", "vigie.cli", *args], cwd=ROOT,
                                   env=vigie_env(settings, **env), stdout=log,
                                   stderr=subprocess.STDOUT)
    deadline = started + timeout
    while True:
        pid, status, usage = os.wait4(process.pid, os.WNOHANG)
        if pid:
            break
        if time.perf_counter() > deadline:
            process.kill()
            pid, status, usage = os.wait4(process.pid, 0)
            break
        time.sleep(0.02)
    process.returncode = os.waitstatus_to_exitcode(status)  # reaped here, not by Popen
    return Finished(process.returncode, time.perf_counter() - started, usage.ru_maxrss / 1024)


def cpu_seconds(pid: int) -> dict[str, float]:
    """CPU time (user + system) used so far by a live process and, summed, by its child
    processes: ``{"own": s, "children": s}`` (0 for what is gone)."""
    return {"own": _own_cpu_s(pid),
            "children": sum(sum(cpu_seconds(child).values()) for child in _children(pid))}


def _own_cpu_s(pid: int) -> float:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime, stime


def preemptions(pid: int) -> int:
    """Times the main thread of each child process of ``pid`` was taken off its core
    against its will so far (``nonvoluntary_ctxt_switches``): how often other work cut into
    the enrich worker's model process."""
    return sum(_status_count(child, "nonvoluntary_ctxt_switches") for child in _children(pid))


def _status_count(pid: int, field: str) -> int:
    """A number from ``/proc/<pid>/status``; 0 if the process is gone."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return 0
    for line in status.splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1])
    return 0


def pin(pid: int, cores: set[int]) -> None:
    """Every thread of a process and of its child processes onto ``cores`` (threads started
    later inherit it from the thread that starts them)."""
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            os.sched_setaffinity(int(task.name), cores)
        except OSError:  # the thread ended meanwhile
            continue
    for child in _children(pid):
        pin(child, cores)
