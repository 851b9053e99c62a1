"""Retro-hunt: run a rules file over the enriched history, so a rule written today finds
yesterday's stories (``vigie alert replay --rules NEW.yaml --from-beginning --topic T``).

It reads ``news.enriched`` from the beginning (or from now) up to the end offsets it finds at
start, without a consumer group, publishes each alert once (by id) to ``T``, and exits.
"""

from __future__ import annotations

import logging

from kafka import TopicPartition

from vigie.shared.kafka import ensure_topics, make_consumer, make_producer
from vigie.shared.logs import configure_logging
from vigie.shared.messages import EnrichedArticle, InvalidMessage, decode, encode

from .evaluate import Evaluator
from .rules import RuleBook
from .settings import AlertSettings

log = logging.getLogger(__name__)


def history(settings: AlertSettings, from_beginning: bool):
    """Every enriched article up to the end offsets at start."""
    consumer = make_consumer(settings, group_id=None, enable_auto_commit=False)
    partitions = [TopicPartition(settings.topic_enriched, p)
                  for p in sorted(consumer.partitions_for_topic(settings.topic_enriched) or ())]
    consumer.assign(partitions)
    ends = consumer.end_offsets(partitions)
    if from_beginning:
        consumer.seek_to_beginning()
    remaining = {tp for tp in partitions if consumer.position(tp) < ends[tp]}
    try:
        while remaining:
            for tp, records in consumer.poll(timeout_ms=1000).items():
                for record in records:
                    if record.offset < ends[tp]:
                        yield record
                if consumer.position(tp) >= ends[tp]:
                    remaining.discard(tp)
    finally:
        consumer.close()


def replay_history(settings: AlertSettings, rules_path: str, *, topic: str,
                   from_beginning: bool = True) -> int:
    configure_logging(settings.log_level, settings.log_format)
    evaluator = Evaluator(RuleBook(rules_path))
    ensure_topics(settings, {topic: 1})
    producer = make_producer(settings)
    seen: set[str] = set()
    articles = 0
    for record in history(settings, from_beginning):
        try:
            article = decode(record.value, EnrichedArticle)
        except InvalidMessage:
            continue  # the live worker dead-lettered it already
        articles += 1
        for alert, _ in evaluator.evaluate(article):
            if alert.id not in seen:
                seen.add(alert.id)
                producer.send(topic, key=alert.id.encode(), value=encode(alert))
    producer.flush()
    producer.close()
    print(f"replayed {articles} article(s): {len(seen)} alert(s) to {topic}")
    return 0
