"""Enrich throughput: ``vigie enrich`` workers on the real broker against raw ``nlp.pipe``.

The baseline is spaCy alone on the same texts, with the pipeline the worker loads (same model,
same excluded components, same batch size), in this process while nothing else runs. The
in-process ``Enricher`` rate sits between the two and tells the cost of the analysis around
NER from the cost of the stream plumbing.
"""

from __future__ import annotations

import contextlib
import os
import time
from dataclasses import dataclass
from pathlib import Path

import msgspec

from vigie.enrich.enricher import Enricher
from vigie.enrich.entities import EntityExtractor
from vigie.shared.kafka import make_producer
from vigie.shared.messages import RawArticle, encode

from . import corpus
from .kafka_io import (
    bench_settings,
    message_count,
    produce,
    raw_article,
    read_keys,
    wait_for_records,
)
from .proc import cpu_seconds, pin, preemptions
from .workers import Worker, WorkerFailed, running, wait_until

BATCHES = "vigie_enrich_batch_size_articles_count"
FAILED = "vigie_enrich_articles_failed_total"
ANALYSIS_SECONDS = "vigie_enrich_ner_duration_seconds_sum"
PARTITIONS = 4


def baselines(raws: list[RawArticle], extractor: EntityExtractor | None = None) -> dict:
    """Articles/s of ``nlp.pipe`` and of ``Enricher.enrich`` over the same texts."""
    started = time.perf_counter()
    extractor = extractor or EntityExtractor()
    load_s = time.perf_counter() - started
    enricher = Enricher(extractor=extractor)
    enricher.enrich(raws[:8])  # the first call builds caches: not part of either rate
    texts = [raw.text for raw in raws]
    pipe_per_s = pipe_rate(extractor, texts, enricher.batch_size)
    core_s = _timed(lambda: enricher.enrich(raws))
    return {"model_load_s": round(load_s, 1), "texts": len(texts),
            "mean_chars": round(sum(map(len, texts)) / len(texts)),
            "nlp_pipe_per_s": pipe_per_s, "core_per_s": len(texts) / core_s,
            **place_cost(extractor, texts)}


class _Timed:
    """The gazetteer, with the time spent in its ``resolve`` summed up."""

    def __init__(self, places) -> None:
        self.places, self.seconds = places, 0.0

    def __getattr__(self, name: str):  # the rest of the gazetteer, untimed
        return getattr(self.places, name)

    def resolve(self, *args, **kwargs):
        started = time.perf_counter()
        try:
            return self.places.resolve(*args, **kwargs)
        finally:
            self.seconds += time.perf_counter() - started


def place_cost(extractor: EntityExtractor, texts: list[str]) -> dict:
    """Place resolution per article (the time spent in the gazetteer while entities are
    made), the whole entity step per article, and the time to build the gazetteer's index."""
    from vigie.enrich.places import Gazetteer

    index_s = _timed(Gazetteer)
    found = extractor.find_many(texts)
    cleaner = extractor.cleaner
    places, cleaner.places = cleaner.places, _Timed(cleaner.places)
    try:
        entities_s = _timed(lambda: [cleaner.entities(t, f)
                                     for t, f in zip(texts, found, strict=True)])
        resolve_s = cleaner.places.seconds
    finally:
        cleaner.places = places
    return {"place_ms_per_article": 1000 * resolve_s / len(texts),
            "entities_ms_per_article": 1000 * entities_s / len(texts),
            "places_index_s": round(index_s, 2)}


def _timed(work) -> float:
    started = time.perf_counter()
    work()
    return time.perf_counter() - started


