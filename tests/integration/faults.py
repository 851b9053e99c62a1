"""Helpers of the fault tests: generated articles, worker processes, topics read by key."""

from __future__ import annotations

import random
import re
import signal
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

from kafka import TopicPartition

from vigie.shared.config import KafkaSettings
from vigie.shared.ids import article_id, revision
from vigie.shared.kafka import make_consumer, make_producer
from vigie.shared.messages import RawArticle, Source, encode
from vigie.shared.timestamps import utc_now

from .helpers import ROOT, start_module, start_vigie
from .workers import worker_env

SEEDS = ROOT / "seeds"
ALERT_SENTENCES = (
    "Une alerte aérienne a été déclenchée dans toute la région en fin de soirée.",
    "Des missiles balistiques ont été tirés vers la ville pendant la nuit.",
)
# Faster recovery after a SIGKILL: the group waits this long for the dead member (6 s is
# the broker's default group.min.session.timeout.ms; a shorter one is refused).
SESSION_TIMEOUT_S = "6"


def seed_sentences() -> list[str]:
    """Sentences of the seeds without alert words, so only the planted ones can alert."""
    text = " ".join(p.read_text(encoding="utf-8") for p in sorted(SEEDS.iterdir()))
    found = re.split(r"(?<=[.!?…])\s+", re.sub(r"\s+", " ", text))
    return [s for s in found if 40 < len(s) < 400
            and not re.search(r"alert|missile|bomb|sirène", s, re.IGNORECASE)]


def generated_articles(count: int, *, alert_every: int = 3, seed: int = 7) -> list[RawArticle]:
    """Distinct articles built from seed sentences; every ``alert_every``-th plants a phrase."""
    rng = random.Random(seed)
    pool = seed_sentences()
    words = sorted({w for s in pool for w in s.split() if w.isalpha() and len(w) > 3})
    articles = []
    for n in range(count):
        noise = " ".join(rng.sample(words, 20))
        parts = [f"Dépêche numéro {n} de la rédaction.", *rng.sample(pool, 3), noise + "."]
        if n % alert_every == 0:
            parts.insert(2, ALERT_SENTENCES[n // alert_every % 2])
        articles.append(raw_article(f"fault-{n}", " ".join(parts)))
    return articles


def raw_article(name: str, text: str) -> RawArticle:
    now = utc_now()
    return RawArticle(id=article_id("file", name), revision=revision(None, text),
                      source=Source(kind="file", name="faults", path=name), text=text,
                      published="2025-08-22", language="fr", fetched_at=now, ingested_at=now)


def produce(settings: KafkaSettings, topic: str, messages: list[tuple[bytes | None, bytes]],
            partition: int | None = None) -> None:
    producer = make_producer(settings)
    for key, value in messages:
        producer.send(topic, key=key, value=value, partition=partition)
    producer.flush()
    producer.close()


def produce_articles(settings: KafkaSettings, articles: list[RawArticle]) -> None:
    produce(settings, settings.topic_raw, [(a.id.encode(), encode(a)) for a in articles])


def topic_size(settings: KafkaSettings, topic: str) -> int:
    """Records in ``topic`` (sum of end offsets), without reading them."""
    consumer = make_consumer(settings, group_id=None, enable_auto_commit=False)
    try:
        partitions = [TopicPartition(topic, p) for p in consumer.partitions_for_topic(topic) or ()]
        return sum(consumer.end_offsets(partitions).values()) if partitions else 0
    finally:
        consumer.close()


def committed_offsets(settings: KafkaSettings, group: str, topic: str) -> dict[int, int | None]:
    """The offsets ``group`` has committed for each partition of ``topic`` (None: none)."""
    consumer = make_consumer(settings, group_id=group, enable_auto_commit=False)
    try:
        return {partition: consumer.committed(TopicPartition(topic, partition))
                for partition in consumer.partitions_for_topic(topic)}
    finally:
        consumer.close()


def stop_process(process: subprocess.Popen) -> int | None:
    """SIGTERM, then SIGKILL if it will not stop; the exit code of a clean stop, else None."""
    process.terminate()
    try:
        return process.wait(60)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
        return None


def wait_until(condition: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.3)


def collect(settings: KafkaSettings, topic: str, done: Callable[[list], bool], *,
            timeout: float, linger: float = 3.0) -> list:
    """Every record of ``topic`` from the beginning, until ``done(records)`` holds, then
    ``linger`` seconds more so that late repeats are seen too. Fails on timeout."""
    consumer = make_consumer(settings, group_id=None, enable_auto_commit=False)
    deadline = time.monotonic() + timeout
    while not consumer.partitions_for_topic(topic) and time.monotonic() < deadline:
        time.sleep(0.2)
    consumer.assign([TopicPartition(topic, p) for p in consumer.partitions_for_topic(topic)])
    consumer.seek_to_beginning()
    records: list = []
    try:
        while not done(records):
            if time.monotonic() > deadline:
                raise AssertionError(f"{topic}: condition not met after {timeout:.0f} s "
                                     f"({len(records)} records)")
            records.extend(r for rs in consumer.poll(timeout_ms=300).values() for r in rs)
        end = time.monotonic() + linger
        while time.monotonic() < end:
            records.extend(r for rs in consumer.poll(timeout_ms=300).values() for r in rs)
    finally:
        consumer.close()
    return records


def has_keys(expected: set[bytes]) -> Callable[[list], bool]:
    return lambda records: expected <= {r.key for r in records}


class Worker:
    """One ``vigie`` worker process that the test can SIGKILL, SIGTERM and restart."""

    def __init__(self, settings: KafkaSettings, tmp_path: Path, service: str, **env: str):
        self.settings, self.tmp_path, self.service = settings, tmp_path, service
        self.env = env
        self.process: subprocess.Popen | None = None
        self.starts = 0

    def start(self, module: str | None = None, **env: str) -> Worker:
        """Start the service (or ``python -m MODULE``, a variant of it); ``env`` for this
        start only."""
        env = worker_env(self.settings, self.tmp_path, self.service) | {
            "VIGIE_FAUST_SESSION_TIMEOUT_S": SESSION_TIMEOUT_S, "VIGIE_LOG_LEVEL": "DEBUG"
        } | self.env | env
        self.starts += 1
        log = self.tmp_path / f"{self.service}-{self.starts}.log"
        if module is None:
            self.process = start_vigie(self.settings, self.service, log_path=log, **env)
        else:
            self.process = start_module(self.settings, module, log_path=log, **env)
        return self

    def kill(self) -> None:
        self.process.kill()
        self.process.wait(30)

    def terminate(self, timeout: float = 60) -> int:
        """SIGTERM and wait for the exit; returns the exit code."""
        self.process.send_signal(signal.SIGTERM)
        return self.process.wait(timeout)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            try:
                self.terminate()
            except subprocess.TimeoutExpired:
                self.kill()

    def log_text(self) -> str:
        return "\n".join((self.tmp_path / f"{self.service}-{n}.log").read_text(errors="replace")
                         for n in range(1, self.starts + 1))
