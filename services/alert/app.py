"""The alert worker: ``news.enriched`` → rules → ``news.alerts`` (and per-rule topics).

Two agents, so "once per story" holds across partitions and workers:

* ``evaluate`` consumes the enriched topic (partitions shared by every worker) and runs every
  rule over each article in one pass; each alert it finds goes to the internal
  ``<app id>.candidates`` topic **keyed by alert id**, so every candidate of one alert id lands
  in the same partition, whoever found it.
* ``publish`` consumes the candidates with a changelog-backed table of the alert ids already
  published within the window (co-partitioned: same key, same partition; ``published``),
  publishes the first, suppresses the rest. The alert is sent before its id is recorded: a
  crash in between repeats an alert under the same id (never loses one), and subscribers that
  key on ``id`` see it once. Each published alert is also a report of its incident, folded
  by the ``track`` agent (``tracking``).
"""

from __future__ import annotations

import asyncio
import collections
import json
import logging
import time

import msgspec
from prometheus_client import CollectorRegistry

from vigie.shared.expiry import clamped_time
from vigie.shared.messages import (
    Alert,
    EnrichedArticle,
    InvalidMessage,
    decode,
    decode_article,
    encode,
    failure_reason,
    to_dict,
)
from vigie.shared.reach import wait_for_kafka
from vigie.shared.service import start_service
from vigie.shared.streams import (
    check_settings,
    health_route,
    make_app,
    prepare_group,
    run_worker,
    send_dead_letter,
    state_table,
)
from vigie.shared.timestamps import parse_time, utc_now

from .evaluate import Evaluator
from .metrics import AlertMetrics
from .publish_once import PublishedIds
from .rules import RuleBook
from .settings import AlertSettings
from .tracking import Incidents, attach_incidents, check_partitions, reports_topic_name

log = logging.getLogger(__name__)
SERVICE = "alert"


def candidates_topic_name(settings: AlertSettings) -> str:
    return f"{settings.alert_app_id}.candidates"


def load_rulebook(settings: AlertSettings, metrics: AlertMetrics) -> RuleBook:
    """The rules, validated: an invalid file at start is fatal (RuleError names rule and field)."""
    rulebook = RuleBook(settings.alert_rules_file)
    show_rules(rulebook, metrics)
    return rulebook


def show_rules(rulebook: RuleBook, metrics: AlertMetrics) -> None:
    """Publish the rule count, and a zero series per rule so the first alert is an increase."""
    metrics.rules_loaded.set(len(rulebook.rules))
    for rule in rulebook.rules:
        metrics.alerts.labels(rule.id, rule.severity)


def build(settings: AlertSettings, metrics: AlertMetrics, rulebook: RuleBook,
          latest: collections.deque | None = None, incidents: Incidents | None = None):
    """The faust app and its agents. ``latest`` receives every published alert (newest last),
    ``incidents`` every incident record."""
    app = make_app(settings, settings.alert_app_id)
    evaluator = Evaluator(rulebook, settings.incident_window_s)
    enriched_topic = app.topic(settings.topic_enriched)
    candidates = app.topic(candidates_topic_name(settings), internal=True,
                           partitions=settings.topic_partitions)
    alerts_topic = app.topic(settings.topic_alerts)
    reports = app.topic(reports_topic_name(settings), internal=True,
                        partitions=settings.topic_partitions)
    dlq = app.topic(settings.topic_dlq)
    table = state_table(app, "published", lambda: published.mark_stale())
    published = PublishedIds(table, settings.dedup_window_s)
    route_topics: dict[str, object] = {}

    def route(name: str):
        if name not in route_topics:
            route_topics[name] = app.topic(name)
        return route_topics[name]

    @app.agent(enriched_topic)
    async def evaluate(stream):
        async for event in stream.events():
            try:
                article = decode_article(event.value, EnrichedArticle,
                                         settings.alert_max_text_chars)
                started = time.perf_counter()
                found, ends = evaluator.assess(article)
                metrics.evaluation_duration.observe(time.perf_counter() - started)
            except Exception as exc:  # noqa: BLE001 - dead-letter, never stop the stream
                metrics.failed.labels(failure_reason(exc)).inc()
                await send_dead_letter(dlq, SERVICE, event, exc)
                continue
            metrics.evaluated.inc()
            for incident in ends:
                await reports.send(key=incident.encode(), value=encode_envelope(
                    {"end": incident}))
            for alert, topic, place, when in found:
                envelope = {"alert": to_dict(alert), "topic": topic,
                            "place": place and to_dict(place), "when": when}
                await candidates.send(key=alert.id.encode(), value=encode_envelope(envelope))

    @app.agent(candidates)
    async def publish(stream):
        async for event in stream.events():
            envelope = decode_envelope(event.value)
            alert = envelope["alert"]
            at = clamped_time(alert.article.published, alert.detected_at, settings.dedup_window_s)
            if published.seen(alert.id, at):
                metrics.suppressed.inc()
                continue
            stamp_latency(alert)
            value = encode(alert)
            await alerts_topic.send(key=alert.id.encode(), value=value)
            if envelope["topic"]:
                await route(envelope["topic"]).send(key=alert.id.encode(), value=value)
            report = {"alert": to_dict(alert), "place": envelope.get("place"),
                      "when": envelope.get("when") or alert.detected_at}
            await reports.send(key=alert.incident_id.encode(), value=encode_envelope(report))
            published.record(alert.id, at, event.message.partition)
            metrics.published_keys.set(published.size)
            metrics.alerts.labels(alert.rule.id, alert.rule.severity).inc()
            metrics.latency.observe(alert.latency_ms / 1000)
            if latest is not None:
                latest.append(to_dict(alert))
            log.info("alert published", extra={"rule": alert.rule.id, "alert_id": alert.id,
                                               "article_id": alert.article.id})

    attach_incidents(app, settings, metrics, reports, incidents)

    @app.timer(settings.alert_rules_reload_s)
    async def reload_rules():
        try:
            if rulebook.reload_if_changed():
                metrics.rule_reloads.labels("ok").inc()
                show_rules(rulebook, metrics)
        except Exception:  # noqa: BLE001 - a bad edit keeps the previous rules in force
            metrics.rule_reloads.labels("error").inc()
            log.exception("rules not reloaded; the previous rules stay in force")

    @app.timer(5.0)
    async def watch_stream():
        await metrics.stream.check(app, settings)

    if settings.alert_webhook_url:
        attach_webhook(app, settings, metrics, alerts_topic, dlq)
    return app