@dataclass
class WorkerSet:
    """Enrich workers sharing one app id and topics, started once, measured in rounds."""

    settings: object
    procs: list[Worker]
    broker_pid: int | None

    def measure(self, raws: list[RawArticle], *, one_core_each: bool) -> dict:
        """Articles/s over ``raws`` (handed to the idle, ready workers at once) until the last
        enriched output (its Kafka record timestamp), and the CPU each part used.

        ``one_core_each``: worker *i* (its event loop and its NER process) runs on core *i*
        only, as with one core per worker container; otherwise on every core. The broker and
        this process are never pinned.
        """
        cores = os.cpu_count() or 1
        for index, worker in enumerate(self.procs):
            pin(worker.process.pid, {index % cores} if one_core_each else set(range(cores)))
        settings, procs = self.settings, self.procs
        already = message_count(settings, settings.topic_enriched)
        analysed_before = _analysis_seconds(procs)
        cpu_before = _cpu(procs, self.broker_pid)
        preempted_before = sum(preemptions(worker.process.pid) for worker in procs)
        filled_ms = time.time() * 1000
        produce(settings, settings.topic_raw, raws)
        wait_for_records(settings, settings.topic_enriched, already + len(raws),
                         timeout=120 + len(raws) / 2, progress=_watch(procs, len(raws)))
        analysed_s = _analysis_seconds(procs) - analysed_before
        cpu_used = {part: after - cpu_before[part]
                    for part, after in _cpu(procs, self.broker_pid).items()}
        preempted = sum(preemptions(worker.process.pid) for worker in procs) - preempted_before
        # read once the workers are done, so the reading costs them nothing
        records = read_keys(settings, settings.topic_enriched, {r.id.encode() for r in raws},
                            timeout=60, progress=_watch(procs, len(raws)))
        if len(records) < len(raws):
            raise WorkerFailed(f"{len(records)} of {len(raws)} articles enriched")
        # Outputs come in bursts (batches, then the single dedup partition), so the span
        # starts when the workers were handed the articles, not at the first output.
        stamps = sorted(record.timestamp for record in records)
        span_s = (stamps[-1] - filled_ms) / 1000
        return {
            "workers": len(procs), "one_core_each": one_core_each, "articles": len(records),
            "span_s": round(span_s, 2), "articles_per_s": len(records) / span_s,
            "steady_per_s": _steady_rate(stamps),
            # Time a batch held the head of the worker's pipeline (from the previous batch
            # sent to its own outputs sent) per article, and the share of the span it took.
            "analysis_ms_per_article": round(analysed_s / len(records) * 1000, 1),
            "analysis_busy_share": round(analysed_s / len(procs) / span_s, 3),
            # CPU per article of the workers' event-loop processes, of their NER processes
            # and of the broker: where the cores went.
            "cpu_ms_per_article": {part: round(seconds / len(records) * 1000, 1)
                                   for part, seconds in cpu_used.items()},
            # How often other work took a model process off its core, per article.
            "model_preemptions_per_article": round(preempted / len(records), 2),
        }

    def peak_rss_mb(self) -> float:
        return max(worker.peak_rss_mb() for worker in self.procs)


@contextlib.contextmanager
def worker_set(bootstrap: str, workdir: Path, warm: list[RawArticle], *, workers: int,
               tag: str, broker_pid: int | None = None):
    """``workers`` enrich processes on topics of their own, warmed up and idle."""
    settings = bench_settings(bootstrap, tag)
    folder = workdir / tag
    folder.mkdir(parents=True, exist_ok=True)
    with running(settings, folder, *["enrich"] * workers) as procs:
        warm_up(settings, procs, warm)
        yield WorkerSet(settings, procs, broker_pid)


def pipe_rate(extractor: EntityExtractor, texts: list[str], batch_size: int) -> float:
    """Articles/s of raw ``nlp.pipe`` over ``texts``."""
    return len(texts) / _timed(lambda: list(extractor.nlp.pipe(texts, batch_size=batch_size)))


# (name, workers, one core each): "one" against raw nlp.pipe; "two_cores" against "one_core"
# says how throughput grows with a core per worker; "two" against "one" what one machine gets
# from a second worker on the same cores.
RUNS = (("one", 1, False), ("one_core", 1, True), ("two_cores", 2, True), ("two", 2, False))
BATCH_SIZE = 16  # Enricher's default, as the worker's NER process runs


