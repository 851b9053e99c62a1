"""Every metric of the notify service, declared once, on a registry given by the caller."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

from vigie.shared.messages import FAILURE_REASONS
from vigie.shared.metrics import DURATION_BUCKETS
from vigie.shared.streams import StreamWatch

KINDS = ("open", "update", "closed")
RESULTS = ("sent", "dead_lettered")
OUTCOMES = ("wanted", "unwanted", "stale")
LATENCY_BUCKETS = (0.05, 0.1, 0.25, 0.5, 0.75, 1, 2, 5, 10, 30, 60)


class NotifyMetrics:
    def __init__(self, registry: CollectorRegistry) -> None:
        self.registry = registry
        self.records = Counter(
            "vigie_notify_incident_records_total", "Incident records read, by outcome: wanted"
            " (by a subscription), unwanted (by none), stale (older than"
            " VIGIE_NOTIFY_MAX_AGE_S)", ["outcome"], registry=registry)
        self.failed = Counter(
            "vigie_notify_articles_failed_total", "Records sent to the dead-letter topic"
            " (an incident record or a replayed message notify cannot process)", ["reason"],
            registry=registry)
        self.messages = Counter(
            "vigie_notify_messages_total", "Messages, by subscription, kind (open, update,"
            " closed) and result (sent to every URL, or dead_lettered after the last attempt)",
            ["subscription", "kind", "result"], registry=registry)
        self.attempts = Counter(
            "vigie_notify_attempts_total", "Attempts at one URL, by subscription and result"
            " (ok, failed)", ["subscription", "result"], registry=registry)
        self.latency = Histogram(
            "vigie_notify_latency_seconds", "From an incident record's writing (updated_at) to"
            " its message accepted, for the messages sent on their record (not held updates)",
            buckets=LATENCY_BUCKETS, registry=registry)
        self.send_duration = Histogram(
            "vigie_notify_send_duration_seconds", "Time to hand one message to its URLs,"
            " retries included", buckets=DURATION_BUCKETS, registry=registry)
        self.held = Gauge(
            "vigie_notify_updates_held", "Updates held until their subscription's update_every"
            " has passed, on this worker", registry=registry)
        self.subscriptions = Gauge(
            "vigie_notify_subscriptions", "Subscriptions loaded", registry=registry)
        self.stream = StreamWatch(registry, "notify")
        for reason in FAILURE_REASONS:
            self.failed.labels(reason)
        for outcome in OUTCOMES:
            self.records.labels(outcome)

    def show(self, names) -> None:
        """A zero series per subscription, so the first message is an increase."""
        self.subscriptions.set(len(names))
        for name in names:
            for result in ("ok", "failed"):
                self.attempts.labels(name, result)
            for kind in KINDS:
                for result in RESULTS:
                    self.messages.labels(name, kind, result)
