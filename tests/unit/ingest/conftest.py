"""Ingest's unit tests run the real publisher and state store over an in-memory Kafka client
(``tests.kafka_double``): the only part replaced is the one a broker would answer."""

from __future__ import annotations

import pytest

from tests.kafka_double import KafkaDouble
from vigie.ingest import feeds, publisher, state_topic


@pytest.fixture
def kafka(monkeypatch) -> KafkaDouble:
    double = KafkaDouble()
    monkeypatch.setattr(publisher, "make_producer", double.make_producer)
    monkeypatch.setattr(state_topic, "make_producer", double.make_producer)
    monkeypatch.setattr(state_topic, "read_to_end", double.read_to_end)
    monkeypatch.setattr(state_topic, "ensure_topics", double.ensure_topics)
    monkeypatch.setattr(feeds, "ensure_topics", double.ensure_topics)
    return double
