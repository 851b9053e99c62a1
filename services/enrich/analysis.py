"""Running the analysis (spaCy NER and the rest) beside the worker's event loop.

NER is CPU-bound Python: in a thread it competes with the event loop (Kafka I/O, heartbeats,
the dedup agent) for the GIL, which measured 46 ms per article against 28 ms alone. So the
spaCy model lives in a child process of its own, loaded once, that does only what needs the
model: the worker ships it the texts of a batch and gets back the spans it found (small, cheap
to pickle), then cleans them and computes language, dates and hashes itself.
"""

from __future__ import annotations

import asyncio
import ctypes
import logging
import multiprocessing
import os
import signal
import sys
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool

from vigie.shared.messages import RawArticle

from .core import Analysis, Enricher, complete
from .entities import EntityCleaner, Found
from .language import detect

log = logging.getLogger(__name__)
_enricher: Enricher | None = None  # the child process's own
PR_SET_PDEATHSIG = 1  # from <linux/prctl.h>


def _load(model: str, aliases_path: str | None, parent: int) -> None:
    global _enricher
    _die_with(parent)
    _enricher = Enricher(model=model, aliases_path=aliases_path)


def _die_with(parent: int) -> None:
    """End this process when the worker ends, however it ends: the worker leaves with
    ``os._exit`` on SIGTERM or is SIGKILLed, and an orphaned model process would keep its
    memory (and its share of the cores) for good."""
    if sys.platform.startswith("linux"):
        ctypes.CDLL(None).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
    if os.getppid() != parent:  # the worker was already gone before prctl took effect
        os._exit(0)


def _find(texts: list[str]) -> list[Found]:
    return _enricher.find(texts)


class AnalysisProcess:
    """One child process holding the model; a crashed child is replaced at the next batch."""

    def __init__(self, model: str, aliases_path: str | None) -> None:
        self._args = (model, aliases_path, os.getpid())
        self._pool = self._start()
        self.cleaner = EntityCleaner(aliases_path)

    def _start(self) -> ProcessPoolExecutor:
        # spawn, not fork: the worker already runs threads (Kafka clients, metrics server).
        return ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn"),
                                   initializer=_load, initargs=self._args)

    async def enrich(self, articles: list[RawArticle]) -> list[Analysis]:
        loop = asyncio.get_running_loop()
        found = await self._find(loop, [article.text for article in articles])
        return await loop.run_in_executor(None, complete, articles, found, self.cleaner)

    async def _find(self, loop, texts: list[str]) -> list[Found]:
        try:
            return await loop.run_in_executor(self._pool, _find, texts)
        except BrokenProcessPool:
            log.error("the analysis process died; starting a new one and retrying the batch")
            self._pool = self._start()
            return await loop.run_in_executor(self._pool, _find, texts)

    def warm_up(self) -> None:
        """Load the models now rather than on the first batch (NER in the child, language
        identification here)."""
        self._pool.submit(_find, []).result()
        detect("Une phrase pour charger le modèle de langues.")

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
