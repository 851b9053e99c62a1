"""The incident agent: reports by track → ``periods.Tracker`` → alerts and ``news.incidents``.

Reports are keyed by *track* (a rule and a place, ``identity.track_key``), so one partition
of the reports topic, and one worker, owns a track; its state (``model.TrackState``: its recent
periods and the ends no period took yet) is one entry of a changelog-backed table partitioned
like the reports. ``news.incidents`` has as many partitions, and an incident's records go to
the partition of its track's reports, so one partition of each belongs to one worker.

**The alert is published here**, once its incident is known: the publish agent forwards the
first candidate of each alert id as a report of its track, and this agent sets the alert's
``incident_id`` to the period the track folds it into, sends it to ``news.alerts`` (and its
rule's topic), then the incident's records, then keeps the state. So ``Alert.incident_id``
always names the incident the alert is in. A crash before the state is kept repeats the alert
under the same id and incident (at-least-once; subscribers that key on ``id`` see it once);
a redelivered report whose alert the state knows is not published again.

**Time.** Every decision follows event time: the partition's clock (``PartitionClock``) is
the newest event time its reports have given, moved on with the wall clock while no report
comes (a live worker still closes quiet incidents when its partition is idle; a backfill's
clock follows the reports' times). The wall clock writes ``updated_at`` and moves an idle
clock on; nothing else.

No record twice, even after a SIGKILL. A record is sent, and its delivery awaited, before its
state is written (the records one report or tick releases are all queued, then awaited
together: a tick that releases many updates waits one round trip, not one per record), so a
crash can lose the state of a record that went out; the restored table
would then send it again (a second ``open``, a revision repeated). So the table also keeps,
per partition, the offset of the last record sent (its *mark*, written after each state, in the
same changelog partition: if a mark survived, the states before it did too). After every
recovery the worker reads its partitions of ``news.incidents`` past their marks, and the
records found there replace the older states they came from (``Tracker.adopt``) before the
partition's next report is handled. Not covered: a worker that lost its partitions but still
runs (after a stall longer than the session timeout) can send one more record before it
notices; Kafka transactions would fence it.

What is not due at once (a coalesced update, a quiet close) goes out on a tick: a timer sends
one to every partition of the reports topic, and the agent handles that partition's tracks
there, since a faust table is written only while its stream is read.

The agent is a thin loop: ``IncidentKeeper`` holds its logic over any mutable mapping as its
table (the faust table here, a dict in unit tests), and sends through the functions it is given.
"""

from __future__ import annotations

import asyncio
import collections
import datetime as dt
import logging
import time
from collections.abc import Awaitable, Callable, Iterable, Iterator, MutableMapping

import msgspec

from vigie.shared.config import ConfigError
from vigie.shared.kafka import partition_count, read_to_end
from vigie.shared.messages import Alert, Incident, InvalidMessage, decode, encode
from vigie.shared.streams import Agents, state_table
from vigie.shared.timestamps import epoch, format_time

from ..metrics import AlertMetrics
from ..settings import AlertSettings
from .cap import LatestIncidents
from .identity import track_key
from .model import (
    AlertReport,
    EndReport,
    LegacyState,
    Report,
    Tick,
    TrackState,
    changed,
    decode_report,
    is_legacy,
)
from .periods import Tracker

log = logging.getLogger(__name__)
MARK = "sent-offset/"  # table key prefix of a partition's mark; track keys are hex digests
CLOCK = "clock/"  # table key prefix of a partition's clock
# Queues a record for its partition of news.incidents; returns its delivery, which gives the
# record's offset once the broker has it.
Send = Callable[[Incident, int], Awaitable[Awaitable[int]]]
# Publishes an alert (its incident id set) to news.alerts and its rule's topic (or None).
Publish = Callable[[Alert, "str | None"], Awaitable[None]]


def reports_topic_name(settings: AlertSettings) -> str:
    """The internal topic of incident reports, keyed by track."""
    return f"{settings.alert_app_id}.incident-reports"


def check_partitions(settings: AlertSettings) -> None:
    """``news.incidents`` must have a partition for each partition of the reports."""
    found = partition_count(settings, settings.topic_incidents)
    if found != settings.topic_partitions:
        raise ConfigError(
            f"{settings.topic_incidents} has {found} partitions, VIGIE_TOPIC_PARTITIONS is "
            f"{settings.topic_partitions}: an incident's records go to the partition of its "
            "reports; recreate the topic with as many partitions (its records are rebuilt "
            "from new reports) or set VIGIE_TOPIC_PARTITIONS to match")


class PartitionClock(msgspec.Struct, array_like=True):
    """A partition's event time: the newest one its reports gave (``event``), moved on by the
    wall time since it was read (``read_at``, the wall clock: an idle partition's time goes
    on). A report cannot come from the future: its time counts at most up to the wall clock."""

    event: float
    read_at: float

    def now(self, wall: float) -> float:
        return self.event + max(0.0, wall - self.read_at)

    def advanced(self, moment: float, wall: float) -> PartitionClock:
        return PartitionClock(max(self.now(wall), min(moment, wall)), wall)


