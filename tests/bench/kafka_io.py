"""Topics, raw articles and fast reads and writes on the benchmark broker."""

from __future__ import annotations

import time

from kafka import TopicPartition

from vigie.shared.config import KafkaSettings
from vigie.shared.ids import article_id, revision
from vigie.shared.kafka import contract_topics, ensure_topics, make_consumer, make_producer
from vigie.shared.messages import RawArticle, Source, encode
from vigie.shared.timestamps import utc_now

from .corpus import Article


def bench_settings(bootstrap: str, tag: str) -> KafkaSettings:
    """Settings whose topics (``bench-<tag>.*``) are this measurement's own, created here."""
    name = f"bench-{tag}"
    settings = KafkaSettings.from_env(
        {}, kafka_bootstrap=bootstrap, topic_raw=f"{name}.raw",
        topic_enriched=f"{name}.enriched", topic_alerts=f"{name}.alerts",
        topic_dlq=f"{name}.dlq",
    )
    ensure_topics(settings, contract_topics(settings))
    return settings


def raw_article(article: Article, folder: str) -> RawArticle:
    """The RawArticle ingest would make of the article's file (unique id per folder)."""
    now = utc_now()
    path = f"{folder}/{article.name}.txt"
    return RawArticle(
        id=article_id("file", path), revision=revision(article.title, article.text),
        source=Source(kind="file", name=folder, path=path), title=article.title,
        text=article.text, published=article.published, fetched_at=now, ingested_at=now,
    )


def produce(settings: KafkaSettings, topic: str, articles: list[RawArticle]) -> None:
    """Send every article and wait for every acknowledgement."""
    producer = make_producer(settings)
    try:
        for article in articles:
            producer.send(topic, key=article.id.encode(), value=encode(article))
        producer.flush()
    finally:
        producer.close()


def produce_rate(settings: KafkaSettings, topic: str, payloads: list[tuple[bytes, bytes]]
                 ) -> float:
    """Messages/s of kafka-python alone, sending ready-made payloads until all are acked."""
    producer = make_producer(settings)
    try:
        producer.partitions_for(topic)  # metadata fetched outside the timed part
        started = time.perf_counter()
        futures = [producer.send(topic, key=key, value=value) for key, value in payloads]
        producer.flush()
        elapsed = time.perf_counter() - started
        for future in futures:
            future.get(timeout=0)
    finally:
        producer.close()
    return len(payloads) / elapsed


def message_count(settings: KafkaSettings, topic: str) -> int:
    """How many records ``topic`` holds (the sum of its partitions' end offsets)."""
    consumer = make_consumer(settings, group_id=None, enable_auto_commit=False)
    try:
        partitions = [TopicPartition(topic, p) for p in consumer.partitions_for_topic(topic)]
        return sum(consumer.end_offsets(partitions).values())
    finally:
        consumer.close()


PROGRESS_EVERY_S = 2.0


def read_keys(settings: KafkaSettings, topic: str, keys: set[bytes], *, timeout: float,
              progress=None) -> list:
    """Records of ``topic`` (from the start) whose key is in ``keys``, until every key was
    seen once or ``timeout``; ``progress()`` is called every ``PROGRESS_EVERY_S`` between polls
    (to fail early; not more often, since it scrapes the measured workers)."""
    consumer = make_consumer(settings, group_id=None, enable_auto_commit=False,
                             auto_offset_reset="earliest")
    try:
        partitions = [TopicPartition(topic, p) for p in consumer.partitions_for_topic(topic)]
        consumer.assign(partitions)
        consumer.seek_to_beginning()
        found: dict[bytes, object] = {}
        deadline = time.monotonic() + timeout
        next_check = time.monotonic() + PROGRESS_EVERY_S
        while len(found) < len(keys) and time.monotonic() < deadline:
            for records in consumer.poll(timeout_ms=500).values():
                for record in records:
                    if record.key in keys:
                        found.setdefault(record.key, record)
            if progress and time.monotonic() >= next_check:
                progress()
                next_check = time.monotonic() + PROGRESS_EVERY_S
        return list(found.values())
    finally:
        consumer.close()


def wait_for_records(settings: KafkaSettings, topic: str, count: int, *, timeout: float,
                     progress=None) -> None:
    """Until ``topic`` holds ``count`` records, asking only for its end offsets: reading the
    records meanwhile would take CPU from the workers being measured."""
    consumer = make_consumer(settings, group_id=None, enable_auto_commit=False)
    try:
        partitions = [TopicPartition(topic, p) for p in consumer.partitions_for_topic(topic)]
        deadline = time.monotonic() + timeout
        next_check = time.monotonic() + PROGRESS_EVERY_S
        while sum(consumer.end_offsets(partitions).values()) < count:
            if time.monotonic() > deadline:
                return
            if progress and time.monotonic() >= next_check:
                progress()
                next_check = time.monotonic() + PROGRESS_EVERY_S
            time.sleep(0.25)
    finally:
        consumer.close()
