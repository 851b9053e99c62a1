"""Retro-hunt: run a rules file over the enriched history, so a rule written today finds
yesterday's stories (``vigie alert replay --rules NEW.yaml --from-beginning --topic T``).

It reads ``news.enriched`` from the beginning (or from now) up to the end offsets it finds at
start, without a consumer group, publishes each alert once (by id) to ``T``, and exits. Its
alerts join no incident (``incident_id`` null): incidents are the live worker's. With
``--vetoed`` it also prints each match vetoed as a drill, with the reason (which drill phrase,
and where: sentence, paragraph, headline or lead).
"""

from __future__ import annotations

import logging

from vigie.shared.kafka import ensure_topics, make_producer, read_to_end
from vigie.shared.logs import configure_logging
from vigie.shared.messages import EnrichedArticle, InvalidMessage, decode, encode
from vigie.shared.reach import wait_for_kafka

from .evaluate import Evaluator
from .rules import RuleBook
from .settings import AlertSettings

log = logging.getLogger(__name__)


def replay_history(settings: AlertSettings, rules_path: str, *, topic: str,
                   from_beginning: bool = True, vetoed: bool = False) -> int:
    configure_logging(settings.log_level, settings.log_format)
    evaluator = Evaluator(RuleBook(rules_path))
    wait_for_kafka(settings)
    ensure_topics(settings, {topic: 1})
    producer = make_producer(settings)
    seen: set[str] = set()
    articles = 0
    for record in read_to_end(settings, settings.topic_enriched, from_beginning=from_beginning):
        try:
            article = decode(record.value, EnrichedArticle)
        except InvalidMessage:
            continue  # the live worker dead-lettered it already
        articles += 1
        if vetoed:
            for rule, veto in evaluator.vetoes(article):
                print(f"vetoed {article.id} {rule.id} {veto.match.text!r}: {veto.reason}")
        for alert, _ in evaluator.evaluate(article):
            if alert.id not in seen:
                seen.add(alert.id)
                producer.send(topic, key=alert.id.encode(), value=encode(alert))
    producer.flush()
    producer.close()
    print(f"replayed {articles} article(s): {len(seen)} alert(s) to {topic}")
    return 0
