"""Fixtures shared by every test: a real local Kafka broker, and per-test topics."""

from __future__ import annotations

import os
import re
import uuid
from pathlib import Path

import pytest

from vigie.shared.broker import LocalBroker, free_port
from vigie.shared.config import KafkaSettings
from vigie.shared.kafka import contract_topics, ensure_topics

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "seeds"
# Material beside the repository (read-only, never copied in): feed corpora for the tests.
OUTSIDE_SHARED = ROOT.parent / "shared"


@pytest.fixture(scope="session")
def broker(tmp_path_factory) -> LocalBroker:
    """One real single-node KRaft broker for the whole test session, on a free port."""
    instance = LocalBroker(tmp_path_factory.mktemp("broker"), port=free_port())
    instance.start(fresh=True)
    yield instance
    instance.stop()


@pytest.fixture
def kafka_settings(broker, request) -> KafkaSettings:
    """Settings on the test broker with topic names of this test's own, already created."""
    tag = re.sub(r"[^a-zA-Z0-9]+", "-", request.node.name)[:40] + "-" + uuid.uuid4().hex[:6]
    settings = KafkaSettings.from_env(
        {},
        kafka_bootstrap=broker.bootstrap,
        topic_raw=f"{tag}.raw",
        topic_enriched=f"{tag}.enriched",
        topic_alerts=f"{tag}.alerts",
        topic_incidents=f"{tag}.incidents",
        topic_dlq=f"{tag}.dlq",
    )
    ensure_topics(settings, contract_topics(settings))
    return settings


@pytest.fixture
def clean_env(monkeypatch):
    """No VIGIE_* variable from the caller's shell leaks into a test."""
    for name in list(os.environ):
        if name.startswith("VIGIE_"):
            monkeypatch.delenv(name)


@pytest.fixture(autouse=True)
def no_proxy_from_the_shell(monkeypatch):
    """Requests go where the test sends them: a proxy set in the caller's shell would carry the
    tests' local traffic elsewhere. Proxy tests set their own."""
    for name in list(os.environ):
        if name.lower() in ("http_proxy", "https_proxy", "all_proxy", "no_proxy"):
            monkeypatch.delenv(name)
