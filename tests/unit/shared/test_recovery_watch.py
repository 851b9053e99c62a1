"""A stalled table recovery is detected, and ``vigie run`` restarts the worker that gives up."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import threading
from types import SimpleNamespace

import faust

from vigie.local import _wait
from vigie.shared.streams.worker import (
    RESTART_STATUS,
    StartupLog,
    health_route,
    recovery_stalled,
)


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


def starting_app(recovery_state=None):
    return SimpleNamespace(on_partitions_assigned=Signal(), conf=SimpleNamespace(id="t"),
                           tables=SimpleNamespace(recovery=recovery_state or recovery()))


def test_a_start_stalls_when_no_step_moves_it_forward_until_the_worker_is_started():
    app = starting_app(recovery(received=(), started=None))
    startup = StartupLog(app)
    startup.since = 100.0
    assert startup.stalled_for(221.0) == 121.0  # still joining: over a 120 s limit, it exits
    asyncio.run(app.on_partitions_assigned.send({"tp"}))
    startup.since = 300.0  # assigned at 300 s: recovering from then on
    assert startup.stalled_for(350.0) == 50.0
    app.tables.recovery._active_events_received_at = {"tp": 400.0}  # a changelog record
    assert startup.stalled_for(450.0) == 50.0
    startup.recovered()
    assert startup.ready.is_set() and startup.stalled_for(1e6) == 0.0


def test_a_health_check_before_the_worker_runs_leaves_its_tables_on_the_worker_loop():
    # The order seen under load: /healthz (its own thread) asked before the worker touched
    # its tables. The table manager must still wait on the loop the worker runs.
    app = faust.App("health-first", broker="kafka://127.0.0.1:9", store="memory://")
    app.Table("counts", default=int)
    health = health_route(app, stall_limit=120)
    answers = []
    asker = threading.Thread(target=lambda: answers.append(health()))
    asker.start()
    asker.join()
    assert answers == [(503, {"status": "joining the consumer group"})]
    assert app.tables.loop is app.loop and app.tables.recovery.loop is app.loop
    app.tables._tables_registered.set()
    waited = asyncio.wait_for(app.tables.wait_until_tables_registered(), timeout=10)
    app.loop.run_until_complete(waited)  # it hung for ever when the thread had bound them
