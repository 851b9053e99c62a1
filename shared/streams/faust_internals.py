"""The one module that reaches into faust-streaming, aiokafka and mode internals.

Vigie's at-least-once guarantee rests on four corrections of faust's consumer (each names
the upstream issue and what it corrects), one override of mode's signal handling, and a few
private attributes read by the stream watch. They hold for the versions in ``TESTED``:
``check_versions`` refuses others unless ``VIGIE_FAUST_ALLOW_UNTESTED`` is set, and
``tests/unit/shared/test_faust_internals.py`` fails when faust stops behaving the way a
correction assumes (or fixes the bug it corrects). ``apply()`` installs the corrections and
``make_app`` calls it; importing this module changes nothing.
"""

from __future__ import annotations

import importlib.metadata
import logging
import os
from collections.abc import Callable

import faust
from faust.tables.recovery import Recovery
from faust.transport.consumer import Consumer
from faust.transport.drivers.aiokafka import AIOKafkaConsumerThread

from ..config import ConfigError

log = logging.getLogger(__name__)

# The versions the corrections below were written for and tested with (pyproject pins them).
TESTED = {"faust-streaming": "0.15.3", "aiokafka": "0.14.0", "mode-streaming": "0.7.1"}


def untested_versions() -> dict[str, str]:
    """Installed versions that differ from ``TESTED``, by distribution name."""
    found = {name: importlib.metadata.version(name) for name in TESTED}
    return {name: version for name, version in found.items() if version != TESTED[name]}


def check_versions(allow_untested: bool) -> None:
    """Refuse to run on versions the corrections were not tested with (they patch internals
    that any release may change), unless the operator says otherwise."""
    untested = untested_versions()
    if not untested:
        return
    found = ", ".join(f"{name} {version} (tested: {TESTED[name]})"
                      for name, version in sorted(untested.items()))
    if not allow_untested:
        raise ConfigError(f"untested stream library versions: {found}. Vigie corrects faust's"
                          " offset handling by patching its internals; install the tested"
                          " versions, or set VIGIE_FAUST_ALLOW_UNTESTED=1 at your own risk")
    log.warning("running on untested stream library versions: %s", found)


# --- The corrections -------------------------------------------------------------------------

def resume_after_seek(method):
    """faust-streaming #596: at the end of a recovery faust resumes the stream partitions,
    then seeks them back to their committed offsets, then clears its queues. Records fetched
    between the resume and the seek were delivered after it: the jump of the read offset
    counted as a gap (offsets faust treats as acknowledged) and the clear dropped them, so a
    worker that took over committed records it never processed, or stranded them. The seek
    works on paused partitions; the resume now waits until the end of faust's own method.

    Relies on: the method resumes partitions through ``self.app.consumer.resume_partitions``.
    """

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

    return wrapper


async def perform_seek(self) -> None:
    """faust's ``Consumer.perform_seek``, except that a partition committed at 0 is sought
    back to 0 and remembered as committed at 0, and the read offset is the one before the
    committed offset.

    aiokafka #1003: ``seek_to_committed`` skips partitions committed at 0 (``offset > 0``), so
    one stayed where its fetcher had got to during recovery, past the records faust then
    dropped: a worker that took over from one that died before its first commit stalled with
    a backlog. faust stored 0 as None ("nothing committed"), which turned off its own head
    check. And faust set the read offset, which its fetch loop takes for the last record read,
    to the committed offset, the next one to read: a first read that jumps over the committed
    offset (records deleted by retention) was not recorded as a hole, and the commit rule of
    ``commit_from_the_head`` would then wait for it for ever. ``prepare_group`` commits a
    start offset, so every partition the group consumes has one.
    """
    committed = await self.seek_to_committed()
    known = {tp: offset for tp, offset in committed.items() if offset is not None and offset >= 0}
    at_zero = {tp: 0 for tp, offset in known.items() if offset == 0}
    if at_zero:
        await self.seek_wait(at_zero)  # on the consumer's own thread
    self._read_offset.update({tp: offset - 1 for tp, offset in known.items()})
    self._committed_offset.update(known)


def commit_from_the_head(new_offset):
    """faust-streaming #606: faust commits the first run of acknowledged offsets even when
    it starts one past the committed offset (it only holds back for a hole of two or more,
    and not at all while the committed offset is 0), so a single record left unacknowledged
    at the head (dropped from a queue, still in flight) is committed over and never read
    again. A run is now committed only if it starts at the committed offset, or faust
    recorded a hole there: its gaps (offsets its reads jumped over) start one past the
    committed offset, so a hole right after the head means the head was jumped over too, as
    when the records from the committed offset on were deleted by retention. On the topics
    Vigie's agents read (no compaction, no transactions) a record is never followed by a hole.

    Relies on: ``_committed_offset``, ``_acked``, ``_acked_index`` and ``_gap`` per partition.
    """

    def wrapper(self, tp):
        committed = self._committed_offset[tp]
        if (committed is not None and self._acked[tp]
                and committed not in self._acked_index[tp]
                and not self._gap[tp].overlaps_point(committed)
                and not self._gap[tp].overlaps_point(committed + 1)):
            return None
        return new_offset(self, tp)

    return wrapper


