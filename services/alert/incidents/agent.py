"""The incident agent: published alerts → ``model.Tracker`` → ``news.incidents``.

One table entry per incident, in a changelog-backed table partitioned like the reports topic
(keyed by incident id); ``news.incidents`` has as many partitions, and an incident's records go
to the partition of its reports, so one partition of each belongs to one worker.

No record twice, even after a SIGKILL. A record is sent, and its delivery awaited, before its
state is written, so a crash can lose the state of a record that went out; the restored table
would then send it again (a second ``open``, a revision repeated). So the table also keeps,
per partition, the offset of the last record sent (its *mark*, written after each state, in the
same changelog partition: if a mark survived, the states before it did too). After every
recovery the worker reads its partitions of ``news.incidents`` past their marks, and the
records found there replace the older states they came from (``Tracker.adopt``) before the
partition's next report is handled. Not covered: a worker that lost its partitions but still
runs (after a stall longer than the session timeout) can send one more record before it
notices; Kafka transactions would fence it.

What is not due at once (a coalesced update, a quiet close) goes out on a tick: a timer sends
one to every partition of the reports topic, and the agent handles that partition's incidents
there, since a faust table is written only while its stream is read. Closed incidents leave
the table one window after their last report.

The agent is a thin loop: ``IncidentKeeper`` holds its logic over any mutable mapping as its
table (the faust table here, a dict in unit tests) and sends through the function it is given.
"""

from __future__ import annotations

import asyncio
import collections
import logging
import time
from collections.abc import Awaitable, Callable, Iterable, Iterator, MutableMapping

from vigie.shared.config import ConfigError
from vigie.shared.kafka import partition_count, read_to_end
from vigie.shared.messages import Incident, InvalidMessage, decode, encode
from vigie.shared.streams import Agents, state_table

from ..metrics import AlertMetrics
from ..settings import AlertSettings
from .cap import LatestIncidents
from .model import IncidentState, Report, Tracker, changed, decode_report

log = logging.getLogger(__name__)
MARK = "sent-offset/"  # table key prefix of a partition's mark; incident ids are hex digests
# Sends a record to its partition of news.incidents; returns its offset once delivered.
Deliver = Callable[[Incident, int], Awaitable[int]]


def reports_topic_name(settings: AlertSettings) -> str:
    """The internal topic of incident reports, keyed by incident id."""
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


class IncidentKeeper:
    """The ``track`` agent's logic: folds each report of a partition into its incident's
    state, sends the records due through ``deliver`` and keeps the states, and each
    partition's mark, in ``table``."""

    def __init__(self, table: MutableMapping[str, object], tracker: Tracker, window_s: float,
                 deliver: Deliver) -> None:
        self.table, self.tracker, self.window_s, self.deliver = table, tracker, window_s, deliver
        self.sent_after_marks: dict[int, dict[str, Incident]] = {}  # partition → id → record

    def start_offsets(self, partitions: Iterable[int]) -> dict[int, int]:
        """Where to read ``news.incidents`` back from: past each partition's mark."""
        return {p: self.table[MARK + str(p)] + 1 if MARK + str(p) in self.table else 0
                for p in partitions}

    def read_back(self, found: dict[int, dict[str, Incident]]) -> None:
        """The records sent past the marks, to adopt as each partition is next read."""
        self.sent_after_marks = found

    def settle(self, partition: int) -> None:
        """Adopt the records read back for ``partition`` (only while its stream is read)."""
        for key, record in self.sent_after_marks.pop(partition, {}).items():
            state = Tracker.adopt(self.state(key), record)
            if state is not None:
                self.table[key] = changed(state, partition=partition).to_table()

    def state(self, key: str) -> IncidentState | None:
        value = self.table.get(key)
        return None if value is None else IncidentState.from_table(value)

    def states(self, partition: int) -> list[tuple[str, IncidentState]]:
        """The incidents of ``partition``, read at once (the table changes as they are kept)."""
        return [(key, state) for key, state in self._all_states() if state.partition == partition]

    def _all_states(self) -> Iterator[tuple[str, IncidentState]]:
        for key, value in self.table.items():
            if not key.startswith(MARK):
                yield key, IncidentState.from_table(value)

    async def handle(self, report: Report, partition: int, now: float) -> None:
        """Fold one report of ``partition`` in; ``now``: the worker's clock, in seconds."""
        if report.end is not None:
            state = self.state(report.end)
            if state is not None and not state.closed:
                await self.release(report.end, self.tracker.close(state, "report", now),
                                   partition, now)
        elif report.tick:
            await self.tick(partition, now)
        else:
            alert = report.alert
            state = self.tracker.report(self.state(alert.incident_id), alert,
                                        report.place or None, report.when or alert.detected_at,
                                        now)
            await self.release(alert.incident_id, state, partition, now)

    async def release(self, key: str, state: IncidentState, partition: int,
                      now: float) -> IncidentState:
        """Send the record of ``state`` if one is due, then keep the state (and the mark)."""
        state, record = self.tracker.release(changed(state, partition=partition), now)
        offset = None if record is None else await self.deliver(record, partition)
        kept = state.to_table()
        if kept != self.table.get(key):
            self.table[key] = kept
        if offset is not None:
            self.table[MARK + str(partition)] = offset
        return state

    async def tick(self, partition: int, now: float) -> None:
        """Send what is due in ``partition``, close the quiet, forget the long closed."""
        for key, state in self.states(partition):
            if self.tracker.quiet(state, now):
                state = self.tracker.close(state, "quiet", now)
            if state.due:
                state = await self.release(key, state, partition, now)
            if state.closed and not state.due and now - state.last_report > self.window_s:
                del self.table[key]

    def open_counts(self) -> collections.Counter:
        """Open incidents in the table, by (rule, country or "")."""
        return collections.Counter(
            (state.record.rule.id, (state.record.place and state.record.place.country) or "")
            for _, state in self._all_states() if not state.closed)


def attach_incidents(app, agents: Agents, settings: AlertSettings, metrics: AlertMetrics,
                     reports, latest: LatestIncidents | None = None):
    """The ``track`` agent on ``reports`` and the timer that ticks its partitions."""
    incidents_topic = app.topic(settings.topic_incidents)

    async def deliver(record: Incident, partition: int) -> int:
        future = await incidents_topic.send(key=record.id.encode(), value=encode(record),
                                            partition=partition)
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

    keeper = IncidentKeeper(state_table(app, "incidents", read_back),
                            Tracker(settings.incident_update_min_s, settings.incident_quiet_s),
                            settings.incident_window_s, deliver)

    @agents.each(reports)
    async def track(event):
        now, partition = time.time(), event.message.partition
        keeper.settle(partition)
        report = decode_report(event.value, settings.alert_max_text_chars)
        await keeper.handle(report, partition, now)
        if report.tick:
            show_open(keeper.open_counts(), metrics)

    @app.timer(min(10.0, settings.incident_update_min_s))
    async def tick():
        for partition in range(settings.topic_partitions):
            await reports.send(key=b"tick", partition=partition, value=encode(Report(tick=True)))

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
