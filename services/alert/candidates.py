"""The logic of the alert worker's two first agents, over any mapping as a table.

``Evaluation`` is what ``evaluate`` does with an enriched article: the rules' alerts as
``Candidate`` records for the candidates topic, and the incidents it ends as reports.
``Publication`` is what ``publish`` does with a candidate: the first of its alert id goes to
``news.alerts`` (and its rule's topic) and, with an incident id, is a report of its incident;
the rest are suppressed. Both return the records to send (``Send``): the agents send them, in
order, and ``publish`` records the alert id only once they are sent.
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
from .incidents.model import Report
from .metrics import AlertMetrics
from .publish_once import PublishedIds

log = logging.getLogger(__name__)


class Candidate(msgspec.Struct, kw_only=True):
    """A record of the candidates topic: an alert ``evaluate`` found, the rule's own topic (or
    None), and the place and event time its incident id was found from (none in records
    written before incidents)."""

    alert: Alert
    topic: str | None = None
    place: Place | None = None
    when: str | None = None


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
    """An enriched article → the candidates it raises and the reports of the incidents it
    ends (ends first)."""

    def __init__(self, evaluator: Evaluator, metrics: AlertMetrics, *, max_chars: int,
                 candidates: object, reports: object) -> None:
        self.evaluator, self.metrics, self.max_chars = evaluator, metrics, max_chars
        self.candidates, self.reports = candidates, reports

    def sends(self, value: bytes) -> list[Send]:
        article = decode_article(value, EnrichedArticle, self.max_chars)
        started = time.perf_counter()
        found, ends = self.evaluator.assess(article)
        self.metrics.evaluation_duration.observe(time.perf_counter() - started)
        self.metrics.evaluated.inc()
        return [*(Send(self.reports, incident.encode(), encode(Report(end=incident)))
                  for incident in ends),
                *(Send(self.candidates, alert.id.encode(),
                       encode(Candidate(alert=alert, topic=topic, place=place, when=when)))
                  for alert, topic, place, when in found)]


class Outgoing(NamedTuple):
    """A candidate to publish: its alert (stamped), the time it counts at, what to send."""

    alert: Alert
    at: float
    sends: list[Send]


class Publication:
    """Candidates → alerts published once per alert id within the dedup window, with their
    ids kept in ``table``; ``route(name)`` is the topic of a rule's own topic name."""

    def __init__(self, table: MutableMapping[str, object], metrics: AlertMetrics, *,
                 window_s: float, max_chars: int, alerts: object, reports: object,
                 route: Callable[[str], object], latest: collections.deque | None = None) -> None:
        self.published = PublishedIds(table, window_s)
        self.window_s, self.max_chars, self.metrics = window_s, max_chars, metrics
        self.alerts, self.reports, self.route, self.latest = alerts, reports, route, latest

    def mark_stale(self) -> None:
        self.published.mark_stale()

    def first(self, value: bytes) -> Outgoing | None:
        """The alert of a candidate and what to send, or None: its id went out already."""
        candidate = decode_candidate(value, self.max_chars)
        alert = candidate.alert
        at = clamped_time(alert.article.published, alert.detected_at, self.window_s)
        if self.published.seen(alert.id, at):
            self.metrics.suppressed.inc()
            return None
        stamp_latency(alert)
        key, value = alert.id.encode(), encode(alert)
        sends = [Send(self.alerts, key, value)]
        if candidate.topic:
            sends.append(Send(self.route(candidate.topic), key, value))
        if alert.incident_id is not None:  # else it joins no incident (docs/messages.md, Alert)
            sends.append(Send(self.reports, alert.incident_id.encode(), encode(Report(
                alert=alert, place=candidate.place, when=candidate.when or alert.detected_at))))
        return Outgoing(alert, at, sends)

    def sent(self, outgoing: Outgoing, partition: int) -> None:
        """Once its records are sent: the alert id is kept, the alert counted."""
        alert = outgoing.alert
        self.published.record(alert.id, outgoing.at, partition)
        self.metrics.published_keys.set(self.published.size)
        self.metrics.alerts.labels(alert.rule.id, alert.rule.severity).inc()
        self.metrics.latency.observe(alert.latency_ms / 1000)
        article = alert.article
        delay = source_delay_s(article.published, article.fetched_at, alert.detected_at)
        if delay is not None:
            self.metrics.source_delay.labels(article.source.kind).observe(delay)
        if self.latest is not None:
            self.latest.append(to_dict(alert))
        log.info("alert published", extra={"rule": alert.rule.id, "alert_id": alert.id,
                                           "article_id": alert.article.id})


def stamp_latency(alert: Alert) -> None:
    """Move ``detected_at`` to publication time; the latency since ingest grows by the wait."""
    now = utc_now()
    waited = parse_time(now) - parse_time(alert.detected_at)
    alert.latency_ms = round(alert.latency_ms + waited.total_seconds() * 1000, 3)
    alert.detected_at = now
