"""The alert stage's internal records: the reports the track agent reads, the state it keeps.

A *report* (the internal reports topic, keyed by track) is one of a tagged union, told apart by
its ``kind``: ``alert`` (an alert published once, with the place and event time it reports),
``end`` (a rule's end phrase at a place: "відбій тривоги") or ``tick`` (time to send what is
due). ``decode_report`` refuses anything else with ``InvalidMessage`` (the worker dead-letters
it). A report of the previous version (no ``kind``: keyed by incident id, before tracks) is
refused the same way, its error saying so: its alert went out to ``news.alerts`` when it was
written, and the incident it named is closed quietly (``LegacyState``).

The state of a track (``TrackState``, one table entry per rule and place) is its recent periods,
each an ``IncidentState`` (the incident's record, the alert ids folded in, the event time of its
newest report), and the end reports no period took yet. These live on in the table's changelog
across upgrades, so they are versioned like the public contracts: fields are added only with
defaults, a breaking change is a new ``schema_version``. A state of the previous version
(``IncidentState`` version 1, keyed by incident id) still decodes, as ``LegacyState``.
"""

from __future__ import annotations

import math

import msgspec

from vigie.shared.messages import Alert, Incident, InvalidMessage, Place, RuleRef, refuse_long
from vigie.shared.timestamps import epoch

REPORT_VERSION = 1
STATE_VERSION = 2  # 1: one entry per incident, times of the worker's clock (LegacyState)
TRACK_VERSION = 1


class AlertReport(msgspec.Struct, tag="alert", tag_field="kind", kw_only=True):
    """An alert published once (its ``incident_id`` is set by the track), the rule's own topic,
    the place and event time it reports; ``exact``: a channel post's start (its time is the
    period's start, to the second); ``continues``: a place named as still under alert."""

    schema_version: int = REPORT_VERSION
    alert: Alert
    topic: str | None = None
    place: Place | None = None
    when: str
    exact: bool = False
    continues: bool = False


class EndReport(msgspec.Struct, tag="end", tag_field="kind", kw_only=True):
    """A rule's end phrase at a place and the event time it gives (no alert)."""

    schema_version: int = REPORT_VERSION
    rule: RuleRef
    place: Place | None = None
    when: str
    article_id: str = ""


class Tick(msgspec.Struct, tag="tick", tag_field="kind", kw_only=True):
    """Time to send what is due in this partition."""

    schema_version: int = REPORT_VERSION


Report = AlertReport | EndReport | Tick
_reports = msgspec.json.Decoder(Report)
PREVIOUS = ("alert", "end", "tick")  # the keys of a report of the previous version


def decode_report(value: bytes, max_chars: int) -> Report:
    """A report, or ``InvalidMessage``: its event time must be readable, an alert's snippet
    (a sentence of an article) no longer than ``max_chars``."""
    try:
        report = _reports.decode(value)
    except (msgspec.DecodeError, msgspec.ValidationError) as exc:
        raise InvalidMessage(f"not a Report: {exc}{_previous(value)}") from None
    if isinstance(report, (AlertReport, EndReport)) and epoch(report.when) is None:
        raise InvalidMessage(f"not a Report: unreadable event time {report.when!r}")
    if isinstance(report, AlertReport):
        refuse_long(report.alert.snippet, "snippet", max_chars)
    return report


def _previous(value: bytes) -> str:
    try:
        data = msgspec.json.decode(value)
    except msgspec.DecodeError:
        return ""
    if isinstance(data, dict) and "kind" not in data and any(k in data for k in PREVIOUS):
        return (" (a report of the previous version, keyed by incident id: its alert went out "
                "when it was written; the incident it named closes quietly)")
    return ""


class IncidentState(msgspec.Struct, kw_only=True):
    """One period of a track: its ``record`` (the last one sent, or the one to send), the ids of
    every alert folded into it (``seen``: an alert id is a rule and a story, so one per report),
    ``last_event`` (the event time of its newest report, epoch seconds), ``exact`` (a channel
    post started it: its start is fixed, and it waits longer for its end post), ``sent_clock``
    (the partition's clock when its last record went out; ``sent_at`` the wall clock's), ``due``
    (a record should go out) and
    ``read_at`` (the wall time of its last report: a period is forgotten only when it is old in
    both times, so that a backfill read out of order still finds it).
    """

    schema_version: int = STATE_VERSION
    record: Incident
    seen: list[str]
    last_event: float
    exact: bool = False
    sent_clock: float | None = None
    sent_at: float | None = None
    due: bool
    read_at: float = 0.0

    @property
    def start(self) -> float:
        return epoch(self.record.started_at)

    @property
    def end(self) -> float:
        """When it ended (event time); infinity while open."""
        return math.inf if self.record.ended_at is None else epoch(self.record.ended_at)

    @property
    def closed(self) -> bool:
        return self.record.closed_by is not None

    def contains(self, moment: float) -> bool:
        return self.start <= moment <= self.end


class KeptEnd(msgspec.Struct, array_like=True):
    """An end report no period took yet: its event time, and the wall time it was read."""

    moment: float
    read_at: float


class TrackState(msgspec.Struct, kw_only=True):
    """A rule and a place: its recent periods (by start), the end reports that no period took
    yet (``ends``: an end read before its start, in a backfill), and the table ``partition`` it
    lives in (an entry is written only while its own partition is read)."""

    schema_version: int = TRACK_VERSION
    rule: RuleRef
    place: Place | None = None
    partition: int | None = None
    periods: list[IncidentState] = []
    ends: list[KeptEnd] = []

    @classmethod
    def from_table(cls, value: object) -> TrackState:
        return msgspec.convert(value, cls)

    def to_table(self) -> dict:
        return msgspec.to_builtins(self)


class LegacyState(msgspec.Struct, kw_only=True):
    """An incident of the previous version (state version 1), keyed by its incident id, with
    the times of its worker's clock. No report reaches it any more: it closes quietly as that
    version would have, then leaves the table."""

    schema_version: int = 1
    record: Incident
    seen: list[str]
    last_report: float
    sent_at: float | None = None
    due: bool
    partition: int | None = None

    @classmethod
    def from_table(cls, value: object) -> LegacyState:
        return msgspec.convert(value, cls)

    def to_table(self) -> dict:
        return msgspec.to_builtins(self)


def is_legacy(value: object) -> bool:
    """A table value of the previous version: one incident, not a track."""
    return isinstance(value, dict) and "record" in value


def changed(state: msgspec.Struct, **fields) -> msgspec.Struct:
    return msgspec.structs.replace(state, **fields)
