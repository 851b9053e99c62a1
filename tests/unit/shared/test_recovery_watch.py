"""A stalled table recovery is detected, and ``vigie run`` restarts the worker that gives up."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from types import SimpleNamespace

from vigie.local import _wait
from vigie.shared.streams.worker import RESTART_STATUS, StartupLog, recovery_stalled


def recovery(*, in_recovery=True, remaining=True, received=(), started=100.0):
    return SimpleNamespace(in_recovery=in_recovery, need_recovery=lambda: remaining,
                           _active_events_received_at=dict(enumerate(received)),
                           _recovery_started_at=started)


def test_nothing_received_since_recovery_start_is_stalled_after_the_limit():
    assert not recovery_stalled(recovery(), now=150.0, limit=120)
    assert recovery_stalled(recovery(), now=221.0, limit=120)


def test_records_still_arriving_mean_progress():
    assert not recovery_stalled(recovery(received=(90.0, 200.0)), now=221.0, limit=120)
    assert recovery_stalled(recovery(received=(90.0, 100.0)), now=221.0, limit=120)


def test_no_recovery_or_nothing_left_to_read_is_never_stalled():
    assert not recovery_stalled(recovery(in_recovery=False), now=1e6, limit=120)
    assert not recovery_stalled(recovery(remaining=False), now=1e6, limit=120)
    assert not recovery_stalled(recovery(started=None), now=1e6, limit=120)


def test_a_worker_exiting_with_the_restart_status_is_started_again():
    started: list[str] = []

    def start(name: str) -> subprocess.Popen:
        started.append(name)
        status = 1 if len(started) > 1 else RESTART_STATUS  # the second run fails for good
        return subprocess.Popen([sys.executable, "-c", f"raise SystemExit({status})"])

    processes = {"enrich": start("enrich")}
    _wait(processes, start)  # returns when a process exits with another status
    assert started == ["enrich", "enrich"]
    assert processes["enrich"].returncode == 1


class Signal:
    """faust's signal, as StartupLog uses it: receivers connected, then sent to."""

    def __init__(self) -> None:
        self.receivers = []

    def connect(self, receiver) -> None:
        self.receivers.append(receiver)

    async def send(self, assigned) -> None:
        for receiver in self.receivers:
            await receiver(None, assigned)


def test_a_join_counts_as_stalled_only_until_the_first_assignment():
    app = SimpleNamespace(on_partitions_assigned=Signal(), conf=SimpleNamespace(id="t"))
    startup = StartupLog(app)
    startup.since = 100.0
    assert startup.joining_for(221.0) == 121.0  # over a 120 s limit: the watch exits
    asyncio.run(app.on_partitions_assigned.send({"tp"}))
    assert startup.joining_for(1e6) == 0.0
    startup.recovered()
    assert startup.ready.is_set() and startup.joining_for(1e6) == 0.0
