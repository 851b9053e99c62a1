"""Notification latency: an incident record written → its message handed to the endpoint.

One notify worker, one subscription to a ``json://`` webhook on 127.0.0.1; incident records
(each a new incident, so each makes an ``open`` message) are sent at a steady pace, and the
webhook notes when each message arrives. The goal is a p95 under a second; the figures are
printed, not asserted.
"""

from __future__ import annotations

import time
from pathlib import Path

from tests.notify_endpoints import Webhook
from vigie.shared.config import KafkaSettings
from vigie.shared.kafka import contract_topics, ensure_topics, make_producer
from vigie.shared.messages import Incident, RuleRef, encode
from vigie.shared.timestamps import utc_now

from .latency_bench import percentiles
from .workers import running, wait_until

RATE = 10.0  # records per second


def record(n: int) -> Incident:
    return Incident(id=f"bench-{n}", rule=RuleRef(id="air-raid", severity="critical"),
                    status="open", started_at=utc_now(), updated_at=utc_now(), reports=1,
                    sources=["bench"], alert_ids=[f"a{n}"], headline="Alerte aérienne.",
                    revision=1)


def send_paced(settings: KafkaSettings, numbers: range) -> dict[str, float]:
    """Send a record per number at ``RATE``/s; returns when each was acknowledged, by id."""
    producer = make_producer(settings)
    sent, started = {}, time.monotonic()
    for index, n in enumerate(numbers):
        delay = started + index / RATE - time.monotonic()
        if delay > 0:
            time.sleep(delay)
        value = record(n)
        producer.send(settings.topic_incidents, key=value.id.encode(), value=encode(value))
        producer.flush()
        sent[value.id] = time.time()
    producer.close()
    return sent


def measure(bootstrap: str, workdir: Path, messages: int) -> dict:
    settings = KafkaSettings.from_env(
        {}, kafka_bootstrap=bootstrap, topic_incidents="bench-notify.incidents",
        topic_dlq="bench-notify.dlq")
    ensure_topics(settings, contract_topics(settings))
    subscriptions = workdir / "notify.yaml"
    with Webhook() as hook:
        subscriptions.write_text(f"subscriptions:\n  - name: bench\n    urls: [{hook.url}]\n")
        with running(settings, workdir, "notify", VIGIE_NOTIFY_FILE=str(subscriptions)) as workers:
            send_paced(settings, range(1))  # warm-up: the worker has joined and sends
            wait_until(lambda: len(hook.received) == 1, workers, timeout=240, what="warm-up")
            sent = send_paced(settings, range(1, messages + 1))
            wait_until(lambda: len(hook.received) == messages + 1, workers, timeout=120,
                       what="every message")
            peak = workers[0].peak_rss_mb()
    latencies = [(m["at"] - sent[m["key"].split("/")[1]]) * 1000 for m in hook.received[1:]]
    return percentiles(latencies) | {"rate": RATE, "peak_rss_mb": peak}
