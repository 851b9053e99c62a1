"""faust-streaming plumbing shared by the stream services (enrich, alert).

Agents stay thin: consume a batch, call pure functions, produce. What they cannot process goes
to the dead-letter topic with its original bytes (an agent that raised would still ack the
event, so errors are caught and dead-lettered here, never raised).

Delivery is at-least-once: faust flushes the producer before it commits offsets, so a crash
replays the last uncommitted batch, and the deterministic ids downstream absorb the repeats.
"""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import os
import threading
import time
from collections.abc import Iterable
from pathlib import Path

import faust
from prometheus_client import CollectorRegistry, Counter, Gauge

from .config import ConfigError, KafkaSettings, setting
from .kafka import (
    MAX_MESSAGE_BYTES,
    commit_start_offsets,
    contract_topics,
    ensure_topics,
    faust_options,
)
from .messages import dead_letter, encode

log = logging.getLogger(__name__)


@dataclasses.dataclass(frozen=True, repr=False)
class StreamSettings(KafkaSettings):
    """Settings of every faust worker."""

    faust_data_dir: str = setting(".vigie/faust", "where workers keep table state (per app id)")
    faust_session_timeout_s: float = setting(
        15.0, "how long the group waits for a silent worker before moving its partitions"
    )
    faust_batch_size: int = setting(32, "articles taken per batch")
    faust_batch_within_s: float = setting(
        0.03, "longest wait to fill a batch, counted from the end of the one before: it adds to"
              " every article's latency at light load; under a backlog batches fill at once"
    )
    faust_read_stall_s: float = setting(
        30.0, "a worker idle this long (no agent at work, nothing queued, no offset moving)"
              " while records wait for it seeks back to its committed offsets and reads again"
    )
    faust_recovery_stall_s: float = setting(
        120.0, "a worker whose table recovery waits this long without receiving a changelog"
               " record exits with status 70, to be restarted"
    )


def _seek_to_committed_offset_zero_too() -> None:
    """Make aiokafka's ``seek_to_committed`` seek partitions whose committed offset is 0 too.

    It skips them (``if offset and offset > 0``), and faust relies on that seek once table
    recovery is over: records fetched during recovery are dropped from its queues, to be read
    again from the committed offsets. A partition committed at 0 was left where its fetcher
    had got to, and the worker stalled for good with a backlog (a worker that took over from
    one that died before its first commit, in the fault tests). With ``prepare_group``
    committing a start offset, every partition the group consumes has one.
    """
    from aiokafka import AIOKafkaConsumer

    original = AIOKafkaConsumer.seek_to_committed
    if getattr(original, "seeks_zero", False):
        return

    async def seek_to_committed(self, *partitions):
        committed = await original(self, *partitions)
        for tp, offset in committed.items():
            if offset == 0:
                self.seek(tp, 0)
        return committed

    seek_to_committed.seeks_zero = True
    AIOKafkaConsumer.seek_to_committed = seek_to_committed


_seek_to_committed_offset_zero_too()


def _resume_streams_after_the_seek() -> None:
    """Make faust resume the stream partitions only once it has sought them back to their
    committed offsets and cleared its queues, at the end of a recovery.

    faust resumes them first, then seeks, then clears. Records fetched between the resume and
    the seek were still being delivered after the seek: the jump of the read offset back to
    the committed one and forward again counted as a gap in the partition, whose offsets faust
    treats as acknowledged, and the clear then dropped the records. A worker that took over
    committed past 17 articles per partition it never processed (the SIGKILL fault test), or
    stalled with them unread. The seek works on paused partitions; here the resume waits until
    the end of faust's own method.
    """
    from faust.tables.recovery import Recovery

    def deferring_resume(method):
        if getattr(method, "resumes_after_seek", False):
            return method

        async def wrapper(self, generation_id: int = 0) -> None:
            consumer = self.app.consumer
            deferred: set = set()
            consumer.resume_partitions = deferred.update  # shadows the method for this call
            try:
                await method(self, generation_id)
            finally:
                del consumer.resume_partitions
            if deferred and self.app.consumer_generation_id == generation_id:
                consumer.resume_partitions(deferred)

        wrapper.resumes_after_seek, wrapper.__wrapped__ = True, method
        return wrapper

    Recovery.on_recovery_completed = deferring_resume(Recovery.on_recovery_completed)
    Recovery._resume_streams = deferring_resume(Recovery._resume_streams)


_resume_streams_after_the_seek()


