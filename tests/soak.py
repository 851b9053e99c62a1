"""``make soak``: a million articles through the stateful paths, memory and state measured.

    .venv/bin/python -m tests.soak [--articles 1000000] [--windows 10] [--store rocksdb://]
                                   [--every 100000]

Months of running, compressed: the articles' times (``ingested_at``, ``published``) are
simulated and spread over ``--windows`` dedup windows (``VIGIE_DEDUP_WINDOW_DAYS``, 7 days by
default), while the workers run as they do in production, on a fresh local broker.

What runs: two enrich workers (one owns the single dedup partition; the other waits to take
it over) and one alert worker. The soak feeds the dedup agent's input topic directly with
analysed articles, since NER would take days for a million; their MinHash signatures are
drawn at random, one article in ten an exact copy of a recent one and one in ten a near copy.
It feeds alert's candidates topic (publish-once) with one candidate per article, one in
twenty a repeat of a recent alert id, as a steady stream (10,000 at a time). Every 100,000
articles it prints each worker's resident memory, the changelogs' bytes on disk and the live
table keys. At the end it SIGKILLs the worker that owns the dedup partition and times the other
until it processes again. The workers' session timeout is the broker's minimum (6 s), part of
every take-over.

The last line compares the dedup worker's memory over the last 100,000 articles with the
window's full size, taken once the first window has turned over (two windows in): by then the
table is full, its entries expire as fast as they come, and RocksDB's caches have reached
their caps. The size when the first window had just filled is printed too.

Then it checks the soak's invariants (``violations``) and fails on any: the live keys of both
tables stay within one window's worth, every alert id fed is in the alerts topic exactly once,
and no agent crashed. ``tests/integration/test_soak.py`` runs the same code on 20,000 articles
over two windows in ``make test``, so the soak cannot rot unseen.
"""

from __future__ import annotations

import argparse
import base64
import collections
import contextlib
import dataclasses
import datetime as dt
import json
import os
import random
import signal
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from vigie.alert.candidates import Candidate
from vigie.shared.broker import LocalBroker, free_port
from vigie.shared.config import KafkaSettings
from vigie.shared.kafka import contract_topics, ensure_topics, make_producer, read_to_end
from vigie.shared.messages import (
    Alert,
    ArticleRef,
    EnrichedArticle,
    Hashes,
    RuleRef,
    Source,
    encode,
)
from vigie.shared.timestamps import format_time

from .bench.machine import describe
from .bench.proc import cpu_seconds
from .bench.workers import Worker, running, wait_until

DAY_S = 86_400
CHUNK = 10_000  # articles sent at a time, once the last are processed
SESSION_TIMEOUT_S = "6"
APP = "soak"  # app ids soak-enrich, soak-alert (from the raw topic's name)
DEDUP_TOPIC = f"{APP}-enrich.dedup"
CANDIDATES = f"{APP}-alert.candidates"
# Live keys allowed per article of a window: the dedup table keeps two per article, the
# published ids one per alert; the margin covers the event times a few hours before arrival
# and the few entries a record's expiry leaves for the next. A leak would hold every window.
KEYS_PER_ARTICLE = {"dedup": 2.2, "published": 1.1}


