"""Running a worker: until SIGTERM or SIGINT, which end it at once (``StopAtOnce``), or until
its table recovery stalls, which ends it with ``RESTART_STATUS``; and its ``/healthz``."""

from __future__ import annotations

import logging
import os
import threading
import time
import weakref

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
        return recovery_stalled(startup_log(app).recovery, time.monotonic(), limit)
    except RuntimeError:  # faust changed a dict while we read it: look again next time
        return False


def watch_recovery(app: faust.App, limit: float, every: float = 5.0) -> threading.Thread:
    """A thread that ends the worker (status ``RESTART_STATUS``) when its start stalls: its
    table recovery receives nothing for ``limit`` seconds, or it is not started ``limit``
    seconds after its last step (the join, the assignment, a changelog record received).

    A thread, not a faust timer: it must run whatever state the app's own tasks are in.
    """
    startup = startup_log(app)

    def watch() -> None:
        while True:
            time.sleep(every)
            if app_recovery_stalled(app, limit):
                _exit_to_restart("table recovery received nothing for %.0f s", limit)
            if startup.stalled_for(time.monotonic()) > limit:
                _exit_to_restart(f"still {startup.step} after %.0f s without progress", limit)

    thread = threading.Thread(target=watch, name="recovery-watch", daemon=True)
    thread.start()
    return thread


def _exit_to_restart(why: str, limit: float) -> None:
    log.error(why + "; exiting to be restarted", limit)
    logging.shutdown()
    os._exit(RESTART_STATUS)


def health_route(app: faust.App, stall_limit: float | None = None):
    """``/healthz``: 200 once the worker has started (group joined, tables recovered), 503
    before or after, or while its recovery is stalled. (faust's ``app.started`` is set before
    the worker joins its group: a worker healthy by it could still have no partition.)"""
    startup = startup_log(app)

    def health() -> tuple[int, dict]:
        if stall_limit and app_recovery_stalled(app, stall_limit):
            return 503, {"status": "recovery stalled"}
        if startup.ready.is_set() and not app.crashed and not app.should_stop:
            return 200, {"status": "ok"}
        return 503, {"status": "crashed" if app.crashed else startup.step or "stopping"}

    return health


JOINING = "joining the consumer group"


class StartupLog:
    """Says what a starting worker waits for and how long each step took (joining the group,
    the partition assignment, table recovery), and repeats the step it is in while it waits:
    the log of a worker that processes nothing tells where it is stuck.

    faust's own account of these steps is at INFO on loggers kept at WARNING (they are chatty
    once running); these lines are Vigie's, one per step.
    """

    def __init__(self, app: faust.App, every: float = 15.0) -> None:
        self.app = app
        # Taken here, on the thread that runs the worker (``startup_log``): faust's table
        # manager and recovery bind to an event loop the first time they are used, and a
        # first use from the /healthz thread bound them to a new loop of that thread, which
        # never runs: the worker then waited for ever to join its group or to recover.
        self.recovery = app.tables.recovery
        self.every = every
        self.step = JOINING
        self.since = time.monotonic()
        self.ready = threading.Event()
        app.on_partitions_assigned.connect(self._assigned)

    def start(self) -> None:
        self.since = time.monotonic()
        log.info("%s: %s", self.app.conf.id, self.step)
        threading.Thread(target=self._remind, name="startup-log", daemon=True).start()

    def _next(self, done: str, step: str | None) -> None:
        now = time.monotonic()
        log.info("%s: %s after %.1f s%s", self.app.conf.id, done, now - self.since,
                 f"; {step}" if step else "", extra={"duration_s": round(now - self.since, 3)})
        self.step, self.since = step, now

    async def _assigned(self, sender, assigned, **_) -> None:
        if self.ready.is_set():
            log.info("%s: rebalanced, %d partitions assigned", self.app.conf.id, len(assigned))
        else:
            self._next(f"group joined, {len(assigned)} partitions assigned",
                       "recovering tables from their changelogs")

    def stalled_for(self, now: float) -> float:
        """How long the starting worker has gone without a step forward: since it began to
        join, since its partitions were assigned or since its recovery last received a
        changelog record (0 once it is started)."""
        if self.ready.is_set():
            return 0.0
        last = self.since
        if self.step != JOINING:
            try:
                last = max(last, last_changelog_event(self.recovery) or last)
            except RuntimeError:  # faust changed the dict while we read it: look again later
                return 0.0
        return now - last

    def recovered(self) -> None:
        """The worker is started: its tables recovered, its agents running."""
        self._next("tables recovered", None)
        log.info("%s: ready, processing", self.app.conf.id)
        self.ready.set()

    def _remind(self) -> None:
        while not self.ready.wait(self.every):
            step = self.step
            if step:
                log.info("%s: still %s (%.0f s)", self.app.conf.id, step,
                         time.monotonic() - self.since)


_startups: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def startup_log(app: faust.App) -> StartupLog:
    """The app's one ``StartupLog`` (its health and its run share it). First called on the
    thread that runs the worker, before any other thread looks at the app."""
    if app not in _startups:
        _startups[app] = StartupLog(app)
    return _startups[app]


def run_worker(app: faust.App, settings: StreamSettings, loglevel: str = "WARNING") -> int:
    """Run the app's agents until SIGTERM/SIGINT (or a stalled recovery)."""
    watch_recovery(app, settings.faust_recovery_stall_s)
    startup = startup_log(app)
    startup.start()
    worker = StopAtOnce(app, loglevel=loglevel, quiet=True, redirect_stdouts=False,
                        override_logging=False, on_ready=startup.recovered)
    worker.execute_from_commandline()
    return 0
