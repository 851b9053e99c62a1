"""The incident agent: published alerts → ``incidents.Tracker`` → ``news.incidents``.

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
"""

from __future__ import annotations

import asyncio
import collections
import logging
import time

import msgspec

from vigie.shared.config import ConfigError
from vigie.shared.kafka import partition_count, read_to_end
from vigie.shared.messages import (
    Alert,
    Incident,
    InvalidMessage,
    Place,
    decode,
    encode,
    refuse_long,
    to_dict,
)
from vigie.shared.metrics import Document
from vigie.shared.streams import Agents, state_table

from .cap import cap_document, cap_feed
from .incidents import Tracker
from .metrics import AlertMetrics
from .settings import AlertSettings

log = logging.getLogger(__name__)
MARK = "sent-offset/"  # table key prefix of a partition's mark; incident ids are hex digests


def reports_topic_name(settings: AlertSettings) -> str:
    """The internal topic of incident reports, keyed by incident id."""
    return f"{settings.alert_app_id}.incident-reports"


class Report(msgspec.Struct, kw_only=True, omit_defaults=True):
    """A record of the reports topic: an alert published (with the place and event time its
    incident id was found from), the end of an incident (its id), or a tick."""

    alert: Alert | None = None
    # written with every alert, even null (earlier versions expect it); absent otherwise
    place: Place | None | msgspec.UnsetType = msgspec.UNSET
    when: str | None = None
    end: str | None = None
    tick: bool = False


def decode_report(value: bytes, max_chars: int) -> Report:
    """A report, or ``InvalidMessage``: an alert report needs the alert's incident id, and
    its snippet (a sentence of an article) is no longer than ``max_chars``."""
    report = decode(value, Report)
    if report.alert is not None:
        if report.alert.incident_id is None:
            raise InvalidMessage("not a Report: an alert without incident_id")
        refuse_long(report.alert.snippet, "snippet", max_chars)
    elif report.end is None and not report.tick:
        raise InvalidMessage("not a Report: no alert, end or tick")
    return report


def check_partitions(settings: AlertSettings) -> None:
    """``news.incidents`` must have a partition for each partition of the reports."""
    found = partition_count(settings, settings.topic_incidents)
    if found != settings.topic_partitions:
        raise ConfigError(
            f"{settings.topic_incidents} has {found} partitions, VIGIE_TOPIC_PARTITIONS is "
            f"{settings.topic_partitions}: an incident's records go to the partition of its "
            "reports; recreate the topic with as many partitions (its records are rebuilt "
            "from new reports) or set VIGIE_TOPIC_PARTITIONS to match")


