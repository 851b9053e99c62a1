"""The alert worker: ``news.enriched`` → rules → ``news.alerts`` (and per-rule topics) and
``news.incidents``.

Three agents, so "once per story" and "one incident per period" hold across partitions and
workers:

* ``evaluate`` consumes the enriched topic (partitions shared by every worker) and runs every
  rule over each article in one pass; each alert it finds goes to the internal
  ``<app id>.candidates`` topic **keyed by alert id**, so every candidate of one alert id lands
  in the same partition, whoever found it; each end it finds ("відбій тривоги" at a place)
  goes to ``<app id>.incident-reports`` keyed by its *track* (rule and place).
* ``publish`` consumes the candidates with a changelog-backed table of the alert ids already
  forwarded within the window (co-partitioned: same key, same partition; ``published``),
  forwards the first as a report of its track, suppresses the rest. The report is sent before
  its id is recorded: a crash in between repeats a report under the same alert id (never
  loses one), which the track knows.
* ``track`` (``incidents.agent``) consumes the reports: each track's state decides which
  incident (period) an alert opens or joins and which one an end closes; it publishes the
  alert with that ``incident_id`` to ``news.alerts`` (and the rule's topic), then the
  incident's records to ``news.incidents``.

The agents are thin loops: their logic is in ``candidates`` (``Evaluation``, ``Publication``,
``Announcement``) and ``incidents.agent`` (``IncidentKeeper``). Every agent is made by
``Agents``: a record it cannot process goes to the dead-letter topic and the agent goes on.
"""

from __future__ import annotations

import asyncio
import collections
import functools
import logging
import time

from prometheus_client import CollectorRegistry

from vigie.shared.messages import Alert, decode, refuse_long
from vigie.shared.reach import wait_for_kafka
from vigie.shared.service import start_service
from vigie.shared.streams import (
    Agents,
    check_settings,
    health_route,
    make_app,
    prepare_group,
    run_worker,
    state_table,
)

from .candidates import Announcement, Evaluation, Publication, Send
from .evaluate import Evaluator
from .incidents.agent import attach_incidents, check_partitions, reports_topic_name
from .incidents.cap import LatestIncidents
from .metrics import AlertMetrics
from .rules import RuleBook
from .settings import AlertSettings

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
          latest: collections.deque | None = None, incidents: LatestIncidents | None = None):
    """The faust app and its agents, thin loops over ``candidates`` and ``incidents.agent``.
    ``latest`` receives every published alert (newest last), ``incidents`` every incident
    record."""
    app = make_app(settings, settings.alert_app_id)
    candidates = app.topic(candidates_topic_name(settings), internal=True,
                           partitions=settings.topic_partitions)
    alerts_topic = app.topic(settings.topic_alerts)
    reports = app.topic(reports_topic_name(settings), internal=True,
                        partitions=settings.topic_partitions)
    agents = Agents(app, app.topic(settings.topic_dlq), SERVICE, metrics.failed,
                    metrics.stream.agent_crashes)
    evaluation = Evaluation(Evaluator(rulebook), metrics, max_chars=settings.alert_max_text_chars,
                            candidates=candidates, reports=reports)
    announcement = Announcement(metrics, alerts=alerts_topic, latest=latest,
                                route=functools.cache(app.topic))  # one object per rule topic
    publication = Publication(
        state_table(app, "published", lambda: publication.mark_stale()), metrics,
        window_s=settings.dedup_window_s, max_chars=settings.alert_max_text_chars,
        reports=reports, announcement=announcement)

    @agents.each(app.topic(settings.topic_enriched))
    async def evaluate(event):
        await send_all(evaluation.sends(event.value))

    @agents.each(candidates)
    async def publish(event):
        outgoing = publication.first(event.value)
        if outgoing is not None:
            await send_all(outgoing.sends)
            publication.sent(outgoing, event.message.partition)

    async def announce(alert, topic):
        await send_all(announcement.sends(alert, topic))
        announcement.sent(alert)

    attach_incidents(app, agents, settings, metrics, reports, announce, incidents)
    attach_timers(app, settings, metrics, rulebook)
    if settings.alert_webhook_url:
        attach_webhook(agents, settings, metrics, alerts_topic)
    return app


async def send_all(sends: list[Send]) -> None:
    for topic, key, value in sends:
        await topic.send(key=key, value=value)


def attach_timers(app, settings: AlertSettings, metrics: AlertMetrics, rulebook: RuleBook):
    """Reloading the rules when their file changes, and watching the stream."""

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


def attach_webhook(agents: Agents, settings: AlertSettings, metrics: AlertMetrics,
                   alerts_topic):
    """Deliver every published alert to the webhook; a final failure is dead-lettered (as
    ``alert-webhook``), as is a record there that is not an Alert.

    Its own agent (and consumer position on the alerts topic), so a slow endpoint never delays
    publication to Kafka.
    """
    from .webhook import post_alert

    @agents.each(alerts_topic, service=f"{SERVICE}-webhook")
    async def deliver(event):
        alert = decode_alert(event.value, settings.alert_max_text_chars)
        started = time.perf_counter()
        try:
            with metrics.stream.working():  # retries can take a while
                await asyncio.get_running_loop().run_in_executor(
                    None, post_alert, settings.alert_webhook_url, alert,
                    settings.alert_webhook_retries)
        except Exception:
            metrics.webhook.labels("error").inc()
            raise  # dead-lettered; the alert stays in Kafka
        finally:
            metrics.webhook_duration.observe(time.perf_counter() - started)
        metrics.webhook.labels("ok").inc()

    return deliver


def decode_alert(value: bytes, max_chars: int) -> Alert:
    """An alert whose snippet (a sentence of an article) is no longer than ``max_chars``."""
    alert = decode(value, Alert)
    refuse_long(alert.snippet, "snippet", max_chars)
    return alert


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
    incidents = LatestIncidents(settings)
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


def replay(rules_path: str, *, topic: str, from_beginning: bool = True,
           vetoed: bool = False) -> int:
    """Run rules over the enriched history and publish the alerts to ``topic``, then exit."""
    from .replay import replay_history

    return replay_history(AlertSettings.from_env(), rules_path, topic=topic,
                          from_beginning=from_beginning, vetoed=vetoed)