class Feed:
    """Analysed articles and alert candidates with simulated times, reproducible by seed."""

    def __init__(self, total: int, span_s: float, seed: int = 1) -> None:
        self.total = total
        self.span_s = span_s
        self.start_s = time.time() - span_s
        self.random = random.Random(seed)
        self.numbers = np.random.default_rng(seed)
        self.recent: list[tuple[str, str]] = []  # (exact, near) of recent originals
        self.alert_ids: list[str] = []
        self.distinct_alerts = 0  # alert ids fed, each to be published once

    def article(self, n: int) -> EnrichedArticle:
        arrival = self.start_s + n * self.span_s / self.total
        published = arrival - self.random.uniform(0, 6 * 3600)
        if n % 100 == 7:
            published = arrival - 20 * 365 * DAY_S  # a feed's wrong date: clamped
        kind = n % 10
        if kind == 3 and self.recent:
            exact, near = self.random.choice(self.recent)
        elif kind == 6 and self.recent:
            exact = os.urandom(32).hex()
            near = self._edited(self.random.choice(self.recent)[1])
        else:
            exact = os.urandom(32).hex()
            near = "mh1:" + base64.b64encode(
                self.numbers.integers(0, 2**32, 64, dtype="<u4").tobytes()).decode()
            self.recent = (self.recent + [(exact, near)])[-1000:]
        moment = format_time_s(arrival)
        return EnrichedArticle(
            id=f"soak-{n}", revision="r1", source=Source(kind="file", name="soak"),
            title=f"Dépêche {n}", text=f"Dépêche {n}: une alerte aérienne a retenti.",
            published=format_time_s(published), fetched_at=moment, ingested_at=moment,
            language="fr", hashes=Hashes(exact=exact, near=near), enriched_at=moment)

    def _edited(self, near: str) -> str:
        values = np.frombuffer(base64.b64decode(near[4:]), dtype="<u4").copy()
        values[self.numbers.choice(64, 8, replace=False)] = self.numbers.integers(0, 2**32, 8)
        return "mh1:" + base64.b64encode(values.astype("<u4").tobytes()).decode()

    def candidate(self, article: EnrichedArticle, n: int) -> tuple[str, bytes]:
        if n % 20 == 11 and self.alert_ids:
            alert_id = self.random.choice(self.alert_ids)  # another report of an alerted story
        else:
            alert_id = f"alert-{n}"
            self.alert_ids = (self.alert_ids + [alert_id])[-1000:]
            self.distinct_alerts += 1
        # no incident id, as from a version before incidents: published, and joins none
        alert = Alert(
            id=alert_id, rule=RuleRef(id="air-raid", severity="critical"), story_id=article.id,
            article=ArticleRef(id=article.id, title=article.title, published=article.published,
                               source=article.source),
            matches=[], snippet=article.text, detected_at=article.ingested_at, latency_ms=1.0)
        return alert_id, encode(Candidate(alert=alert))


def format_time_s(seconds: float) -> str:
    return format_time(dt.datetime.fromtimestamp(seconds, dt.timezone.utc))


def rss_mb(pid: int) -> float:
    """Resident memory now (VmRSS) of one process, in MB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def changelog_bytes(broker: LocalBroker, table: str) -> int:
    """The bytes of a table's changelog segments (not their preallocated indexes)."""
    return sum(f.stat().st_size
               for d in (broker.home / "data").glob(f"{APP}-*-{table}-changelog-*")
               for f in d.glob("*.log"))


def feed(producer, source: Feed, first: int, count: int) -> None:
    for n in range(first, first + count):
        article = source.article(n)
        producer.send(DEDUP_TOPIC, key=article.id.encode(), value=encode(article))
        alert_id, value = source.candidate(article, n)
        producer.send(CANDIDATES, key=alert_id.encode(), value=value)
    producer.flush()


def processed(workers: list[Worker]) -> tuple[float, float]:
    """Articles through dedup, candidates through publish-once, summed over the workers."""
    dedup = sum(w.metric("vigie_enrich_articles_processed_total") for w in workers
                if w.service == "enrich")
    publish = sum(w.metric("vigie_alert_alerts_total")
                  + w.metric("vigie_alert_duplicates_suppressed_total")
                  for w in workers if w.service == "alert")
    return dedup, publish


def dedup_owner(workers: list[Worker]) -> Worker:
    return max((w for w in workers if w.service == "enrich"),
               key=lambda w: w.metric("vigie_enrich_articles_processed_total"))


def report(n: int, workers: list[Worker], broker: LocalBroker, started: float,
           cpu_before: float) -> dict:
    owner = dedup_owner(workers)
    row = {
        "articles": n,
        "rss_mb": {f"{w.service}-{i}": round(rss_mb(w.process.pid)) for i, w in enumerate(workers)},
        "dedup_rss_mb": round(rss_mb(owner.process.pid), 1),
        "changelog_mb": {table: round(changelog_bytes(broker, table) / 1e6, 1)
                         for table in ("dedup", "published")},
        "live_keys": {"dedup": int(owner.metric("vigie_enrich_dedup_keys")),
                      "published": int(sum(w.metric("vigie_alert_published_keys")
                                           for w in workers if w.service == "alert"))},
        "agent_crashes": int(sum(w.metric(f"vigie_{w.service}_agent_crashes_total")
                                 for w in workers)),
        "elapsed_s": round(time.monotonic() - started),
        "dedup_cpu_ms_per_article": round(
            1000 * (cpu_seconds(owner.process.pid)["own"] - cpu_before) / max(n, 1), 3),
    }
    print(json.dumps(row), flush=True)
    return row