def attach_webhook(app, settings: AlertSettings, metrics: AlertMetrics, alerts_topic, dlq):
    """Deliver every published alert to the webhook; a final failure is dead-lettered.

    Its own agent (and consumer position on the alerts topic), so a slow endpoint never delays
    publication to Kafka.
    """
    from .webhook import post_alert

    @app.agent(alerts_topic)
    async def deliver(stream):
        loop = asyncio.get_running_loop()
        async for event in stream.events():
            started = time.perf_counter()
            try:
                alert = decode(event.value, Alert)
            except InvalidMessage as exc:  # not ours to deliver, but never lost
                metrics.webhook.labels("invalid").inc()
                await send_dead_letter(dlq, f"{SERVICE}-webhook", event, exc)
                continue
            try:
                with metrics.stream.working():  # retries can take a while
                    await loop.run_in_executor(None, post_alert, settings.alert_webhook_url,
                                               alert, settings.alert_webhook_retries)
                metrics.webhook.labels("ok").inc()
            except Exception as exc:  # noqa: BLE001 - the alert stays in Kafka and the DLQ
                metrics.webhook.labels("error").inc()
                await send_dead_letter(dlq, f"{SERVICE}-webhook", event, exc)
            metrics.webhook_duration.observe(time.perf_counter() - started)

    return deliver


def encode_envelope(envelope: dict) -> bytes:
    return json.dumps(envelope, ensure_ascii=False).encode()


def decode_envelope(value: bytes) -> dict:
    """The alert found by ``evaluate`` and the rule's own topic (or None)."""
    envelope = json.loads(value)
    envelope["alert"] = msgspec.convert(envelope["alert"], Alert)
    return envelope


def stamp_latency(alert: Alert) -> None:
    """Move ``detected_at`` to publication time; the latency since ingest grows by the wait."""
    now = utc_now()
    waited = parse_time(now) - parse_time(alert.detected_at)
    alert.latency_ms = round(alert.latency_ms + waited.total_seconds() * 1000, 3)
    alert.detected_at = now


def main() -> int:
    settings = AlertSettings.from_env()
    metrics = AlertMetrics(CollectorRegistry())
    rulebook = load_rulebook(settings, metrics)  # a mistake in the rules is told before connecting
    check_settings(settings)
    wait_for_kafka(settings)
    latest: collections.deque = collections.deque(maxlen=settings.alert_latest_size)
    consumed = [settings.topic_enriched, *([settings.topic_alerts] if settings.alert_webhook_url
                                           else [])]  # the webhook reads the alerts back
    prepare_group(settings, settings.alert_app_id, consumed,
                  {candidates_topic_name(settings): settings.topic_partitions,
                   reports_topic_name(settings): settings.topic_partitions},
                  {"published": settings.topic_partitions, "incidents": settings.topic_partitions})
    check_partitions(settings)
    incidents = Incidents(settings)
    app = build(settings, metrics, rulebook, latest, incidents)
    routes = {"/alerts/latest": lambda: (200, list(reversed(latest))),
              "/incidents/latest": incidents.latest,
              "/cap": incidents.feed, "/cap/": incidents.document,
              "/healthz": health_route(app, settings.faust_recovery_stall_s)}
    server = start_service(settings, metrics.registry, settings.alert_metrics_port, routes)
    try:
        return run_worker(app, settings)
    finally:
        server.stop()


def replay(rules_path: str, *, topic: str, from_beginning: bool = True) -> int:
    """Run rules over the enriched history and publish the alerts to ``topic``, then exit."""
    from .replay import replay_history

    return replay_history(AlertSettings.from_env(), rules_path, topic=topic,
                          from_beginning=from_beginning)

