"""Enrich throughput: ``vigie enrich`` workers on the real broker against raw ``nlp.pipe``.

The baseline is spaCy alone on the same texts, with the pipeline the worker loads (same model,
same excluded components, same batch size), in this process while nothing else runs. The
in-process ``Enricher`` rate sits between the two and tells the cost of the analysis around
NER from the cost of the stream plumbing.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import msgspec

from vigie.enrich.core import Enricher
from vigie.enrich.entities import EntityExtractor
from vigie.shared.kafka import make_producer
from vigie.shared.messages import RawArticle, encode

from .kafka_io import bench_settings, produce, raw_article, read_keys
from .proc import cpu_seconds, pin
from .workers import Worker, WorkerFailed, running, wait_until

BATCHES = "vigie_enrich_batch_size_articles_count"
FAILED = "vigie_enrich_articles_failed_total"
ANALYSIS_SECONDS = "vigie_enrich_ner_duration_seconds_sum"
PARTITIONS = 4


def baselines(raws: list[RawArticle]) -> dict:
    """Articles/s of ``nlp.pipe`` and of ``Enricher.enrich`` over the same texts."""
    started = time.perf_counter()
    extractor = EntityExtractor()
    load_s = time.perf_counter() - started
    enricher = Enricher(extractor=extractor)
    enricher.enrich(raws[:8])  # the first call builds caches: not part of either rate
    texts = [raw.text for raw in raws]
    pipe_s = _timed(lambda: list(extractor.nlp.pipe(texts, batch_size=enricher.batch_size)))
    core_s = _timed(lambda: enricher.enrich(raws))
    return {"model_load_s": round(load_s, 1), "texts": len(texts),
            "mean_chars": round(sum(map(len, texts)) / len(texts)),
            "nlp_pipe_per_s": len(texts) / pipe_s, "core_per_s": len(texts) / core_s}


def _timed(work) -> float:
    started = time.perf_counter()
    work()
    return time.perf_counter() - started


def worker_rate(bootstrap: str, workdir: Path, raws: list[RawArticle], warm: list[RawArticle],
                *, workers: int, tag: str, broker_pid: int | None = None,
                one_core_each: bool = False) -> dict:
    """Articles/s of ``workers`` enrich processes over a raw topic filled once they are ready,
    until the last enriched output (its Kafka record timestamp), and the CPU each part used.

    ``one_core_each``: worker *i* (its event loop and its NER process) runs on core *i* only,
    as with one core per worker container; the broker and this process are left free.
    """
    settings = bench_settings(bootstrap, tag)
    folder = workdir / tag
    folder.mkdir(parents=True, exist_ok=True)
    with running(settings, folder, *["enrich"] * workers) as procs:
        warm_up(settings, procs, warm)
        if one_core_each:
            for core, worker in enumerate(procs):
                pin(worker.process.pid, {core % os.cpu_count()})
        analysed_before = _analysis_seconds(procs)
        cpu_before = _cpu(procs, broker_pid)
        filled_ms = time.time() * 1000
        produce(settings, settings.topic_raw, raws)
        keys = {raw.id.encode() for raw in raws}
        records = read_keys(settings, settings.topic_enriched, keys,
                            timeout=120 + len(raws) / 2, progress=_watch(procs, len(raws)))
        analysed_s = _analysis_seconds(procs) - analysed_before
        cpu_used = {part: after - cpu_before[part]
                    for part, after in _cpu(procs, broker_pid).items()}
        peak = max(worker.peak_rss_mb() for worker in procs)
        batches = [int(worker.metric(BATCHES)) for worker in procs]
    if len(records) < len(raws):
        raise WorkerFailed(f"{len(records)} of {len(raws)} articles enriched ({tag})")
    # Outputs come in bursts (batches, then the single dedup partition), so the span starts
    # when the idle, ready workers were handed the articles, not at the first output.
    stamps = sorted(record.timestamp for record in records)
    span_s = (stamps[-1] - filled_ms) / 1000
    return {"workers": workers, "one_core_each": one_core_each, "articles": len(records),
            "span_s": round(span_s, 2),
            "articles_per_s": len(records) / span_s,
            "first_to_last_output_s": round((stamps[-1] - stamps[0]) / 1000, 2),
            "peak_rss_mb": peak, "batches_per_worker": batches,
            # Time inside Enricher.enrich (the worker's executor thread) per article, and the
            # share of the span the workers spent there: the rest is waiting and plumbing.
            "analysis_ms_per_article": round(analysed_s / len(records) * 1000, 1),
            "analysis_busy_share": round(analysed_s / workers / span_s, 3),
            # CPU per article of the workers' event-loop processes, of their NER processes and
            # of the broker: where the cores went.
            "cpu_ms_per_article": {part: round(seconds / len(records) * 1000, 1)
                                   for part, seconds in cpu_used.items()}}


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