# Kafka refuses group session timeouts under its group.min.session.timeout.ms (6 s by default).
MIN_SESSION_TIMEOUT_S = 6.0


PRODUCER_LINGER_S = 0.005


def make_app(settings: StreamSettings, app_id: str) -> faust.App:
    """A faust app that reads and writes raw bytes (the JSON contracts are ours to decode)."""
    if settings.faust_session_timeout_s < MIN_SESSION_TIMEOUT_S:
        raise ConfigError(f"VIGIE_FAUST_SESSION_TIMEOUT_S must be at least {MIN_SESSION_TIMEOUT_S}"
                          " (the broker refuses shorter sessions)")
    datadir = Path(settings.faust_data_dir) / app_id
    datadir.parent.mkdir(parents=True, exist_ok=True)
    return faust.App(
        app_id,
        **faust_options(settings),
        datadir=str(datadir),
        store="memory://",
        value_serializer="raw",
        key_serializer="raw",
        web_enabled=False,
        topic_partitions=settings.topic_partitions,
        topic_allow_declare=True,
        consumer_auto_offset_reset="earliest",
        broker_session_timeout=settings.faust_session_timeout_s,
        broker_heartbeat_interval=max(1.0, settings.faust_session_timeout_s / 5),
        broker_commit_interval=1.0,
        producer_acks=-1,
        # Agents send one record per event: a few ms of linger turns those into one produce
        # request per partition, which costs the broker (and the worker's syscalls) far less.
        producer_linger=PRODUCER_LINGER_S,
        producer_max_request_size=MAX_MESSAGE_BYTES,
        consumer_max_fetch_size=MAX_MESSAGE_BYTES * 2,
        stream_wait_empty=False,
        # No standby copies of tables on other workers: they replay every changelog record
        # on a second worker for a faster failover, and a takeover replays the (compacted)
        # changelog anyway; their CPU is better spent on the stream.
        table_standby_replicas=0,
    )


def prepare_group(settings: StreamSettings, app_id: str, consumed: Iterable[str],
                  internal: dict[str, int]) -> None:
    """Before a worker joins its group: create the contract topics and the worker's internal
    ones, and commit a start offset for every partition the group consumes.

    faust declares internal topics itself, but that can race the first partition assignment,
    which then ignores the missing topic for good (its agent never gets a partition). Why the
    start offsets: ``commit_start_offsets``.
    """
    ensure_topics(settings, contract_topics(settings) | internal)
    commit_start_offsets(settings, app_id, [*consumed, *internal])


def event_origin(event) -> dict:
    """Topic, partition, offset and key of a consumed event, for dead letters and logs."""
    message = event.message
    return {"topic": message.topic, "partition": message.partition, "offset": message.offset,
            "key": message.key}


async def send_dead_letter(topic: faust.TopicT, service: str, event, error: BaseException,
                           ) -> None:
    origin = event_origin(event)
    letter = dead_letter(service=service, value=event.message.value, error=error, **origin)
    log.warning("dead-lettered: %s", letter.error, extra={k: v for k, v in origin.items()
                                                          if k != "key"})
    key = origin["key"] if isinstance(origin["key"], bytes) else None
    await topic.send(key=key, value=encode(letter))


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