def takeover(workers: list[Worker], producer, source: Feed, n: int) -> float:
    """SIGKILL the dedup partition's owner; seconds until the other enrich worker processes."""
    owner = dedup_owner(workers)
    other = next(w for w in workers if w.service == "enrich" and w is not owner)
    before = other.metric("vigie_enrich_articles_processed_total")
    owner.process.send_signal(signal.SIGKILL)
    owner.process.wait()
    killed = time.monotonic()
    feed(producer, source, n, 100)
    survivors = [w for w in workers if w is not owner]
    wait_until(lambda: other.metric("vigie_enrich_articles_processed_total") > before,
               survivors, timeout=600, what="the take-over of the dedup partition", every=0.1)
    return time.monotonic() - killed


@dataclasses.dataclass
class Outcome:
    """What a soak measured: a row per report, and what its invariants are checked on."""

    articles: int
    windows: float
    rows: list[dict]
    takeover_s: float
    distinct_alerts: int  # alert ids fed
    published: collections.Counter  # alert id → records of it in the alerts topic

    @property
    def window_articles(self) -> float:
        return self.articles / self.windows


def violations(outcome: Outcome) -> list[str]:
    """The soak's invariants that did not hold (none: it passed)."""
    found = []
    for row in outcome.rows:
        for table, per_article in KEYS_PER_ARTICLE.items():
            bound = per_article * outcome.window_articles
            if row["live_keys"][table] > bound:
                found.append(f"{row['live_keys'][table]} live {table} keys at {row['articles']}"
                             f" articles, over one window's {bound:.0f}")
        if row["agent_crashes"]:
            found.append(f"{row['agent_crashes']} agent crashes at {row['articles']} articles")
    repeated = sum(1 for count in outcome.published.values() if count > 1)
    if len(outcome.published) != outcome.distinct_alerts or repeated:
        found.append(f"{len(outcome.published)} alert ids published of {outcome.distinct_alerts}"
                     f" fed, {repeated} of them more than once")
    return found


def run(args: argparse.Namespace, workdir: Path, broker: LocalBroker | None = None) -> Outcome:
    """The soak, on a fresh local broker of its own unless ``broker`` is given."""
    own = broker is None
    if own:
        broker = LocalBroker(workdir / "broker", port=free_port())
        broker.start(fresh=True)
    try:
        settings = KafkaSettings.from_env({}, kafka_bootstrap=broker.bootstrap,
                                          topic_raw=f"{APP}.raw", topic_enriched=f"{APP}.enriched",
                                          topic_alerts=f"{APP}.alerts", topic_dlq=f"{APP}.dlq")
        # the workers' input topics, before anything is sent to them (the broker would create
        # a missing one with its default partition count, and dedup needs exactly one)
        ensure_topics(settings, contract_topics(settings) | {DEDUP_TOPIC: 1, CANDIDATES: 4})
        env = {"VIGIE_DEDUP_WINDOW_DAYS": str(args.window_days),
               "VIGIE_FAUST_TABLE_STORE": args.store,
               "VIGIE_FAUST_SESSION_TIMEOUT_S": SESSION_TIMEOUT_S,
               "VIGIE_LOG_LEVEL": os.environ.get("VIGIE_LOG_LEVEL", "WARNING")}
        source = Feed(args.articles, args.windows * args.window_days * DAY_S)
        with contextlib.ExitStack() as stack:
            workers = []
            for index in range(2):  # each worker has its own table state, as on two machines
                folder = workdir / f"enrich-{index}"
                folder.mkdir()
                workers += stack.enter_context(running(settings, folder, "enrich", **env))
            # the alert worker reads an enriched topic of its own, left empty: only its
            # publish-once agent is measured, fed through the candidates topic
            quiet = KafkaSettings.from_env({}, kafka_bootstrap=broker.bootstrap,
                                           topic_raw=f"{APP}.raw", topic_enriched=f"{APP}.idle",
                                           topic_alerts=f"{APP}.alerts", topic_dlq=f"{APP}.dlq")
            workers += stack.enter_context(running(quiet, workdir, "alert", **env))
            producer = stack.enter_context(contextlib.closing(make_producer(
                settings, linger_ms=20, batch_size=262144)))
            rows, takeover_s = measure(args, workers, producer, broker, source)
        published = collections.Counter(
            record.key for record in read_to_end(settings, settings.topic_alerts, timeout_s=600))
        return Outcome(args.articles, args.windows, rows, takeover_s, source.distinct_alerts,
                       published)
    finally:
        if own:
            broker.stop()


