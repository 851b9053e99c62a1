"""The logic of the enrich worker's two agents, which stay thin loops (``app``).

``BatchAnalysis`` is what ``analyse`` does with a batch of raw articles: decode it, hand it to
the model process, send each analysed article on to the dedup topic, and acknowledge the batch
only then. ``Deduplication`` is what ``deduplicate`` does with an analysed article: its verdict
against every earlier article, over any mapping as its table.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import time
from collections.abc import MutableMapping

from vigie.shared.expiry import clamped_time
from vigie.shared.messages import EnrichedArticle, RawArticle, decode_article, encode
from vigie.shared.streams import Agents
from vigie.shared.timestamps import utc_now

from .metrics import EnrichMetrics

log = logging.getLogger(__name__)


def to_enriched(raw: RawArticle, analysis) -> EnrichedArticle:
    """An EnrichedArticle with every raw field, the analysis, and no dedup verdict yet."""
    fields = {name: getattr(raw, name) for name in raw.__struct_fields__}
    fields.update(language=analysis.language, entities=analysis.entities, dates=analysis.dates,
                  hashes=analysis.hashes, enriched_at=utc_now())
    return EnrichedArticle(**fields)


class BatchAnalysis:
    """Batches of raw articles through ``analysis`` (``AnalysisProcess``) to ``dedup_topic``;
    what cannot be decoded, analysed or sent on is dead-lettered through ``agents``."""

    def __init__(self, analysis, agents: Agents, dedup_topic, metrics: EnrichMetrics,
                 max_chars: int) -> None:
        self.analysis, self.agents, self.dedup_topic = analysis, agents, dedup_topic
        self.metrics, self.max_chars = metrics, max_chars

    async def handle(self, stream, events, previous: asyncio.Future | None) -> None:
        """Analyse a batch while the previous one finishes; then send its outputs and ack it,
        strictly after the previous batch, so that offsets are committed in order and only
        for articles whose outputs were sent."""
        with self.metrics.stream.working():
            analysed_events, chunks = await self.start(events)
            if previous is not None:
                await previous  # what it raised fails this batch too: neither is acked
            started = time.perf_counter()
            await self.send_analysed(analysed_events, chunks)
            if chunks:
                self.metrics.ner_duration.observe(time.perf_counter() - started)
                self.metrics.batch_size.observe(len(analysed_events))
        for event in events:
            await stream.ack(event)

    async def start(self, events) -> tuple[list, list]:
        """Decode a batch and hand it to the model process; what cannot be decoded is
        dead-lettered. The events whose articles are under analysis, and their chunks."""
        decoded = []
        for event in events:
            async with self.agents.guard(event):
                decoded.append((event, decode_article(event.value, RawArticle, self.max_chars)))
        chunks = self.analysis.analyse([article for _, article in decoded]) if decoded else []
        return [event for event, _ in decoded], chunks

    async def send_analysed(self, events: list, chunks: list) -> None:
        """Send each article on to dedup, chunk by chunk as the analyses come; a chunk whose
        analysis failed, or an article that cannot be sent on, is dead-lettered."""
        events_left = iter(events)
        for chunk in chunks:
            chunk_events = list(itertools.islice(events_left, len(chunk.articles)))
            try:
                analyses = await chunk.analyses
            except Exception as exc:  # noqa: BLE001 - one bad chunk must not stop the worker
                log.exception("analysis failed; dead-lettering the chunk's articles")
                for event in chunk_events:
                    await self.agents.reject(event, exc)
                continue
            for event, article, result in zip(chunk_events, chunk.articles, analyses,
                                              strict=True):
                async with self.agents.guard(event):
                    await self.dedup_topic.send(key=article.id.encode(),
                                                value=encode(to_enriched(article, result)))


class Deduplication:
    """Analysed articles → their dedup verdicts, against every article recorded in ``table``
    within ``window_s`` of event time."""

    def __init__(self, table: MutableMapping[str, object], window_s: float, max_chars: int,
                 metrics: EnrichMetrics) -> None:
        from .dedup import DedupIndex

        self.index = DedupIndex(table, window_s=window_s)
        self.window_s, self.max_chars, self.metrics = window_s, max_chars, metrics

    def mark_stale(self) -> None:
        self.index.mark_stale()

    async def verdict(self, value: bytes) -> EnrichedArticle:
        """The article of ``value`` with its verdict, counted; the index is recorded."""
        article = decode_article(value, EnrichedArticle, self.max_chars)
        at = clamped_time(article.published, article.ingested_at, self.window_s)
        if not self.index.in_step:  # a take-over: the band index is rebuilt from the table
            for _ in self.index.rebuild():
                await asyncio.sleep(0)
        article.duplicate_of, article.near_duplicate_of = self.index.check(
            article.id, article.hashes, at, article.source)
        self.metrics.dedup_keys.set(self.index.size)
        if article.duplicate_of:
            self.metrics.duplicates.labels("exact").inc()
        elif article.near_duplicate_of:
            self.metrics.duplicates.labels("near").inc()
        self.metrics.count_language(article.language)
        self.metrics.processed.inc()
        return article