def fetch_a_snapshot(getmany):
    """robinhood/faust #69, back since faust-streaming #239 made the set change in place: faust
    hands its live set of active partitions to the Kafka client's thread and goes on
    changing it in place while the thread fetches: a pause (the end of a recovery pauses the
    changelogs while the stream partitions are still paused) can leave it empty, and
    ``_set_active_tps`` empties it before refilling it. aiokafka takes an empty set for "every
    partition": records of paused partitions were taken from the client, then dropped by
    faust's filter, and the client fetched on from past them. The thread now gets a copy taken
    when the fetch is asked for, and an empty copy fetches nothing.

    Relies on: ``AIOKafkaConsumerThread.getmany(active_partitions, timeout)`` passing
    ``active_partitions`` to ``Fetcher.fetched_records`` (None: a client-only app, every
    partition).
    """

    async def wrapper(self, active_partitions, timeout):
        if active_partitions is None:
            return await getmany(self, None, timeout)
        snapshot = frozenset(active_partitions)  # on the event loop, the set's only writer
        if not snapshot:
            return {}
        return await getmany(self, snapshot, timeout)

    return wrapper


ORIGINALS = {
    (Recovery, "on_recovery_completed"): Recovery.on_recovery_completed,
    (Recovery, "_resume_streams"): Recovery._resume_streams,
    (Consumer, "perform_seek"): Consumer.perform_seek,
    (Consumer, "_new_offset"): Consumer._new_offset,
    (AIOKafkaConsumerThread, "getmany"): AIOKafkaConsumerThread.getmany,
}


def corrected() -> dict:
    """Each patched attribute with its corrected version."""
    return {
        (Recovery, "on_recovery_completed"): resume_after_seek(Recovery.on_recovery_completed),
        (Recovery, "_resume_streams"): resume_after_seek(Recovery._resume_streams),
        (Consumer, "perform_seek"): perform_seek,
        (Consumer, "_new_offset"): commit_from_the_head(Consumer._new_offset),
        (AIOKafkaConsumerThread, "getmany"): fetch_a_snapshot(AIOKafkaConsumerThread.getmany),
    }


def apply() -> None:
    """Install the corrections (once per process)."""
    if is_applied():
        return
    for (owner, name), replacement in corrected().items():
        replacement.__wrapped__ = ORIGINALS[owner, name]
        setattr(owner, name, replacement)


def is_applied() -> bool:
    return all(getattr(owner, name) is not original
               for (owner, name), original in ORIGINALS.items())


# --- What the stream watch reads -------------------------------------------------------------
# faust keeps no public view of these.

def read_offsets(consumer) -> dict:
    """The offset of the last record read, per partition."""
    return dict(consumer._read_offset)


def committed_offsets(consumer) -> dict:
    """The committed offset (the next record to process), per partition, where known."""
    return {tp: offset for tp, offset in consumer._committed_offset.items() if offset is not None}


def partition_state(app: faust.App, tp) -> dict:
    """What faust and its Kafka client know of a partition, for the log of a stall."""
    consumer = app.consumer
    return {"read": consumer._read_offset.get(tp),
            "committed": consumer._committed_offset.get(tp),
            "fetch_position": fetch_position(consumer, tp),
            "active": tp in consumer._get_active_partitions(),
            "paused": tp in consumer._paused_partitions}


def fetch_position(consumer, tp) -> int | None:
    """Where the Kafka client will fetch ``tp`` next (the client thread's state, read
    unguarded: for a log line only)."""
    try:
        client = consumer._thread._ensure_consumer()
        state = client._subscription.subscription.assignment.state_value(tp)
        return state.position if state is not None and state.has_valid_position else None
    except Exception:  # noqa: BLE001 - a log detail must never stop the worker
        return None


async def seek_back(app: faust.App) -> None:
    """Seek the stream partitions back to their committed offsets, paused meanwhile (records
    fetched before the seek would otherwise be delivered after it), as faust does once a
    recovery is over."""
    consumer = app.consumer
    changelogs = set(app.tables.changelog_topics)
    streams = {tp for tp in consumer.assignment() if tp.topic not in changelogs}
    consumer.pause_partitions(streams)
    try:
        await consumer.perform_seek()
    finally:
        consumer.resume_partitions(streams)


def last_changelog_event(recovery) -> float | None:
    """When table recovery last received a changelog record (else when it started), in
    ``time.monotonic()`` seconds."""
    received = recovery._active_events_received_at.values()
    return max(received, default=recovery._recovery_started_at)


# --- Stopping ----------------------------------------------------------------------------------

class StopAtOnce(faust.Worker):
    """A worker that SIGTERM and SIGINT end at once, committing nothing more.

    faust's graceful stop re-enables acknowledgements on the stream it is stopping, so the
    offsets of a batch cut short were committed unprocessed: the fault tests lost articles
    that way. Exiting at once turns a stop into a crash, which at-least-once delivery covers:
    what was not committed is redone by the next owner of the partitions (after the group's
    session timeout), under the same ids. No upstream issue matches it exactly (the closest
    is robinhood/faust #75, "Should not commit offsets upon crash"). Relies on mode's
    ``Worker._on_sigterm`` and ``_on_sigint`` being the signal handlers.

    ``on_ready`` is called once the worker is started (tables recovered): faust's Worker
    takes the app's ``on_startup_finished`` callback for itself.
    """

    def __init__(self, *services, on_ready: Callable[[], None] | None = None, **options):
        super().__init__(*services, **options)
        self.ready_callback = on_ready  # not ``on_ready``/``on_started``: mode's own hooks
        # faust draws its start-up spinner even when quiet and not on a terminal: its
        # backspaces and cursor escapes ended up in the logs.
        self.spinner = None

    async def on_startup_finished(self) -> None:
        await super().on_startup_finished()
        if self.ready_callback is not None:
            self.ready_callback()

    def _on_sigterm(self) -> None:
        self._exit("SIGTERM")

    def _on_sigint(self) -> None:
        self._exit("SIGINT")

    @staticmethod
    def _exit(signal_name: str) -> None:
        log.info("stopping on %s; uncommitted work will be redone", signal_name)
        logging.shutdown()
        os._exit(0)
