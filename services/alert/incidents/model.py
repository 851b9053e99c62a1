"""The incident records: the reports the track agent reads, the state it keeps, the tracker.

A *report* (``Report``, the internal reports topic) is an alert published, the end of an
incident, or a tick. ``Tracker`` folds the reports of one incident into its record
(``Incident``): the first opens it, later ones update it (distinct stories and sources, the
newest 100 alert ids), an end report ("fin de l'alerte") or ``VIGIE_INCIDENT_QUIET_S`` without
a report closes it. A record is due at most once per ``VIGIE_INCIDENT_UPDATE_MIN_S``, so a
burst of syndicated copies is one update. The tracker is pure: it takes and returns an
``IncidentState``, which the alert worker keeps in a table (``agent``).

An ``IncidentState`` lives on in the table's changelog across upgrades, so it is versioned like
the public contracts: fields are added only with defaults, a breaking change is a new
``schema_version``. States written before it had a version (plain JSON objects of the same
fields) read as version 1.
"""

from __future__ import annotations

import datetime as dt

import msgspec

from vigie.shared.messages import Alert, Incident, InvalidMessage, Place, decode, refuse_long
from vigie.shared.timestamps import epoch, format_time

MAX_ALERT_IDS = 100
STATE_VERSION = 1


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


class IncidentState(msgspec.Struct, kw_only=True):
    """What the worker's table keeps of one incident: its ``record`` (the last one sent, or the
    one to send), the ids of every alert folded into it (``seen``: an alert id is a rule and a
    story, so one per report), ``last_report`` and ``sent_at`` (the worker's clock, seconds),
    ``due`` (a record should go out) and the table ``partition`` it lives in (set by the
    agent: an entry is written only while its own partition is read)."""

    schema_version: int = STATE_VERSION
    record: Incident
    seen: list[str]
    last_report: float
    sent_at: float | None = None
    due: bool
    partition: int | None = None

    @classmethod
    def from_table(cls, value: object) -> IncidentState:
        """A state as the table holds it (JSON builtins, of this version or of none)."""
        return msgspec.convert(value, cls)

    def to_table(self) -> dict:
        return msgspec.to_builtins(self)

    @property
    def closed(self) -> bool:
        return self.record.status == "closed"


def changed(state: IncidentState, **fields) -> IncidentState:
    return msgspec.structs.replace(state, **fields)


class Tracker:
    """Folds reports into incident states, and says when a record goes out."""

    def __init__(self, update_min_s: float, quiet_s: float) -> None:
        self.update_min_s, self.quiet_s = update_min_s, quiet_s

    def report(self, state: IncidentState | None, alert: Alert, place: Place | None,
               when: str, now: float) -> IncidentState:
        """The state after ``alert``."""
        if state is None:
            record = Incident(
                id=alert.incident_id, rule=alert.rule, status="open", place=place,
                started_at=when, updated_at=format_time(_utc(now)), reports=1,
                sources=_sources([], alert), alert_ids=[alert.id], headline=alert.snippet,
                revision=1, first_report_url=alert.article.url)
            return IncidentState(record=record, seen=[alert.id], last_report=now, due=True)
        if alert.id in state.seen:
            return state  # a redelivery changes nothing
        old = state.record
        # A report after a close reopens the incident: its window is still open.
        record = msgspec.structs.replace(
            old, status="update", reports=old.reports + 1, ended_at=None, closed_by=None,
            sources=_sources(old.sources, alert),
            alert_ids=[*old.alert_ids, alert.id][-MAX_ALERT_IDS:],
            started_at=min(old.started_at, when, key=epoch))
        return changed(state, record=record, seen=[*state.seen, alert.id], last_report=now,
                       due=True)

    def close(self, state: IncidentState, how: str, now: float) -> IncidentState:
        record = msgspec.structs.replace(state.record, status="closed", closed_by=how,
                                         ended_at=format_time(_utc(now)))
        return changed(state, record=record, due=True)

    def quiet(self, state: IncidentState, now: float) -> bool:
        return not state.closed and now - state.last_report >= self.quiet_s

    def release(self, state: IncidentState, now: float) -> tuple[IncidentState, Incident | None]:
        """The record to send now, if one is due and the last went out long enough ago (a
        close always goes at once); the state with it marked sent."""
        if not state.due:
            return state, None
        sent_at = state.sent_at
        if sent_at is not None and not state.closed and now - sent_at < self.update_min_s:
            return state, None
        record = msgspec.structs.replace(
            state.record, revision=state.record.revision + (0 if sent_at is None else 1),
            updated_at=format_time(_utc(now)))
        return changed(state, record=record, sent_at=now, due=False), record

    @staticmethod
    def adopt(state: IncidentState | None, sent: Incident) -> IncidentState | None:
        """The state after learning that record ``sent`` went out: a state restored after a
        crash can be older than what the worker sent before it died. ``sent`` replaces it when
        newer, so that no record is sent twice (one ``open``, revisions one apart) and the
        reports it folded, when redelivered, are known. None: the state knew it already."""
        if state is not None and state.record.revision >= sent.revision:
            return None
        sent_at = epoch(sent.updated_at)
        seen = sorted({*(state.seen if state else ()), *sent.alert_ids})
        last_report = max(sent_at, state.last_report if state else sent_at)
        return IncidentState(record=sent, seen=seen, last_report=last_report, sent_at=sent_at,
                             due=False)


def _sources(sources: list[str], alert: Alert) -> list[str]:
    name = alert.article.source.name or alert.article.source.url or alert.article.source.kind
    return sorted({*sources, name})


def _utc(seconds: float) -> dt.datetime:
    return dt.datetime.fromtimestamp(seconds, dt.timezone.utc)
