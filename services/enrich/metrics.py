"""Every metric of the enrich service, declared once, on a registry given by the caller."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

from vigie.shared.messages import FAILURE_REASONS
from vigie.shared.metrics import DURATION_BUCKETS
from vigie.shared.streams import StreamWatch

# Languages reported as themselves; any other is counted as "other" (bounded label values).
LANGUAGES = ("fr", "en", "uk", "ru", "de", "es", "it", "nl", "pl", "pt", "und")


class EnrichMetrics:
    def __init__(self, registry: CollectorRegistry) -> None:
        self.registry = registry
        self.processed = Counter(
            "vigie_enrich_articles_processed_total", "Articles enriched and published",
            registry=registry,
        )
        self.failed = Counter(
            "vigie_enrich_articles_failed_total", "Messages sent to the dead-letter topic",
            ["reason"], registry=registry,
        )
        self.ner_duration = Histogram(
            "vigie_enrich_ner_duration_seconds",
            "Time a batch takes once the one before it is sent: its NER left to wait for,"
            " dates, hashes, sending",
            buckets=DURATION_BUCKETS, registry=registry,
        )
        self.batch_size = Histogram(
            "vigie_enrich_batch_size_articles", "Articles per analysed batch",
            buckets=(1, 2, 4, 8, 16, 32, 64, 128), registry=registry,
        )
        self.duplicates = Counter(
            "vigie_enrich_duplicates_total", "Articles flagged as duplicates, by kind",
            ["kind"], registry=registry,
        )
        self.dedup_keys = Gauge(
            "vigie_enrich_dedup_keys",
            "Entries of the dedup table on this worker (two per article in the window)",
            registry=registry,
        )
        self.languages = Counter(
            "vigie_enrich_articles_by_language_total", "Articles by detected language",
            ["language"], registry=registry,
        )
        self.stream = StreamWatch(registry, "enrich")
        for reason in FAILURE_REASONS:
            self.failed.labels(reason)
        for kind in ("exact", "near"):
            self.duplicates.labels(kind)

    def count_language(self, language: str) -> None:
        self.languages.labels(language if language in LANGUAGES else "other").inc()
