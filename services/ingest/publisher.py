"""Publishing raw articles to Kafka: the only place ingest talks to the broker for articles.

The producer is idempotent with ``acks='all'`` and retries through broker outages (bounded by
``VIGIE_INGEST_DELIVERY_TIMEOUT_S``); ``flush`` blocks until every article is acknowledged, and a
failure is raised, never dropped silently.
"""

from __future__ import annotations

import logging

from vigie.shared.config import KafkaSettings
from vigie.shared.errors import VigieError
from vigie.shared.kafka import make_producer
from vigie.shared.messages import RawArticle, encode
from vigie.shared.timestamps import source_delay_s, utc_now

from .metrics import IngestMetrics

log = logging.getLogger(__name__)


class PublishError(VigieError, RuntimeError):
    """The broker did not acknowledge an article."""


class Publisher:
    def __init__(self, settings: KafkaSettings, metrics: IngestMetrics, **producer_options):
        self.topic = settings.topic_raw
        self.metrics = metrics
        self.producer = make_producer(settings, **producer_options)
        self._pending: list = []

    def publish(self, article: RawArticle) -> None:
        """Send one article; ``ingested_at`` is stamped here, as it leaves ingest."""
        article.ingested_at = utc_now()
        future = self.producer.send(self.topic, key=article.id.encode(), value=encode(article))
        delay = source_delay_s(article.published, article.fetched_at, article.ingested_at)
        self._pending.append((future, article.source.kind, delay))

    def flush(self, timeout: float | None = None) -> int:
        """Wait for every pending article; returns how many were acknowledged."""
        self.producer.flush(timeout)
        pending, self._pending = self._pending, []
        failures = []
        for future, kind, delay in pending:
            try:
                future.get(timeout=0)
                self.metrics.published.labels(kind).inc()
                if delay is not None:
                    self.metrics.source_delay.labels(kind).observe(delay)
            except Exception as exc:  # noqa: BLE001 - counted and re-raised below
                self.metrics.publish_failures.inc()
                failures.append(exc)
        if failures:
            raise PublishError(f"{len(failures)} article(s) not acknowledged: {failures[0]!r}")
        return len(pending)

    def close(self) -> None:
        try:
            self.flush()
        finally:
            self.producer.close()
