"""Consumer lag per partition, and the watch over partitions whose records wait.

Every few seconds a worker compares what its consumer has read and committed with the end of
each partition it owns, and reaches two verdicts:

* **a stalled worker**: records wait beyond the committed offsets, no agent is at work,
  nothing is queued, and no offset has moved for ``VIGIE_FAUST_READ_STALL_S``. It seeks back to
  its committed offsets, as faust does after a recovery, and logs what it saw; at worst a few
  records are read twice, which at-least-once delivery allows. Workers that took over
  partitions were seen in that state (see ``faust_internals`` for the causes found).
* **a stalled partition**: records wait beyond a committed offset that has not moved for
  ``VIGIE_FAUST_PARTITION_STALL_S``, whatever the cause (an agent hung on a call, a seek that
  did not help). It is counted in ``vigie_<service>_stalled_partitions``, which fires the
  ``VigiePartitionStalled`` alert, and logged once.
"""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import time

import faust
from prometheus_client import CollectorRegistry, Counter, Gauge

from .faust_internals import committed_offsets, partition_state, read_offsets, seek_back
from .settings import StreamSettings

log = logging.getLogger(__name__)


@dataclasses.dataclass
class Progress:
    """Has a worker stood still for ``limit`` seconds while records waited for it?"""

    offsets: tuple = ()
    since: float | None = None

    def stalled(self, now: float, offsets: tuple, waiting: bool, limit: float) -> bool:
        """``offsets``: what moves when the worker reads or commits; ``waiting``: records
        wait to be processed and the worker has nothing in hand. A verdict restarts the
        clock: the next one comes after another full ``limit``."""
        if not waiting or offsets != self.offsets or self.since is None:
            self.offsets, self.since = offsets, now
            return False
        if now - self.since < limit:
            return False
        self.since = now
        return True


@dataclasses.dataclass
class Standstill:
    """How long has each partition had records waiting beyond a committed offset that has
    not moved?"""

    since: dict = dataclasses.field(default_factory=dict)  # partition: (committed, since)

    def update(self, now: float, waiting: dict) -> dict:
        """``waiting``: the committed offset of each partition with records waiting beyond
        it. Returns the seconds each of them has stood still."""
        kept = {}
        for tp, offset in waiting.items():
            previous = self.since.get(tp)
            kept[tp] = previous if previous and previous[0] == offset else (offset, now)
        self.since = kept
        return {tp: now - since for tp, (_, since) in kept.items()}


class StreamWatch:
    """The lag gauge and both verdicts for one worker, and its agents' crashes (counted by
    ``Agents``). Agents mark their work with ``working()``."""

    def __init__(self, registry: CollectorRegistry, service: str) -> None:
        self.lag = Gauge(
            f"vigie_{service}_consumer_lag_messages",
            "Messages not yet processed (high watermark minus committed offset), per partition"
            " the worker owns",
            ["topic", "partition"], registry=registry,
        )
        self.reseeks = Counter(
            f"vigie_{service}_stream_reseeks", "Seeks back to the committed offsets after the"
            " worker stood still with records waiting", registry=registry,
        )
        self.stalled = Gauge(
            f"vigie_{service}_stalled_partitions", "Partitions whose records have waited beyond"
            " a committed offset that has not moved for VIGIE_FAUST_PARTITION_STALL_S",
            registry=registry,
        )
        self.agent_crashes = Counter(
            f"vigie_{service}_agent_crashes_total", "Agents that ended with an error (faust"
            " restarts them); a record an agent cannot process is dead-lettered instead",
            ["agent"], registry=registry,
        )
        self.collectors = (self.lag, self.reseeks, self.stalled, self.agent_crashes)
        self.progress = Progress()
        self.standstill = Standstill()
        self.reported: set = set()  # stalled partitions already logged
        self.shown: set = set()  # (topic, partition) labels of the lag gauge
        self.busy = 0

    @contextlib.contextmanager
    def working(self):
        """Around what an agent does with what it took, where that can take long (NER, a
        webhook's retries): a worker at work is not stalled."""
        self.busy += 1
        try:
            yield
        finally:
            self.busy -= 1

    async def check(self, app: faust.App, settings: StreamSettings) -> None:
        """Update the lag and the stalled partitions; seek back if the worker has stalled
        (call every few seconds)."""
        waiting = self.update_lag(app)
        self.update_stalled(app, waiting, settings.faust_partition_stall_s, time.monotonic())
        if self.worker_stalled(app, waiting, settings.faust_read_stall_s):
            log.warning("records wait and nothing moved for %.0f s; seeking back to the"
                        " committed offsets", settings.faust_read_stall_s,
                        extra={"partitions": describe_partitions(app, waiting)})
            self.reseeks.inc()
            try:
                await seek_back(app)
            except Exception:  # noqa: BLE001 - e.g. the broker is away: the next check tries again
                log.warning("seeking back to the committed offsets failed", exc_info=True)

    def update_lag(self, app: faust.App) -> dict:
        """Set the lag gauge for the partitions the worker owns (and drop the others); returns
        the next offset to process of each partition with records waiting. Table changelogs
        are left out: only a recovery reads them, and the worker's own writes would show as
        lag that grows for ever."""
        consumer = app.consumer
        changelogs = set(app.tables.changelog_topics)
        committed, read = committed_offsets(consumer), read_offsets(consumer)
        owned = {tp for tp in consumer.assignment() if tp.topic not in changelogs}
        waiting = {}
        for tp in owned:
            highwater = consumer.highwater(tp)
            if highwater is None:
                continue
            next_offset = next_to_process(committed, read, tp)
            lag = max(highwater - next_offset, 0)
            self.lag.labels(tp.topic, str(tp.partition)).set(lag)
            if lag:
                waiting[tp] = next_offset
        labels = {(tp.topic, str(tp.partition)) for tp in owned}
        for gone in self.shown - labels:
            self.lag.remove(*gone)
        self.shown = labels
        return waiting

    def update_stalled(self, app: faust.App, waiting: dict, limit: float, now: float) -> None:
        """Count (and log once) the partitions that have stood still for ``limit`` seconds,
        whether the worker is idle or busy."""
        standing = self.standstill.update(now, waiting)
        stalled = {tp for tp, seconds in standing.items() if seconds >= limit}
        self.stalled.set(len(stalled))
        if stalled - self.reported:
            log.error("records wait beyond a committed offset that has not moved for %.0f s",
                      limit, extra={"partitions": describe_partitions(app, stalled)})
        self.reported = stalled

    def worker_stalled(self, app: faust.App, waiting: dict, limit: float) -> bool:
        consumer = app.consumer
        idle = (not self.busy and consumer.flow_active and not app.rebalancing
                and not app.in_recovery and all(c.queue.empty() for c in app.topics))
        offsets = (sorted(read_offsets(consumer).items()),
                   sorted(committed_offsets(consumer).items()))
        return self.progress.stalled(time.monotonic(), offsets, bool(waiting) and idle, limit)


def next_to_process(committed: dict, read: dict, tp) -> int:
    """The committed offset; before any commit, the offset after the last one read."""
    if tp in committed:
        return committed[tp]
    last = read.get(tp)
    return last + 1 if last is not None else 0


def describe_partitions(app: faust.App, partitions) -> list[dict]:
    """What faust and its Kafka client know of each partition, for the log of a stall."""
    return [{"topic": tp.topic, "partition": tp.partition,
             "highwater": app.consumer.highwater(tp), **partition_state(app, tp)}
            for tp in sorted(partitions)]
