"""Ingest's durable memory: the latest value of each key, read back at start, written after
what it describes was acknowledged. Kafka is the in-memory client of ``tests.kafka_double``."""

from __future__ import annotations

from tests.kafka_double import Record
from vigie.ingest.settings import IngestSettings
from vigie.ingest.state_topic import StateTopic

TOPIC = "vigie.ingest.test-state"


def state_topic() -> StateTopic:
    return StateTopic(IngestSettings.from_env({}), TOPIC)


def test_the_topic_is_one_compacted_partition(kafka):
    state_topic().ensure()
    assert kafka.created[TOPIC] == {"partitions": 1, "compacted": True}


def test_load_gives_each_keys_latest_value_and_tombstones_delete(kafka):
    kafka.topics[TOPIC] = [
        Record(TOPIC, b"a", b"1"), Record(TOPIC, b"b", b"1"), Record(TOPIC, b"a", b"2"),
        Record(TOPIC, b"b", None), Record(TOPIC, None, b"keyless"), Record(TOPIC, b"c", b"1"),
        Record(TOPIC, b"c", None), Record(TOPIC, b"c", b"back"),
    ]
    assert state_topic().load() == {"a": b"2", "c": b"back"}


def test_what_is_saved_and_flushed_loads_in_the_next_process(kafka):
    first = state_topic()
    first.save("a", b"1")
    first.save("a", b"2")
    first.save("b", b"1")
    first.flush()
    first.close()
    assert state_topic().load() == {"a": b"2", "b": b"1"}


def test_a_save_is_durable_only_once_flushed(kafka):
    topic = state_topic()
    topic.save("a", b"1")
    assert state_topic().load() == {}
    topic.close()  # closing flushes what is pending
    assert state_topic().load() == {"a": b"1"}
    assert kafka.producers[-1].closed


def test_a_reader_that_never_saves_opens_no_producer(kafka):
    topic = state_topic()
    topic.load()
    topic.flush()
    topic.close()
    assert kafka.producers == []
