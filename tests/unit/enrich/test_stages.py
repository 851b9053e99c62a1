"""The enrich agents' logic without a broker: ``BatchAnalysis`` with an analysis whose chunks
are given, ``Deduplication`` over a plain dict as its table."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from types import SimpleNamespace

import pytest
from prometheus_client import CollectorRegistry

from vigie.enrich.analysis_process import Chunk
from vigie.enrich.dedup import signatures
from vigie.enrich.enricher import Analysis
from vigie.enrich.metrics import EnrichMetrics
from vigie.enrich.stages import BatchAnalysis, Deduplication, to_enriched
from vigie.shared.messages import DeadLetter, EnrichedArticle, RawArticle, Source, decode, encode
from vigie.shared.streams import Agents

AT = "2025-08-22T14:03:07.000Z"


def raw(n: int, text: str = "Une alerte aérienne a retenti à Kyiv.") -> RawArticle:
    return RawArticle(id=f"a{n}", revision="r1", source=Source(kind="feed", name="AFP"), text=text,
                      published="2025-08-22", fetched_at=AT, ingested_at=AT)


@dataclass
class Event:
    value: bytes
    message: SimpleNamespace


def event(offset: int, value: bytes) -> Event:
    return Event(value, SimpleNamespace(topic="news.raw", partition=0, offset=offset,
                                        key=f"k{offset}".encode(), value=value))


class Topic:
    def __init__(self, log: list | None = None) -> None:
        self.sent: list[tuple[bytes, bytes]] = []
        self.log = [] if log is None else log

    async def send(self, *, key: bytes, value: bytes) -> None:
        self.sent.append((key, value))
        self.log.append(("sent", key))


class Stream:
    def __init__(self, log: list) -> None:
        self.log = log

    async def ack(self, event: Event) -> None:
        self.log.append(("ack", event.message.offset))


class Analysis2Chunks:
    """Chunks of two articles; the chunk holding ``failing`` fails."""

    def __init__(self, failing: str) -> None:
        self.failing = failing

    def analyse(self, articles: list[RawArticle]) -> list[Chunk]:
        return [Chunk(articles[i:i + 2], asyncio.ensure_future(self._analyses(articles[i:i + 2])))
                for i in range(0, len(articles), 2)]

    async def _analyses(self, articles: list[RawArticle]) -> list[Analysis]:
        if any(a.id == self.failing for a in articles):
            raise RuntimeError("the model process died")
        return [Analysis(language="fr", entities=[], dates=[], hashes=signatures(a.text))
                for a in articles]


def test_a_batch_sends_what_was_analysed_dead_letters_the_rest_then_acks_every_event():
    metrics = EnrichMetrics(CollectorRegistry())
    log: list = []
    dlq, dedup = Topic(), Topic(log)
    agents = Agents(None, dlq, "enrich", metrics.failed, metrics.stream.agent_crashes)
    batches = BatchAnalysis(Analysis2Chunks(failing="a4"), agents, dedup, metrics, 100_000)
    events = [event(0, encode(raw(0))), event(1, b"not json"), event(2, encode(raw(2))),
              event(3, encode(raw(3))), event(4, encode(raw(4)))]
    asyncio.run(batches.handle(Stream(log), events, None))
    assert [decode(v, EnrichedArticle).id for _, v in dedup.sent] == ["a0", "a2"]
    letters = [decode(v, DeadLetter) for _, v in dlq.sent]
    assert [(letter.offset, letter.value) for letter in letters] == [
        (1, b"not json"), (3, encode(raw(3))), (4, encode(raw(4)))]
    assert log == [("sent", b"a0"), ("sent", b"a2"), *(("ack", n) for n in range(5))]


def test_a_batch_waits_for_the_previous_one_and_fails_with_it_unacked():
    metrics = EnrichMetrics(CollectorRegistry())
    agents = Agents(None, Topic(), "enrich", metrics.failed, metrics.stream.agent_crashes)
    batches = BatchAnalysis(Analysis2Chunks(failing=""), agents, Topic(), metrics, 100_000)
    log = []

    async def run() -> None:
        previous = asyncio.get_running_loop().create_future()
        previous.set_exception(RuntimeError("the previous batch failed"))
        await batches.handle(Stream(log), [event(0, encode(raw(0)))], previous)

    with pytest.raises(RuntimeError, match="the previous batch failed"):
        asyncio.run(run())
    assert log == []


def test_deduplication_gives_verdicts_and_rebuilds_its_index_from_the_table(seeds):
    metrics, table = EnrichMetrics(CollectorRegistry()), {}
    dedup = Deduplication(table, 86_400.0, 100_000, metrics)

    def analysed(n: int, text: str, feed: str) -> bytes:
        article = raw(n, text)
        article.source = Source(kind="feed", name=feed)
        return encode(to_enriched(article, Analysis(language="fr", entities=[], dates=[],
                                                    hashes=signatures(text))))

    text = seeds["000"].text
    first = asyncio.run(dedup.verdict(analysed(1, text, "AFP")))
    assert (first.duplicate_of, first.near_duplicate_of) == (None, None)
    assert asyncio.run(dedup.verdict(analysed(2, text.upper(), "Le Soir"))).duplicate_of == "a1"
    restarted = Deduplication(table, 86_400.0, 100_000, metrics)  # a take-over: same table
    near = asyncio.run(restarted.verdict(analysed(3, "Publié à 18h\n" + text, "Le Temps")))
    assert (near.duplicate_of, near.near_duplicate_of) == (None, "a1")
    # Another item of the first article's own source is another story, whatever its text.
    again = asyncio.run(restarted.verdict(analysed(4, text, "AFP")))
    assert (again.duplicate_of, again.near_duplicate_of) == (None, None)
    sample = metrics.registry.get_sample_value
    assert [sample("vigie_enrich_duplicates_total", {"kind": kind}) for kind in
            ("exact", "near")] == [1, 1]