class StreamWatch:
    """Consumer lag per partition, and a watch that gets a stalled worker going again.

    A worker can stand still for good while records wait for it, with no error: workers that
    took over partitions did, after faust's end of recovery had read records and dropped them
    (``_resume_streams_after_the_seek`` fixes the cause found). As a safety net, when records
    wait beyond the committed offsets, no agent is working, nothing is queued, and neither
    read nor committed offsets have moved for ``limit`` seconds, the worker seeks back to its
    committed offsets, as faust itself does after a recovery, and logs what it saw. At worst
    a few records are read twice, which at-least-once delivery allows. Agents mark their work
    with ``working()``.
    """

    def __init__(self, registry: CollectorRegistry, service: str) -> None:
        self.lag = Gauge(
            f"vigie_{service}_consumer_lag_messages",
            "Messages not yet processed (high watermark minus committed offset)",
            ["topic", "partition"], registry=registry,
        )
        self.reseeks = Counter(
            f"vigie_{service}_stream_reseeks", "Seeks back to the committed offsets after the"
            " worker stood still with records waiting", registry=registry,
        )
        self.collectors = (self.lag, self.reseeks)
        self.progress = Progress()
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

    async def check(self, app: faust.App, stall_limit: float) -> None:
        """Update the lag; seek back if the worker has stalled (call every few seconds)."""
        waiting = self.update_lag(app)
        consumer = app.consumer
        idle = (not self.busy and consumer.flow_active and not app.rebalancing
                and not app.in_recovery and all(c.queue.empty() for c in app.topics))
        offsets = (sorted(consumer._read_offset.items()),
                   sorted(consumer._committed_offset.items()))
        if self.progress.stalled(time.monotonic(), offsets, bool(waiting) and idle, stall_limit):
            log.warning("records wait and nothing moved for %.0f s; seeking back to the"
                        " committed offsets", stall_limit,
                        extra={"partitions": describe_partitions(app, waiting)})
            self.reseeks.inc()
            await reseek(app)

    def update_lag(self, app: faust.App) -> list:
        """Set the lag gauge; returns the partitions with records waiting. Table changelogs
        are left out: only a recovery reads them, and the worker's own writes would show as
        lag that grows for ever."""
        consumer = app.consumer
        changelogs = set(app.tables.changelog_topics)
        waiting = []
        for tp in consumer.assignment():
            highwater = consumer.highwater(tp)
            if highwater is None or tp.topic in changelogs:
                continue
            lag = max(highwater - next_to_process(consumer, tp), 0)
            self.lag.labels(tp.topic, str(tp.partition)).set(lag)
            if lag:
                waiting.append(tp)
        return waiting


def next_to_process(consumer, tp) -> int:
    """The committed offset; before any commit, the offset after the last one read."""
    committed = consumer._committed_offset.get(tp)  # faust keeps no public view of these
    if committed is not None:
        return committed
    read = consumer._read_offset.get(tp)
    return read + 1 if read is not None else 0


def describe_partitions(app: faust.App, partitions: Iterable) -> list[dict]:
    """What faust and its Kafka client know of each partition, for the log of a stall."""
    consumer = app.consumer
    found = []
    for tp in partitions:
        found.append({
            "topic": tp.topic, "partition": tp.partition, "highwater": consumer.highwater(tp),
            "read": consumer._read_offset.get(tp), "committed": consumer._committed_offset.get(tp),
            "fetch_position": fetch_position(app, tp),
            "active": tp in consumer._get_active_partitions(),
            "paused": tp in consumer._paused_partitions,
        })
    return found


def fetch_position(app: faust.App, tp) -> int | None:
    """Where the Kafka client will fetch ``tp`` next (read from the client's own thread's
    state: for a log line only)."""
    try:
        client = app.consumer._thread._ensure_consumer()
        state = client._subscription.subscription.assignment.state_value(tp)
        return state.position if state is not None and state.has_valid_position else None
    except Exception:  # noqa: BLE001 - a log detail must never stop the worker
        return None


async def reseek(app: faust.App) -> None:
    """Seek every partition back to its committed offset and read all but the paused ones
    again: what faust does once a recovery is over."""
    consumer = app.consumer
    try:
        await consumer.perform_seek()
    except Exception:  # noqa: BLE001 - e.g. the broker is away: the next check tries again
        log.warning("seeking back to the committed offsets failed", exc_info=True)
        return
    consumer._set_active_tps(consumer.assignment())


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
    received = recovery._active_events_received_at.values()  # faust keeps no public view
    last = max(received, default=recovery._recovery_started_at)
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


class StopAtOnce(faust.Worker):
    """A worker that SIGTERM and SIGINT end at once, committing nothing more.

    faust's graceful stop re-enables acknowledgements on the stream it is stopping, so the
    offsets of a batch cut short were committed unprocessed: the fault tests lost articles
    that way. Exiting at once turns a stop into a crash, which at-least-once delivery covers:
    what was not committed is redone by the next owner of the partitions (after the group's
    session timeout), under the same ids.
    """

    def _on_sigterm(self) -> None:
        self._exit("SIGTERM")

    def _on_sigint(self) -> None:
        self._exit("SIGINT")

    @staticmethod
    def _exit(signal_name: str) -> None:
        log.info("stopping on %s; uncommitted work will be redone", signal_name)
        logging.shutdown()
        os._exit(0)


def run_worker(app: faust.App, settings: StreamSettings, loglevel: str = "WARNING") -> int:
    """Run the app's agents until SIGTERM/SIGINT (or a stalled recovery)."""
    watch_recovery(app, settings.faust_recovery_stall_s)
    worker = StopAtOnce(app, loglevel=loglevel, quiet=True, redirect_stdouts=False,
                        override_logging=False)
    worker.execute_from_commandline()
    return 0
