"""End-to-end alert latency under a steady load: a paced producer of raw articles that
contain alert phrases, one enrich and one alert worker, latencies read from the alerts.

``latency_ms`` of an alert is its ``detected_at`` (publication) minus the article's
``ingested_at``, which the producer stamps as it sends, exactly as ingest does.
"""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path

from kafka import TopicPartition

from vigie.shared.kafka import make_consumer, make_producer
from vigie.shared.messages import RawArticle, encode
from vigie.shared.timestamps import parse_time, utc_now

from .kafka_io import bench_settings
from .workers import WorkerFailed, running, wait_until


class TopicReader(threading.Thread):
    """Reads a topic from the start: (JSON value, record timestamp in s, arrival time)."""

    def __init__(self, settings, topic: str) -> None:
        super().__init__(daemon=True)
        self.settings, self.topic = settings, topic
        self.seen: list[tuple[dict, float, float]] = []
        self.halt = threading.Event()

    def run(self) -> None:
        consumer = make_consumer(self.settings, group_id=None, enable_auto_commit=False)
        # a topic just created can be missing from the first metadata answer
        while not consumer.partitions_for_topic(self.topic) and not self.halt.wait(0.2):
            pass
        consumer.assign([TopicPartition(self.topic, p)
                         for p in consumer.partitions_for_topic(self.topic) or ()])
        consumer.seek_to_beginning()
        while not self.halt.is_set():
            for records in consumer.poll(timeout_ms=300).values():
                for record in records:
                    self.seen.append((json.loads(record.value), record.timestamp / 1000,
                                      time.monotonic()))
        consumer.close()

    def idle_for(self) -> float:
        return time.monotonic() - self.seen[-1][2] if self.seen else float("inf")


def seconds(stamp: str) -> float:
    return parse_time(stamp).timestamp()


def stage_latencies(alerts: list[dict], enriched: list[tuple[dict, float, float]]) -> dict:
    """Where the time of each alert went (ms): raw → analysed (Kafka, batch window, NER),
    analysed → deduplicated (the dedup hop, up to the enriched record's timestamp), and
    deduplicated → alert published (the alert worker's three hops: evaluate, publish, track)."""
    published = {article["id"]: (article, stamp) for article, stamp, _ in enriched}
    stages: dict[str, list[float]] = {"analysed": [], "deduplicated": [], "alerted": []}
    for alert in alerts:
        if alert["article"]["id"] not in published:
            continue
        article, deduplicated = published[alert["article"]["id"]]
        analysed = seconds(article["enriched_at"])
        stages["analysed"].append((analysed - seconds(article["ingested_at"])) * 1000)
        stages["deduplicated"].append((deduplicated - analysed) * 1000)
        stages["alerted"].append((seconds(alert["detected_at"]) - deduplicated) * 1000)
    return {stage: percentiles(values) for stage, values in stages.items() if values}


def paced_send(settings, articles: list[RawArticle], rate: float) -> float:
    """Send the articles at ``rate``/s, each stamped ``ingested_at`` as it leaves; returns
    the rate achieved."""
    producer = make_producer(settings)
    started = time.monotonic()
    try:
        for index, article in enumerate(articles):
            delay = started + index / rate - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            article.ingested_at = utc_now()
            producer.send(settings.topic_raw, key=article.id.encode(), value=encode(article))
        producer.flush()
    finally:
        producer.close()
    return len(articles) / max(time.monotonic() - started, 1e-9)


def percentiles(values: list[float]) -> dict:
    ordered = sorted(values)

    def at(q: float) -> float:
        return round(ordered[min(len(ordered) - 1, int(q * len(ordered)))], 1)

    return {"p50_ms": at(0.50), "p95_ms": at(0.95), "p99_ms": at(0.99), "alerts": len(ordered)}


def measure(bootstrap: str, workdir: Path, loads: dict[str, list[RawArticle]],
            warm: list[RawArticle], rates: dict[str, float]) -> dict:
    """Latency percentiles per load level; the pipeline drains between levels."""
    settings = bench_settings(bootstrap, "latency")
    folder = workdir / "latency"
    folder.mkdir(parents=True, exist_ok=True)
    reader = TopicReader(settings, settings.topic_alerts)
    enriched = TopicReader(settings, settings.topic_enriched)
    reader.start()
    enriched.start()
    results: dict = {}
    try:
        with running(settings, folder, "enrich", "alert") as procs:
            _warm_up(settings, procs, reader, warm)
            for level, articles in loads.items():
                achieved = paced_send(settings, articles, rates[level])
                wait_until(lambda: reader.idle_for() > 8, procs, timeout=300,
                           what=f"alerts of the {level} load")
                ids = {a.id for a in articles}
                alerts = [alert for alert, _, _ in reader.seen if alert["article"]["id"] in ids]
                if not alerts:
                    raise WorkerFailed(f"no alert at the {level} load; see {folder}")
                results[level] = percentiles([alert["latency_ms"] for alert in alerts]) | {
                    "target_rate": round(rates[level], 2), "sent_rate": round(achieved, 2),
                    "articles": len(articles),
                    "stages": stage_latencies(alerts, enriched.seen)}
            results["peak_rss_mb"] = {w.service: w.peak_rss_mb() for w in procs}
    finally:
        for thread in (reader, enriched):
            thread.halt.set()
            thread.join(5)
    return results


def _warm_up(settings, procs, reader: TopicReader, warm: list[RawArticle]) -> None:
    """Send alerting articles until an alert comes out: both workers are up and assigned."""
    pending = list(warm)

    def alerted() -> bool:
        if reader.seen:
            return True
        if pending:
            paced_send(settings, [pending.pop()], rate=1.0)
        return False

    wait_until(alerted, procs, timeout=240, what="the first alert", every=3)
    wait_until(lambda: reader.idle_for() > 5, procs, timeout=120, what="warm-up alerts")
