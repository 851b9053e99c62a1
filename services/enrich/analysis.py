"""Running the analysis (spaCy NER and the rest) beside the worker's event loop.

NER is CPU-bound Python: in a thread it competes with the event loop (Kafka I/O, heartbeats,
the dedup agent) for the GIL, which measured 46 ms per article against 28 ms alone. So the
spaCy model lives in a child process of its own, loaded once: the worker ships it the texts of
a batch, and meanwhile computes language, dates and hashes itself (no model needed), so both
cores work on the batch.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import multiprocessing
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool

from vigie.shared.messages import RawArticle

from .core import Analysis, Enricher, combine

log = logging.getLogger(__name__)
_enricher: Enricher | None = None  # the child process's own


def _load(model: str, aliases_path: str | None) -> None:
    global _enricher
    _enricher = Enricher(model=model, aliases_path=aliases_path)


def _entities(texts: list[str]) -> list:
    return _enricher.entities(texts)


class AnalysisProcess:
    """One child process holding the model; a crashed child is replaced at the next batch."""

    def __init__(self, model: str, aliases_path: str | None) -> None:
        self._args = (model, aliases_path)
        self._pool = self._start()

    def _start(self) -> ProcessPoolExecutor:
        # spawn, not fork: the worker already runs threads (Kafka clients, metrics server).
        return ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn"),
                                   initializer=_load, initargs=self._args)

    async def enrich(self, articles: list[RawArticle]) -> list[Analysis]:
        loop = asyncio.get_running_loop()
        texts = [article.text for article in articles]
        entities, analyses = await asyncio.gather(
            self._entities(loop, texts),
            loop.run_in_executor(None, combine, articles, [[] for _ in articles]),
        )
        return [dataclasses.replace(analysis, entities=found)
                for analysis, found in zip(analyses, entities, strict=True)]

    async def _entities(self, loop, texts: list[str]) -> list:
        try:
            return await loop.run_in_executor(self._pool, _entities, texts)
        except BrokenProcessPool:
            log.error("the analysis process died; starting a new one and retrying the batch")
            self._pool = self._start()
            return await loop.run_in_executor(self._pool, _entities, texts)

    def warm_up(self) -> None:
        """Load the model now rather than on the first batch."""
        self._pool.submit(_entities, []).result()

    def close(self) -> None:
        self._pool.shutdown(cancel_futures=True)


class AnalysisThread:
    """The same interface over an ``Enricher`` already loaded in this process (tests)."""

    def __init__(self, enricher: Enricher) -> None:
        self.enricher = enricher

    async def enrich(self, articles: list[RawArticle]) -> list[Analysis]:
        return await asyncio.get_running_loop().run_in_executor(None, self.enricher.enrich,
                                                                articles)

    def warm_up(self) -> None:
        pass

    def close(self) -> None:
        pass