def measure(args, workers, producer, broker, source: Feed) -> tuple[list[dict], float]:
    """Feed the articles, a report every ``args.every``; then the take-over. The rows and the
    take-over's seconds."""
    print(f"soak: {args.articles} articles over {args.windows} windows of {args.window_days}"
          f" days, store {args.store}, session timeout {SESSION_TIMEOUT_S} s; {describe()['summary']}",
          flush=True)
    started = time.monotonic()
    feed(producer, source, 0, 10)  # the workers are up once these come through
    wait_until(lambda: processed(workers) >= (10, 10), workers, timeout=300,
               what="the workers' first records")
    owner = dedup_owner(workers)
    cpu_before = cpu_seconds(owner.process.pid)["own"]
    base_rss = rss_mb(owner.process.pid)
    rows, n = [], 10
    first_window = args.articles // args.windows
    while n < args.articles:
        # a steady stream, not bursts: a backlog of 100,000 would be held in the workers'
        # fetch buffers, and their memory would measure the burst, not the state
        count = min(CHUNK - n % CHUNK, args.articles - n)
        feed(producer, source, n, count)
        n += count
        wait_until(lambda n=n: processed(workers) >= (n, n), workers, timeout=600,
                   what=f"{n} articles processed", every=0.1)
        if n % args.every == 0 or n == args.articles:
            rows.append(report(n, workers, broker, started, cpu_before))
    # the reference: once the first window's articles have all expired and been replaced,
    # when the table, the expiry in motion and RocksDB's capped caches are all at full size
    window_row = next(r for r in rows if r["articles"] >= 2 * first_window)
    in_window = window_row["live_keys"]["dedup"] / 2  # an x: and an s: entry per article
    first_full = next(r for r in rows if r["articles"] >= first_window)
    print(f"soak: dedup RSS {first_full['dedup_rss_mb']:.0f} MB when the first window filled,"
          f" {window_row['dedup_rss_mb']:.0f} MB once it had turned over", flush=True)
    print(f"soak: dedup memory per article in the window"
          f" {1000 * (window_row['dedup_rss_mb'] - base_rss) / in_window:.1f} kB"
          f" ({window_row['dedup_rss_mb'] - base_rss:.0f} MB over {base_rss:.0f} MB at start,"
          f" {in_window:.0f} articles in the window)", flush=True)
    seconds = takeover(workers, producer, source, n)
    survivors = [w for w in workers if w.process.poll() is None]
    wait_until(lambda: processed(survivors)[1] >= n + 100, survivors, timeout=600,
               what="the last candidates published")
    keys = rows[-1]["live_keys"]["dedup"] + rows[-1]["live_keys"]["published"]
    print(f"soak: {n} articles, dedup RSS first-window {window_row['dedup_rss_mb']:.0f} MB"
          f" last {rows[-1]['dedup_rss_mb']:.0f} MB, live keys {keys}, takeover {seconds:.1f} s",
          flush=True)
    return rows, seconds


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m tests.soak", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--articles", type=int, default=1_000_000)
    parser.add_argument("--windows", type=float, default=10.0,
                        help="simulated time span, in dedup windows (at least 2)")
    parser.add_argument("--window-days", type=float, default=7.0)
    parser.add_argument("--every", type=int, default=100_000,
                        help="articles between two reports (a multiple of 10,000)")
    parser.add_argument("--store", default="rocksdb://", choices=("memory://", "rocksdb://"),
                        help="the workers' table store (production: rocksdb://)")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    workdir = Path(tempfile.mkdtemp(prefix="vigie-soak-"))
    try:
        found = violations(run(args, workdir))
    except BaseException:
        print(f"soak failed; logs kept in {workdir}", file=sys.stderr)
        raise
    for violation in found:
        print(f"soak: FAILED: {violation}", file=sys.stderr)
    print("soak: invariants held" if not found else f"soak failed; logs kept in {workdir}",
          flush=True)
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
