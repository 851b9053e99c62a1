"""Running a worker: until SIGTERM or SIGINT, which end it at once (``StopAtOnce``), or until
its table recovery stalls, which ends it with ``RESTART_STATUS``; and its ``/healthz``."""

from __future__ import annotations

import logging
import os
import threading
import time

import faust

from .faust_internals import StopAtOnce, last_changelog_event
from .settings import StreamSettings

log = logging.getLogger(__name__)

# Exit status of a worker that gave up on a stalled recovery: "restart me" (``vigie run`` and
# the compose restart policy do).
RESTART_STATUS = 70


def recovery_stalled(recovery, now: float, limit: float) -> bool:
    """Is table recovery still waiting for changelog records, none received for ``limit`` s?

    After a rebalance, faust's recovery can wait forever for records it never fetches ("No
    event received for active tp … since recovery start"); a restart of the worker, with a new
    fetch position, gets it going. ``now`` is ``time.monotonic()``.
    """
    if not recovery.in_recovery or not recovery.need_recovery():
        return False
    last = last_changelog_event(recovery)
    return last is not None and now - last > limit


def app_recovery_stalled(app: faust.App, limit: float) -> bool:
    """``recovery_stalled`` for a running app, read from another thread (the watch, /healthz)."""
    try:
        return recovery_stalled(app.tables.recovery, time.monotonic(), limit)
    except RuntimeError:  # faust changed a dict while we read it: look again next time
        return False


def watch_recovery(app: faust.App, limit: float, every: float = 5.0) -> threading.Thread:
    """A thread that ends the worker (status ``RESTART_STATUS``) when its recovery stalls.

    A thread, not a faust timer: it must run whatever state the app's own tasks are in.
    """

    def watch() -> None:
        while True:
            time.sleep(every)
            if app_recovery_stalled(app, limit):
                log.error("table recovery received nothing for %.0f s; exiting to be restarted",
                          limit)
                logging.shutdown()
                os._exit(RESTART_STATUS)

    thread = threading.Thread(target=watch, name="recovery-watch", daemon=True)
    thread.start()
    return thread


def health_route(app: faust.App, stall_limit: float | None = None):
    """``/healthz``: 200 once the worker has started (tables recovered), 503 before or after,
    or while its recovery is stalled."""

    def health() -> tuple[int, dict]:
        if stall_limit and app_recovery_stalled(app, stall_limit):
            return 503, {"status": "recovery stalled"}
        if app.started and not app.crashed and not app.should_stop:
            return 200, {"status": "ok"}
        return 503, {"status": "crashed" if app.crashed else "starting"}

    return health


def run_worker(app: faust.App, settings: StreamSettings, loglevel: str = "WARNING") -> int:
    """Run the app's agents until SIGTERM/SIGINT (or a stalled recovery)."""
    watch_recovery(app, settings.faust_recovery_stall_s)
    worker = StopAtOnce(app, loglevel=loglevel, quiet=True, redirect_stdouts=False,
                        override_logging=False)
    worker.execute_from_commandline()
    return 0
