"""Incidents: one line per event, from the alerts that report it.

An alert belongs to the incident of its rule, its place and the time window its event falls
in (``VIGIE_INCIDENT_WINDOW_S``, windows counted from the Unix epoch), so its id is computed
where the alert is made, without state, and every report of one event carries the same one:

- the place is that of the first LOC entity mentioned in the sentence that matched, else the
  article's most mentioned place; a town or a region before a country, which says little
  about where an alert sounded;
- the event time is the first date or time mentioned in that sentence ("à 1 h 56" →
  ``2025-08-22T01:56``), else the article's ``published``, else the time it was detected.

``Tracker`` then folds the reports of one incident into its record (``Incident``): the first
opens it, later ones update it (distinct stories and sources, the newest 100 alert ids), an
end report ("fin de l'alerte") or ``VIGIE_INCIDENT_QUIET_S`` without a report closes it. A
record is due at most once per ``VIGIE_INCIDENT_UPDATE_MIN_S``, so a burst of syndicated copies
is one update. The tracker is pure: the alert worker keeps its state in a table.
"""

from __future__ import annotations

import datetime as dt
import math

import msgspec

from vigie.shared.messages import Alert, DateMention, Entity, Incident, Match, Place
from vigie.shared.text import digest
from vigie.shared.timestamps import epoch, format_time, parse_time, read_time

from .snippet import sentence_bounds

MAX_ALERT_IDS = 100
PLACE_ORDER = ("city", "region", "area", "country")


def _in(span: tuple[int, int], start: int, end: int) -> bool:
    return span[0] <= start and end <= span[1]


def incident_place(text: str, matches: list[Match], entities: list[Entity]) -> Place | None:
    """The place of the sentence that matched, else the article's most mentioned place; a town
    or region before an area before a country."""
    placed = [e for e in entities if e.place is not None]
    if not placed or not matches:
        return None
    sentence = sentence_bounds(text, matches[0].start, matches[0].end)
    here = [e for e in placed if any(_in(sentence, m.start, m.end) for m in e.mentions)]
    for candidates in (here, placed):  # entities come most mentioned first
        for kind in PLACE_ORDER:
            found = [e.place for e in candidates if e.place.kind == kind]
            if found:
                return found[0]
    return None


def event_time(text: str, matches: list[Match], dates: list[DateMention],
               published: str | None, detected_at: str) -> str:
    """When it happened, as the report says: RFC 3339 UTC."""
    # The sentence is found only when there are dates to look for in it.
    sentence = sentence_bounds(text, matches[0].start, matches[0].end) if matches and dates \
        else None
    said = [d for d in dates if sentence and _in(sentence, d.start, d.end) and len(d.value) >= 10]
    for value in [said[0].value.split("/")[0] if said else None, published, detected_at]:
        moment = read_time(value)
        if moment is not None:
            return format_time(moment)
    raise ValueError(f"no readable time among {detected_at!r}")


def place_key(place: Place | None) -> str:
    if place is None:
        return "-"
    if place.geonames_id is not None:
        return f"g{place.geonames_id}"
    return place.region or place.country or place.name


def incident_id(rule_id: str, place: Place | None, when: str, window_s: float) -> str:
    """Rule, place and the window the event time falls in."""
    window = math.floor(epoch(when) / window_s)
    return digest("incident", rule_id, place_key(place), str(window))


def locate(article, matches: list[Match], detected_at: str) -> tuple[Place | None, str]:
    """(place, event time) of the alert an article raises with ``matches``."""
    return (incident_place(article.text, matches, article.entities),
            event_time(article.text, matches, article.dates, article.published, detected_at))


def incident_ids_around(rule_id: str, place: Place | None, when: str,
                        window_s: float) -> list[str]:
    """The incident of ``when``'s window and of the window before it."""
    before = format_time(parse_time(when) - dt.timedelta(seconds=window_s))
    return [incident_id(rule_id, place, when, window_s),
            incident_id(rule_id, place, before, window_s)]


class Tracker:
    """Folds reports into incident records; a state is what the worker's table keeps of one
    incident: its ``record`` (the last one sent, or the one to send), the ids of every alert
    folded into it (``seen``: an alert id is a rule and a story, so one per report),
    ``last_report``, ``sent_at`` and ``due`` (a record should go out)."""

    def __init__(self, update_min_s: float, quiet_s: float) -> None:
        self.update_min_s, self.quiet_s = update_min_s, quiet_s

    def report(self, state: dict | None, alert: Alert, place: Place | None, when: str,
               now: float) -> dict:
        """The state after ``alert``."""
        if state is None:
            record = Incident(
                id=alert.incident_id, rule=alert.rule, status="open", place=place,
                started_at=when, updated_at=format_time(_utc(now)), reports=1,
                sources=_sources([], alert), alert_ids=[alert.id], headline=alert.snippet,
                revision=1)
            return {"record": msgspec.to_builtins(record), "seen": [alert.id],
                    "last_report": now, "sent_at": None, "due": True}
        if alert.id in state["seen"]:
            return state  # a redelivery changes nothing
        record = dict(state["record"])
        # A report after a close reopens the incident: its window is still open.
        record.update(status="update", reports=record["reports"] + 1, ended_at=None,
                      closed_by=None, sources=_sources(record["sources"], alert),
                      alert_ids=[*record["alert_ids"], alert.id][-MAX_ALERT_IDS:],
                      started_at=min(record["started_at"], when, key=epoch))
        return {**state, "record": record, "seen": [*state["seen"], alert.id],
                "last_report": now, "due": True}

    def close(self, state: dict, how: str, now: float) -> dict:
        record = dict(state["record"], status="closed", closed_by=how,
                      ended_at=format_time(_utc(now)))
        return {**state, "record": record, "due": True}

    def quiet(self, state: dict, now: float) -> bool:
        return (state["record"]["status"] != "closed"
                and now - state["last_report"] >= self.quiet_s)

    def release(self, state: dict, now: float) -> tuple[dict, Incident | None]:
        """The record to send now, if one is due and the last went out long enough ago (a
        close always goes at once); the state with it marked sent."""
        if not state["due"]:
            return state, None
        sent_at = state["sent_at"]
        closing = state["record"]["status"] == "closed"
        if sent_at is not None and not closing and now - sent_at < self.update_min_s:
            return state, None
        revision = state["record"]["revision"] + (0 if sent_at is None else 1)
        record = dict(state["record"], revision=revision, updated_at=format_time(_utc(now)))
        return ({**state, "record": record, "sent_at": now, "due": False},
                msgspec.convert(record, Incident))

    @staticmethod
    def adopt(state: dict | None, sent: dict) -> dict | None:
        """The state after learning that record ``sent`` went out: a state restored after a
        crash can be older than what the worker sent before it died. ``sent`` replaces it when
        newer, so that no record is sent twice (one ``open``, revisions one apart) and the
        reports it folded, when redelivered, are known. None: the state knew it already."""
        if state is not None and state["record"]["revision"] >= sent["revision"]:
            return None
        sent_at = epoch(sent["updated_at"])
        return {"record": sent, "seen": sorted({*(state or {}).get("seen", ()), *sent["alert_ids"]}),
                "last_report": max(sent_at, (state or {}).get("last_report", sent_at)),
                "sent_at": sent_at, "due": False}


def _sources(sources: list[str], alert: Alert) -> list[str]:
    name = alert.article.source.name or alert.article.source.url or alert.article.source.kind
    return sorted({*sources, name})


def _utc(seconds: float) -> dt.datetime:
    return dt.datetime.fromtimestamp(seconds, dt.timezone.utc)
