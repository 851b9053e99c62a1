"""Every metric of the alert service, declared once, on a registry given by the caller."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

from vigie.shared.messages import FAILURE_REASONS
from vigie.shared.metrics import DURATION_BUCKETS, SOURCE_DELAY_BUCKETS
from vigie.shared.streams import StreamWatch

LATENCY_BUCKETS = (0.05, 0.1, 0.25, 0.5, 0.75, 1, 2, 5, 10, 30, 60, 300)
WEBHOOK_RESULTS = ("ok", "error")  # a record there that is not an Alert: articles_failed


class AlertMetrics:
    # Longer than 60 lines, and kept so: a declarative table, one metric after the other.
    def __init__(self, registry: CollectorRegistry) -> None:
        self.registry = registry
        self.evaluated = Counter(
            "vigie_alert_articles_evaluated_total", "Articles evaluated against the rules",
            registry=registry,
        )
        self.failed = Counter(
            "vigie_alert_articles_failed_total", "Messages sent to the dead-letter topic",
            ["reason"], registry=registry,
        )
        self.alerts = Counter(
            "vigie_alert_alerts_total", "Alerts published, by rule and severity",
            ["rule", "severity"], registry=registry,
        )
        self.suppressed = Counter(
            "vigie_alert_duplicates_suppressed_total",
            "Alerts not published again: the same rule and story already alerted",
            registry=registry,
        )
        self.incident_records = Counter(
            "vigie_alert_incident_records_total",
            "Incident records sent, by rule and status (open, update, closed)",
            ["rule", "status"], registry=registry,
        )
        self.open_incidents = Gauge(
            "vigie_alert_open_incidents",
            "Incidents open on this worker, by rule and country (empty: no country)",
            ["rule", "country"], registry=registry,
        )
        self.published_keys = Gauge(
            "vigie_alert_published_keys",
            "Alert ids this worker remembers as published (those within the window)",
            registry=registry,
        )
        self.evaluation_duration = Histogram(
            "vigie_alert_rule_evaluation_duration_seconds",
            "Time to evaluate every rule on one article",
            buckets=(0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1),
            registry=registry,
        )
        self.latency = Histogram(
            "vigie_alert_end_to_end_latency_seconds",
            "From ingest (ingested_at) to the alert's publication", buckets=LATENCY_BUCKETS,
            registry=registry,
        )
        self.source_delay = Histogram(
            "vigie_alert_source_delay_seconds",
            "From the article's own time (published, else first seen by ingest) to the alert's"
            " publication, by source kind", ["source_kind"], buckets=SOURCE_DELAY_BUCKETS,
            registry=registry,
        )
        self.rules_loaded = Gauge(
            "vigie_alert_rules_loaded", "Rules in force", registry=registry,
        )
        self.rule_reloads = Counter(
            "vigie_alert_rule_reloads_total", "Rule file reloads, by result", ["result"],
            registry=registry,
        )
        self.webhook = Counter(
            "vigie_alert_webhook_deliveries_total", "Webhook deliveries, by result", ["result"],
            registry=registry,
        )
        self.webhook_duration = Histogram(
            "vigie_alert_webhook_duration_seconds", "Time to deliver one alert to the webhook",
            buckets=DURATION_BUCKETS, registry=registry,
        )
        self.stream = StreamWatch(registry, "alert")
        for reason in FAILURE_REASONS:
            self.failed.labels(reason)
        for result in ("ok", "error"):
            self.rule_reloads.labels(result)
        for result in WEBHOOK_RESULTS:
            self.webhook.labels(result)