class IncidentKeeper:
    """The ``track`` agent's logic: folds each report of a partition into its track, publishes
    the alerts and sends the records due through ``publish`` and ``send``, and keeps the
    tracks, each partition's mark and clock in ``table``."""

    def __init__(self, table: MutableMapping[str, object], tracker: Tracker, send: Send,
                 publish: Publish) -> None:
        self.table, self.tracker, self.send, self.publish = table, tracker, send, publish
        self.sent_after_marks: dict[int, dict[str, Incident]] = {}  # partition → id → record

    def start_offsets(self, partitions: Iterable[int]) -> dict[int, int]:
        """Where to read ``news.incidents`` back from: past each partition's mark."""
        return {p: self.table[MARK + str(p)] + 1 if MARK + str(p) in self.table else 0
                for p in partitions}

    def read_back(self, found: dict[int, dict[str, Incident]]) -> None:
        """The records sent past the marks, to adopt as each partition is next read."""
        self.sent_after_marks = found

    def settle(self, partition: int, wall: float) -> None:
        """Adopt the records read back for ``partition`` (only while its stream is read)."""
        for record in self.sent_after_marks.pop(partition, {}).values():
            key = track_key(record.rule.id, record.place)
            clock = self.clock(partition)
            now = epoch(record.started_at) if clock is None else clock.now(wall)
            track = Tracker.adopt(self.track(key), record, now)
            if track is not None:
                self.table[key] = changed(track, partition=partition).to_table()

    def track(self, key: str) -> TrackState | None:
        value = self.table.get(key)
        return None if value is None or is_legacy(value) else TrackState.from_table(value)

    def clock(self, partition: int) -> PartitionClock | None:
        value = self.table.get(CLOCK + str(partition))
        return None if value is None else msgspec.convert(value, PartitionClock)

    def advance(self, partition: int, when: str, wall: float) -> float:
        """The partition's clock after a report of event time ``when``."""
        moment, clock = epoch(when), self.clock(partition)
        clock = PartitionClock(min(moment, wall), wall) if clock is None \
            else clock.advanced(moment, wall)
        self.table[CLOCK + str(partition)] = msgspec.to_builtins(clock)
        return clock.event

    async def handle(self, report: Report, partition: int, wall: float) -> None:
        """Fold one report of ``partition`` in; ``wall``: the wall clock, in seconds."""
        if isinstance(report, Tick):
            await self.tick(partition, wall)
            return
        clock = self.advance(partition, report.when, wall)
        if isinstance(report, EndReport):
            key = track_key(report.rule.id, report.place)
            track = self.track(key) or TrackState(rule=report.rule, place=report.place)
            await self.keep([(key, self.tracker.end(track, report, wall))], partition, clock,
                            wall)
        else:
            await self.alert(report, partition, clock, wall)

    async def alert(self, report: AlertReport, partition: int, clock: float,
                    wall: float) -> None:
        key = track_key(report.alert.rule.id, report.place)
        track = self.track(key) or TrackState(rule=report.alert.rule, place=report.place)
        track, period, new = self.tracker.report(track, report, clock, wall)
        if new:
            alert = msgspec.structs.replace(report.alert, incident_id=period.record.id)
            await self.publish(alert, report.topic)
        await self.keep([(key, track)], partition, clock, wall)

    async def keep(self, tracks: list[tuple[str, TrackState]], partition: int, clock: float,
                   wall: float) -> None:
        """Send the records due in ``tracks`` (all queued first), then keep each track once its
        records are delivered, then the partition's mark: the offset of the last record whose
        state is kept."""
        released = []
        for key, track in tracks:
            track, records = self.release(track, partition, clock, wall)
            released.append((key, track, [await self.send(record, partition)
                                          for record in records]))
        mark = None
        try:
            for key, track, deliveries in released:
                offsets = [await delivery for delivery in deliveries]
                kept = track.to_table()
                if kept != self.table.get(key):
                    self.table[key] = kept
                mark = offsets[-1] if offsets else mark
        finally:  # a failed delivery: the tracks before it, and their mark, are still kept
            if mark is not None:
                self.table[MARK + str(partition)] = mark

    def release(self, track: TrackState, partition: int, clock: float, wall: float
                ) -> tuple[TrackState, list[Incident]]:
        """``track`` with its periods' records due marked sent, and those records."""
        track = changed(track, partition=partition, periods=list(track.periods))
        records: list[Incident] = []
        for index, period in enumerate(track.periods):
            track.periods[index], due = self.tracker.release(period, clock, wall)
            records += due
        return track, records

    async def tick(self, partition: int, wall: float) -> None:
        """Send what is due in ``partition``, close the quiet, forget the long closed."""
        clock = self.clock(partition)
        now = None if clock is None else clock.now(wall)
        kept = []
        for key, value in self.entries(partition):
            if is_legacy(value):
                await self.retire(key, LegacyState.from_table(value), partition, wall)
                continue
            if now is None:
                continue
            track = self.tracker.expire(TrackState.from_table(value), now, wall)
            if track is None:
                del self.table[key]
            else:
                kept.append((key, track))
        if now is not None:
            await self.keep(kept, partition, now, wall)

    def entries(self, partition: int) -> list[tuple[str, object]]:
        """The tracks (and incidents of the previous version) of ``partition``, read at once
        (the table changes as they are kept)."""
        return [(key, value) for key, value in self._values()
                if value.get("partition") == partition]

    def _values(self) -> Iterator[tuple[str, dict]]:
        for key, value in self.table.items():
            if not key.startswith((MARK, CLOCK)):
                yield key, value

    async def retire(self, key: str, state: LegacyState, partition: int, wall: float) -> None:
        """An incident of the previous version: no report reaches it now. Closed quietly as
        that version would have (its worker's clock: the quiet time after its last report),
        then forgotten."""
        if state.record.status != "closed":
            if wall - state.last_report < self.tracker.quiet_s:
                return
            ended = dt.datetime.fromtimestamp(state.last_report + self.tracker.quiet_s,
                                              dt.timezone.utc)
            record = msgspec.structs.replace(
                state.record, status="closed", closed_by="quiet", ended_at=format_time(ended),
                revision=state.record.revision + 1, updated_at=format_time(
                    dt.datetime.fromtimestamp(wall, dt.timezone.utc)))
            self.table[MARK + str(partition)] = await (await self.send(record, partition))
        del self.table[key]

    def open_counts(self) -> collections.Counter:
        """Open incidents in the table, by (rule, country or "")."""
        counts: collections.Counter = collections.Counter()
        for _, value in self._values():
            if is_legacy(value):
                continue
            track = TrackState.from_table(value)
            place = (track.place and track.place.country) or ""
            counts[(track.rule.id, place)] += sum(not p.closed for p in track.periods)
        return +counts