def measure(bootstrap: str, broker_pid: int | None, workdir: Path, *, rounds: int,
            articles: int, step) -> dict:
    """Baselines, then ``rounds`` rounds in which every run of ``RUNS`` is measured one after
    the other on the same fresh articles, raw ``nlp.pipe`` right before and after "one".

    The machine's speed drifts by ±15% from minute to minute (shared cores), so each ratio is
    taken within a round and the report gives the median round.
    """
    warm = articles_for(corpus.generate(8, seed=4, prefix="w"), "warm")
    started = time.perf_counter()
    extractor = EntityExtractor()
    load_s = time.perf_counter() - started
    first = articles_for(corpus.generate(articles, seed=3, prefix="e"), "base")
    result: dict = {"baseline": baselines(first, extractor) | {"model_load_s": round(load_s, 1)},
                    "rounds": []}
    with worker_set(bootstrap, workdir, warm, workers=1, tag="enrich-one",
                    broker_pid=broker_pid) as one, \
            worker_set(bootstrap, workdir, warm, workers=2, tag="enrich-two",
                       broker_pid=broker_pid) as two:
        sets = {1: one, 2: two}
        for index in range(rounds):
            step(f"enrich: round {index + 1} of {rounds}")
            generated = corpus.generate(articles, seed=30 + index, prefix=f"r{index}")
            texts = [article.text for article in generated]
            # Raw nlp.pipe right before and right after the one-worker run it is compared
            # with: the machine's speed drifts within a round too.
            pipe_rates = [pipe_rate(extractor, texts, BATCH_SIZE)]
            found: dict = {}
            for name, workers, one_core_each in RUNS:
                found[name] = sets[workers].measure(
                    articles_for(generated, f"{name}-{index}"), one_core_each=one_core_each)
                if name == "one":
                    pipe_rates.append(pipe_rate(extractor, texts, BATCH_SIZE))
            # the rate over both runs (same texts each time)
            found["nlp_pipe_per_s"] = len(pipe_rates) / sum(1 / rate for rate in pipe_rates)
            found["nlp_pipe_runs_per_s"] = pipe_rates
            result["rounds"].append(found)
        result["peak_rss_mb"] = max(one.peak_rss_mb(), two.peak_rss_mb())
    return result


RATIOS = {
    "ratio_to_pipe": lambda r: r["one"]["articles_per_s"] / r["nlp_pipe_per_s"],
    "scaling_a_core_each": lambda r: (r["two_cores"]["articles_per_s"]
                                      / r["one_core"]["articles_per_s"]),
    "scaling_shared_cores": lambda r: r["two"]["articles_per_s"] / r["one"]["articles_per_s"],
}


def median_round(result: dict, ratio: str) -> dict:
    """The round whose ``ratio`` is the median (the lower middle one for an even count)."""
    ordered = sorted(result["rounds"], key=RATIOS[ratio])
    return ordered[(len(ordered) - 1) // 2]


def ratios(result: dict, ratio: str) -> list[float]:
    return [round(RATIOS[ratio](found), 3) for found in result["rounds"]]


def _steady_rate(stamps_ms: list[int]) -> float:
    """Articles/s between the 10th and the 90th percentile of the output times: the rate while
    every worker is busy, without the start (first batches) and the end (the last partitions
    to finish)."""
    low, high = len(stamps_ms) // 10, len(stamps_ms) * 9 // 10
    return (high - low) / max((stamps_ms[high] - stamps_ms[low]) / 1000, 1e-3)


def _cpu(procs: list[Worker], broker_pid: int | None) -> dict[str, float]:
    used = [cpu_seconds(worker.process.pid) for worker in procs]
    return {"worker": sum(u["own"] for u in used), "ner": sum(u["children"] for u in used),
            "broker": cpu_seconds(broker_pid)["own"] if broker_pid else 0.0}


def _analysis_seconds(procs: list[Worker]) -> float:
    return sum(worker.metric(ANALYSIS_SECONDS) for worker in procs)


def warm_up(settings, procs: list[Worker], warm: list[RawArticle], timeout: float = 240) -> None:
    """Until every worker has analysed a batch (model loaded, partitions assigned), send one
    article to each partition every few seconds; then wait for all of them to come out."""
    producer = make_producer(settings)
    sent: list[RawArticle] = []
    check = _watch(procs, expected=0)

    def every_worker_busy() -> bool:
        check()
        if not all(worker.metric(BATCHES) > 0 for worker in procs):
            for partition in range(PARTITIONS):
                article = warm[len(sent) % len(warm)]
                article = msgspec.structs.replace(article, id=f"{article.id}-{len(sent)}")
                producer.send(settings.topic_raw, key=article.id.encode(),
                              value=encode(article), partition=partition)
                sent.append(article)
            producer.flush()
            return False
        return True

    try:
        wait_until(every_worker_busy, procs, timeout=timeout, what="enrich workers", every=3)
    finally:
        producer.close()
    read_keys(settings, settings.topic_enriched, {a.id.encode() for a in sent}, timeout=120,
              progress=_watch(procs, len(sent)))


def _watch(procs: list[Worker], expected: int):
    """A progress check: fail early if a worker died or dead-letters most articles."""
    def check() -> None:
        for worker in procs:
            worker.check_alive()
        failed = sum(worker.metric(FAILED) for worker in procs)
        if failed > max(3, expected // 10):
            raise WorkerFailed(f"enrich dead-lettered {failed:.0f} articles; see "
                               f"{procs[0].log}")
    return check


def articles_for(generated, folder: str) -> list[RawArticle]:
    return [raw_article(article, folder) for article in generated]
