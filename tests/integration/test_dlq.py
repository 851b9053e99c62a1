"""Dead letters go back to their original topic with ``vigie dlq replay``."""

import pytest

from vigie.shared.kafka import make_producer
from vigie.shared.messages import dead_letter, encode

from .helpers import read_topic, run_vigie

pytestmark = pytest.mark.integration


def test_replay_sends_the_original_bytes_back_to_their_topic(kafka_settings):
    original = b'{"not": "yet valid"}'
    other = b"refused by alert"
    producer = make_producer(kafka_settings)
    for service, topic, value, key in (
        ("enrich", kafka_settings.topic_raw, original, b"article-1"),
        ("alert", kafka_settings.topic_enriched, other, b"article-2"),
    ):
        letter = dead_letter(service=service, topic=topic, value=value, error=ValueError("x"),
                             partition=0, offset=3, key=key)
        producer.send(kafka_settings.topic_dlq, key=key, value=encode(letter))
    producer.flush()
    producer.close()

    listed = run_vigie(kafka_settings, "dlq", "list")
    assert listed.returncode == 0, listed.stderr
    assert "2 dead letter(s)" in listed.stdout

    done = run_vigie(kafka_settings, "dlq", "replay", "--service", "enrich")
    assert done.returncode == 0, done.stderr
    assert "1 dead letter(s) sent back" in done.stdout
    replayed = read_topic(kafka_settings, kafka_settings.topic_raw, expect=1)
    assert [(r.key, r.value) for r in replayed] == [(b"article-1", original)]
    assert read_topic(kafka_settings, kafka_settings.topic_enriched, timeout=3) == []