def attach_incidents(app, agents: Agents, settings: AlertSettings, metrics: AlertMetrics,
                     reports, publish: Publish, latest: LatestIncidents | None = None):
    """The ``track`` agent on ``reports`` and the timer that ticks its partitions."""
    incidents_topic = app.topic(settings.topic_incidents)

    async def send(record: Incident, partition: int) -> asyncio.Task[int]:
        future = await incidents_topic.send(key=record.id.encode(), value=encode(record),
                                            partition=partition)
        return asyncio.ensure_future(delivered(record, future))

    async def delivered(record: Incident, future) -> int:
        offset = (await future).offset
        metrics.incident_records.labels(record.rule.id, record.status).inc()
        if latest is not None:
            latest.add(record)
        return offset

    async def read_back() -> None:
        """The records of this worker's partitions sent past their marks (see the module)."""
        partitions = {tp.partition for tp in app.consumer.assignment()
                      if tp.topic == reports.get_topic_name()}
        found = await asyncio.get_running_loop().run_in_executor(
            None, records_from, settings, keeper.start_offsets(partitions))
        keeper.read_back(found)
        if any(found.values()):
            log.warning("incident records sent before a restart read back",
                        extra={"records": {p: len(r) for p, r in found.items() if r}})

    keeper = IncidentKeeper(
        state_table(app, "incidents", read_back),
        Tracker(settings.incident_update_min_s, settings.incident_quiet_s,
                settings.incident_channel_quiet_s, settings.incident_window_s),
        send, publish)

    @agents.each(reports)
    async def track(event):
        # the wall clock: it moves an idle partition's clock on and stamps updated_at
        wall, partition = time.time(), event.message.partition
        keeper.settle(partition, wall)
        report = decode_report(event.value, settings.alert_max_text_chars)
        await keeper.handle(report, partition, wall)
        if isinstance(report, Tick):
            show_open(keeper.open_counts(), metrics)

    @app.timer(min(10.0, settings.incident_update_min_s))
    async def tick():
        for partition in range(settings.topic_partitions):
            await reports.send(key=b"tick", partition=partition, value=encode(Tick()))

    return track


def records_from(settings: AlertSettings, start: dict[int, int]) -> dict[int, dict[str, Incident]]:
    """The last record per incident in each partition of ``news.incidents`` from ``start``."""
    found: dict[int, dict[str, Incident]] = {p: {} for p in start}
    for record in read_to_end(settings, settings.topic_incidents, start=start, timeout_s=60):
        if record.value is None:
            continue
        try:
            incident = decode(record.value, Incident)
        except InvalidMessage as exc:  # not ours: nothing this worker sent to adopt
            log.warning("skipped a record of %s: %s", settings.topic_incidents, exc,
                        extra={"partition": record.partition, "offset": record.offset})
            continue
        found[record.partition][incident.id] = incident
    return found


def show_open(counts: collections.Counter, metrics: AlertMetrics) -> None:
    """The open-incidents gauge, from this worker's table."""
    metrics.open_incidents.clear()
    for (rule, country), count in counts.items():
        metrics.open_incidents.labels(rule, country).set(count)
