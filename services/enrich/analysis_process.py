"""Running the analysis (spaCy NER and the rest) beside the worker's event loop.

NER is CPU-bound Python: in a thread it competes with the event loop (Kafka I/O, heartbeats,
the dedup agent) for the GIL, which measured 46 ms per article against 28 ms alone. So the
spaCy model lives in a child process of its own, loaded once, that does only what needs the
model: the worker ships it the texts of a batch and gets back each text's language and, for
the texts of the model's language, the spans it found (small, cheap to pickle); the worker then
cleans them, reads the names of the other languages (``analysers``, a few ms an article) and
computes dates and hashes itself.
"""

from __future__ import annotations

import asyncio
import ctypes
import logging
import multiprocessing
import os
import signal
import sys
from collections.abc import Coroutine
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass

from vigie.shared.messages import RawArticle

from .enricher import Analysis, Enricher, complete
from .entities import EntityCleaner, Found

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


def _find(texts: list[str], hints: list[str | None]) -> list[Found]:
    return _enricher.find(texts, hints)


def _load_model() -> None:
    _enricher.extractor  # noqa: B018 - loads the model


class AnalysisProcess:
    """One child process holding the model; a crashed child is replaced at the next batch.

    With a ``chunk_size``, a batch is analysed in chunks, all handed to the model process at
    once: it works through them one after another while this process completes (cleans,
    dates, hashes) each chunk as it comes back. 0 (the default) analyses a batch in one piece.
    """

    def __init__(self, model: str, aliases_path: str | None, chunk_size: int = 0) -> None:
        self._args = (model, aliases_path, os.getpid())
        self._pool = self._start()
        self.cleaner = EntityCleaner(aliases_path, model=model)
        self.chunk_size = chunk_size

    def _start(self) -> ProcessPoolExecutor:
        # spawn, not fork: the worker already runs threads (Kafka clients, metrics server).
        return ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn"),
                                   initializer=_load, initargs=self._args)

    def analyse(self, articles: list[RawArticle]) -> list[Chunk]:
        """Start analysing ``articles``; one ``Chunk`` per ``chunk_size`` articles, in order,
        each to be awaited in turn for the analyses of its articles."""
        loop = asyncio.get_running_loop()
        pool = self._pool
        size = self.chunk_size or len(articles) or 1
        chunks = [articles[start:start + size] for start in range(0, len(articles), size)]
        return [Chunk(part, self._complete(loop, part, pool, self._submit(loop, pool, part)))
                for part in chunks]

    async def enrich(self, articles: list[RawArticle]) -> list[Analysis]:
        """Every analysis of ``articles`` at once."""
        return [analysis for chunk in self.analyse(articles) for analysis in await chunk.analyses]

    @staticmethod
    def _submit(loop, pool: ProcessPoolExecutor, articles: list[RawArticle]) -> asyncio.Future:
        try:
            return loop.run_in_executor(pool, _find, [article.text for article in articles],
                                        [article.language for article in articles])
        except BrokenProcessPool as exc:
            # The child died after the batch before this one was handed over: fail this
            # chunk like the chunks already queued, so that ``_complete`` restarts it.
            failed = loop.create_future()
            failed.set_exception(exc)
            return failed

    async def _complete(self, loop, articles: list[RawArticle], pool: ProcessPoolExecutor,
                        finding: asyncio.Future) -> list[Analysis]:
        try:
            found = await finding
        except BrokenProcessPool:
            if self._pool is pool:  # the first chunk to see it restarts it, the others reuse
                log.error("the analysis process died; starting a new one and retrying")
                self._pool = self._start()
            found = await self._submit(loop, self._pool, articles)
        return await loop.run_in_executor(None, complete, articles, found, self.cleaner)

    def warm_up(self) -> None:
        """Load the model now rather than on the first batch (NER and language
        identification in the child); the analysers of other languages load on their first
        article."""
        self._pool.submit(_load_model).result()
        self._pool.submit(_find, ["Une phrase pour charger le modèle de langues."], [None]).result()

    def close(self) -> None:
        self._pool.shutdown(cancel_futures=True)


@dataclass
class Chunk:
    """Some articles of a batch and the analyses under way for them (await ``analyses``)."""

    articles: list[RawArticle]
    analyses: Coroutine[None, None, list[Analysis]]
