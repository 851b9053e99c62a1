"""The logic of the alert worker's evaluate and publish agents, and of the alerts it publishes,
over any mapping as a table.

``Evaluation`` is what ``evaluate`` does with an enriched article: the rules' alerts as
``Candidate`` records for the candidates topic (keyed by alert id), and the ends it reports as
``EndReport`` records for the reports topic (keyed by track). ``Publication`` is what
``publish`` does with a candidate: the first of its alert id goes on as an ``AlertReport`` of
its track, the rest are suppressed (a candidate written before incidents, without an event
time, is published at once and joins no incident, as that version did). ``Announcement`` is
what the track agent does with an alert once it knows its incident: the records that publish
it to ``news.alerts`` (and its rule's topic), and the count, log and latest list once they are
sent. Each returns the records
to send (``Send``): the agents send them, in order, and ``publish`` records the alert id only
once they are sent.
"""

from __future__ import annotations

import collections
import logging
import time
from collections.abc import Callable, MutableMapping
from typing import NamedTuple

import msgspec

from vigie.shared.expiry import clamped_time
from vigie.shared.messages import (
    Alert,
    EnrichedArticle,
    Place,
    decode,
    decode_article,
    encode,
    refuse_long,
    to_dict,
)
from vigie.shared.timestamps import parse_time, source_delay_s, utc_now

from .evaluate import Evaluator
from .incidents.identity import track_key
from .incidents.model import AlertReport, EndReport
from .metrics import AlertMetrics
from .publish_once import PublishedIds

log = logging.getLogger(__name__)
CANDIDATE_VERSION = 1


class Candidate(msgspec.Struct, kw_only=True):
    """A record of the candidates topic: an alert ``evaluate`` found, the rule's own topic (or
    None), and what its track needs (``incidents.model.AlertReport``). Versioned like the
    contracts; a candidate of the previous version (no ``schema_version``, no ``exact``)
    reads as version 1; one without ``when`` (written before incidents) joins no incident."""

    schema_version: int = CANDIDATE_VERSION
    alert: Alert
    topic: str | None = None
    place: Place | None = None
    when: str | None = None
    exact: bool = False
    continues: bool = False


def decode_candidate(value: bytes, max_chars: int) -> Candidate:
    candidate = decode(value, Candidate)
    refuse_long(candidate.alert.snippet, "snippet", max_chars)
    return candidate


class Send(NamedTuple):
    """A record to send: ``topic`` is the agent's (a faust topic; anything in tests)."""

    topic: object
    key: bytes
    value: bytes


class Evaluation:
    """An enriched article → the ends it reports and the candidates it raises (ends first)."""

    def __init__(self, evaluator: Evaluator, metrics: AlertMetrics, *, max_chars: int,
                 candidates: object, reports: object) -> None:
        self.evaluator, self.metrics, self.max_chars = evaluator, metrics, max_chars
        self.candidates, self.reports = candidates, reports

    def sends(self, value: bytes) -> list[Send]:
        article = decode_article(value, EnrichedArticle, self.max_chars)
        started = time.perf_counter()
        raised, ended = self.evaluator.assess(article)
        self.metrics.evaluation_duration.observe(time.perf_counter() - started)
        self.metrics.evaluated.inc()
        ends = [Send(self.reports, track_key(end.rule.id, end.place).encode(), encode(EndReport(
                    rule=end.rule, place=end.place, when=end.when, article_id=article.id)))
                for end in ended]
        return [*ends, *(Send(self.candidates, r.alert.id.encode(), encode(Candidate(
            alert=r.alert, topic=r.topic, place=r.place, when=r.when, exact=r.exact,
            continues=r.continues))) for r in raised)]


class Outgoing(NamedTuple):
    """A candidate to forward: its alert id, the time it counts at, what to send, and the
    alert when it is published at once (it joins no incident)."""

    alert_id: str
    at: float
    sends: list[Send]
    published: Alert | None = None


class Publication:
    """Candidates → one report per alert id within the dedup window, with the ids kept in
    ``table``; ``announcement`` publishes the alerts that join no incident."""

    def __init__(self, table: MutableMapping[str, object], metrics: AlertMetrics, *,
                 window_s: float, max_chars: int, reports: object,
                 announcement: Announcement) -> None:
        self.published = PublishedIds(table, window_s)
        self.window_s, self.max_chars, self.metrics = window_s, max_chars, metrics
        self.reports, self.announcement = reports, announcement

    def mark_stale(self) -> None:
        self.published.mark_stale()

    def first(self, value: bytes) -> Outgoing | None:
        """The report of a candidate and what to send, or None: its id went out already."""
        candidate = decode_candidate(value, self.max_chars)
        alert = candidate.alert
        at = clamped_time(alert.article.published, alert.detected_at, self.window_s)
        if self.published.seen(alert.id, at):
            self.metrics.suppressed.inc()
            return None
        if candidate.when is None:  # from before incidents
            alert.incident_id = None
            return Outgoing(alert.id, at, self.announcement.sends(alert, candidate.topic), alert)
        report = AlertReport(alert=alert, topic=candidate.topic, place=candidate.place,
                             when=candidate.when, exact=candidate.exact,
                             continues=candidate.continues)
        key = track_key(alert.rule.id, candidate.place).encode()
        return Outgoing(alert.id, at, [Send(self.reports, key, encode(report))])

    def sent(self, outgoing: Outgoing, partition: int) -> None:
        """Once its records are sent: the alert id is kept (and an alert published, counted)."""
        self.published.record(outgoing.alert_id, outgoing.at, partition)
        self.metrics.published_keys.set(self.published.size)
        if outgoing.published is not None:
            self.announcement.sent(outgoing.published)


class Announcement:
    """Alerts whose incident is known → ``news.alerts`` and the rule's own topic
    (``route(name)`` is the topic of a topic name); ``latest`` receives each one sent."""

    def __init__(self, metrics: AlertMetrics, *, alerts: object,
                 route: Callable[[str], object], latest: collections.deque | None = None) -> None:
        self.metrics, self.alerts, self.route, self.latest = metrics, alerts, route, latest

    def sends(self, alert: Alert, topic: str | None) -> list[Send]:
        """The records that publish ``alert`` (stamped with its publication time)."""
        stamp_latency(alert)
        key, value = alert.id.encode(), encode(alert)
        return [Send(self.alerts, key, value),
                *([Send(self.route(topic), key, value)] if topic else [])]

    def sent(self, alert: Alert) -> None:
        """Once its records are sent: the alert counted, listed and logged."""
        self.metrics.alerts.labels(alert.rule.id, alert.rule.severity).inc()
        self.metrics.latency.observe(alert.latency_ms / 1000)
        article = alert.article
        delay = source_delay_s(article.published, article.fetched_at, alert.detected_at)
        if delay is not None:
            self.metrics.source_delay.labels(article.source.kind).observe(delay)
        if self.latest is not None:
            self.latest.append(to_dict(alert))
        log.info("alert published", extra={"rule": alert.rule.id, "alert_id": alert.id,
                                           "article_id": alert.article.id,
                                           "incident_id": alert.incident_id})


def stamp_latency(alert: Alert) -> None:
    """Move ``detected_at`` to publication time; the latency since ingest grows by the wait."""
    now = utc_now()
    waited = parse_time(now) - parse_time(alert.detected_at)
    alert.latency_ms = round(alert.latency_ms + waited.total_seconds() * 1000, 3)
    alert.detected_at = now
