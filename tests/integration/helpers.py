"""Helpers for tests on the real broker: run the ``vigie`` command, read topics back."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

from kafka import TopicPartition

from vigie.shared.config import KafkaSettings
from vigie.shared.kafka import make_consumer

ROOT = Path(__file__).resolve().parents[2]


def vigie_env(settings: KafkaSettings, **extra: str) -> dict[str, str]:
    """The environment a ``vigie`` process needs to use this test's broker and topics."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("VIGIE_") and not k.lower().endswith("_proxy")}
    env.update({
        "VIGIE_KAFKA_BOOTSTRAP": settings.kafka_bootstrap,
        "VIGIE_TOPIC_RAW": settings.topic_raw,
        "VIGIE_TOPIC_ENRICHED": settings.topic_enriched,
        "VIGIE_TOPIC_ALERTS": settings.topic_alerts,
        "VIGIE_TOPIC_INCIDENTS": settings.topic_incidents,
        "VIGIE_TOPIC_DLQ": settings.topic_dlq,
        "VIGIE_INGEST_WATCH_STATE_TOPIC": settings.topic_raw + ".watch-state",
        "VIGIE_LOG_FORMAT": "json",
        "VIGIE_ALLOW_PRIVATE_NETWORKS": "127.0.0.0/8",  # the tests' feeds and pages are local
    })
    env.update(extra)
    return env


def run_vigie(settings: KafkaSettings, *args: str, timeout: float = 120, **env: str):
    """Run ``vigie ARGS`` to completion in its own process; returns the CompletedProcess."""
    return subprocess.run([sys.executable, "-m", "vigie.cli", *args], cwd=ROOT,
                          env=vigie_env(settings, **env), capture_output=True, text=True,
                          timeout=timeout)


def start_vigie(settings: KafkaSettings, *args: str, log_path: Path, **env: str):
    """Start a long-running ``vigie ARGS`` process, its output to ``log_path``."""
    return start_module(settings, "vigie.cli", *args, log_path=log_path, **env)


def start_module(settings: KafkaSettings, module: str, *args: str, log_path: Path, **env: str):
    """Start ``python -m MODULE ARGS`` with this test's broker and topics, output to
    ``log_path``."""
    log = log_path.open("ab")
    return subprocess.Popen([sys.executable, "-m", module, *args], cwd=ROOT,
                            env=vigie_env(settings, **env), stdout=log, stderr=subprocess.STDOUT)


def local_feed_settings(kafka_settings: KafkaSettings, **overrides):
    """Ingest settings for feeds and pages the test serves on 127.0.0.1: its topics, no
    politeness delays, loopback allowed."""
    from vigie.ingest.settings import IngestSettings

    return IngestSettings.from_env(
        {}, kafka_bootstrap=kafka_settings.kafka_bootstrap, topic_raw=kafka_settings.topic_raw,
        feeds_state_topic=kafka_settings.topic_raw + ".feed-state", feeds_per_host_delay_s=0.0,
        feeds_min_interval_s=0.0, allow_private_networks="127.0.0.0/8", **overrides)


def read_topic(settings: KafkaSettings, topic: str, *, expect: int | None = None,
               timeout: float = 30.0, idle: float = 2.0) -> list:
    """Every record of ``topic`` from the beginning: waits for ``expect`` records (or, if
    None, for a first record and then until nothing new arrives for ``idle`` seconds), at
    most ``timeout`` seconds. Workers under load can take a while to start: the idle wait only
    begins once something has arrived."""
    consumer = make_consumer(settings, group_id=None, enable_auto_commit=False,
                             auto_offset_reset="earliest")
    deadline = time.monotonic() + timeout
    while not consumer.partitions_for_topic(topic) and time.monotonic() < deadline:
        time.sleep(0.2)
    partitions = [TopicPartition(topic, p) for p in consumer.partitions_for_topic(topic) or ()]
    consumer.assign(partitions)
    consumer.seek_to_beginning()
    records, last_new = [], time.monotonic()
    while time.monotonic() < deadline:
        batch = consumer.poll(timeout_ms=300)
        new = [r for rs in batch.values() for r in rs]
        records.extend(new)
        if new:
            last_new = time.monotonic()
        if expect is not None and len(records) >= expect:
            # linger briefly: a record beyond ``expect`` is a failure the caller must see
            time.sleep(0.5)
            records.extend(r for rs in consumer.poll(timeout_ms=500).values() for r in rs)
            break
        if expect is None and records and time.monotonic() - last_new > idle:
            break
    consumer.close()
    return records


def json_values(records) -> list[dict]:
    return [json.loads(r.value) for r in records]