def attach_incidents(app, agents: Agents, settings: AlertSettings, metrics: AlertMetrics,
                     reports, current: Incidents | None = None):
    """The ``track`` agent on ``reports`` and the timer that ticks its partitions."""
    tracker = Tracker(settings.incident_update_min_s, settings.incident_quiet_s)
    incidents_topic = app.topic(settings.topic_incidents)
    sent_after_marks: dict[int, dict[str, dict]] = {}  # partition → incident id → record

    async def read_back() -> None:
        """The records of this worker's partitions sent past their marks (see the module)."""
        partitions = {tp.partition for tp in app.consumer.assignment()
                      if tp.topic == reports.get_topic_name()}
        start = {p: table[MARK + str(p)] + 1 if MARK + str(p) in table else 0
                 for p in partitions}
        found = await asyncio.get_running_loop().run_in_executor(
            None, records_from, settings, start)
        sent_after_marks.clear()
        sent_after_marks.update(found)
        if any(found.values()):
            log.warning("incident records sent before a restart read back",
                        extra={"records": {p: len(r) for p, r in found.items() if r}})

    table = state_table(app, "incidents", read_back)

    def settle(partition: int) -> None:
        """Adopt the records read back for ``partition`` (only while its stream is read)."""
        for key, record in sent_after_marks.pop(partition, {}).items():
            state = Tracker.adopt(table.get(key), record)
            if state is not None:
                table[key] = {**state, "partition": partition}

    async def send(record: Incident, partition: int) -> int:
        """Send ``record`` and wait for its delivery; its offset."""
        future = await incidents_topic.send(key=record.id.encode(), value=encode(record),
                                            partition=partition)
        offset = (await future).offset
        metrics.incident_records.labels(record.rule.id, record.status).inc()
        if current is not None:
            current.add(record)
        return offset

    async def release(key: str, state: dict, partition: int, now: float) -> dict:
        """Send the record of ``state`` if one is due, then keep the state (and the mark)."""
        state, record = tracker.release({**state, "partition": partition}, now)
        offset = None if record is None else await send(record, partition)
        if state != table.get(key):
            table[key] = state
        if offset is not None:
            table[MARK + str(partition)] = offset
        return state

    @agents.each(reports)
    async def track(event):
        now, partition = time.time(), event.message.partition
        settle(partition)
        report = decode_report(event.value, settings.alert_max_text_chars)
        if report.end is not None:
            state = table.get(report.end)
            if state is not None and state["record"]["status"] != "closed":
                await release(report.end, tracker.close(state, "report", now), partition, now)
        elif report.tick:
            await tick_partition(partition, now)
        else:
            alert = report.alert
            state = tracker.report(table.get(alert.incident_id), alert, report.place or None,
                                   report.when or alert.detected_at, now)
            await release(alert.incident_id, state, partition, now)

    async def tick_partition(partition: int, now: float) -> None:
        """Send what is due in ``partition``, close the quiet, forget the long closed."""
        for key, state in incident_states(table, partition):
            if tracker.quiet(state, now):
                state = tracker.close(state, "quiet", now)
            if state["due"]:
                state = await release(key, state, partition, now)
            if state["record"]["status"] == "closed" and not state["due"] and (
                    now - state["last_report"] > settings.incident_window_s):
                del table[key]
        count_open(table, metrics)

    @app.timer(min(10.0, settings.incident_update_min_s))
    async def tick():
        for partition in range(settings.topic_partitions):
            await reports.send(key=b"tick", partition=partition, value=encode(Report(tick=True)))

    return track


def records_from(settings: AlertSettings, start: dict[int, int]) -> dict[int, dict[str, dict]]:
    """The last record per incident in each partition of ``news.incidents`` from ``start``."""
    found: dict[int, dict[str, dict]] = {p: {} for p in start}
    for record in read_to_end(settings, settings.topic_incidents, start=start, timeout_s=60):
        if record.value is None:
            continue
        try:
            incident = decode(record.value, Incident)
        except InvalidMessage as exc:  # not ours: nothing this worker sent to adopt
            log.warning("skipped a record of %s: %s", settings.topic_incidents, exc,
                        extra={"partition": record.partition, "offset": record.offset})
            continue
        found[record.partition][incident.id] = to_dict(incident)
    return found


def incident_states(table, partition: int) -> list[tuple[str, dict]]:
    return [(key, state) for key, state in table.items()
            if not key.startswith(MARK) and state["partition"] == partition]


def count_open(table, metrics: AlertMetrics) -> None:
    """The open-incidents gauge, from this worker's table."""
    counts = collections.Counter(
        (v["record"]["rule"]["id"], (v["record"]["place"] or {}).get("country") or "")
        for k, v in table.items() if not k.startswith(MARK) and v["record"]["status"] != "closed")
    metrics.open_incidents.clear()
    for (rule, country), count in counts.items():
        metrics.open_incidents.labels(rule, country).set(count)


class Incidents:
    """The latest record of the incidents this worker tracks, for ``/cap`` (the newest
    ``size``; a closed one stays, so its AllClear is served)."""

    def __init__(self, settings: AlertSettings, size: int = 500) -> None:
        self.size, self.sender = size, settings.cap_sender
        self.base_url = settings.cap_base_url or f"http://127.0.0.1:{settings.alert_metrics_port}"
        self._records: dict[str, Incident] = {}

    def add(self, record: Incident) -> None:
        self._records.pop(record.id, None)
        self._records[record.id] = record
        while len(self._records) > self.size:
            del self._records[next(iter(self._records))]

    def latest(self):
        """Newest first, as JSON: the map and table panels read it."""
        return 200, [to_dict(record) for record in reversed(self._records.values())]

    def feed(self):
        return 200, Document(cap_feed(list(self._records.values()), self.sender, self.base_url),
                             "application/atom+xml")

    def document(self, name: str):
        record = self._records.get(name.removesuffix(".xml"))
        if record is None:
            return 404, {"error": f"no current incident {name}"}
        return 200, Document(cap_document(record, self.sender), "application/cap+xml")
