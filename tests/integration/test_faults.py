"""Fault injection on the real broker: SIGKILL and SIGTERM of workers, a broker outage during
ingest, poison messages, misbehaving feed servers.

Each test states the guarantee it checks in its docstring; docs/guarantees.md sums them up.
"""

from __future__ import annotations

import json
import os
import threading
import time
from collections import Counter
from pathlib import Path

import pytest
import yaml
from prometheus_client import CollectorRegistry

from vigie.alert.evaluate import Evaluator
from vigie.alert.rules import RuleBook
from vigie.ingest.feeds import run as run_feeds
from vigie.ingest.files import read_article
from vigie.ingest.metrics import FETCH_RESULTS, IngestMetrics
from vigie.ingest.settings import IngestSettings
from vigie.shared.broker import LocalBroker, free_port
from vigie.shared.config import KafkaSettings
from vigie.shared.kafka import contract_topics, ensure_topics
from vigie.shared.messages import Alert, DeadLetter, EnrichedArticle, Hashes, RawArticle, decode, encode
from vigie.shared.timestamps import utc_now

from ..local_http import LocalServer, serve
from .faults import (
    Worker,
    collect,
    generated_articles,
    has_keys,
    produce,
    produce_articles,
    raw_article,
    stop_process,
    topic_size,
    wait_until,
)
from .helpers import ROOT, start_vigie

pytestmark = [pytest.mark.integration, pytest.mark.fault]
RULES = ROOT / "deploy" / "rules.yaml"


def decoded(records, kind) -> list:
    return [decode(r.value, kind) for r in records]


def repeats(records) -> int:
    """Records beyond the first under each key."""
    return len(records) - len({r.key for r in records})


# --- SIGKILL of enrich and alert mid-stream ---------------------------------------------------

def expected_alerts(articles: list[EnrichedArticle]) -> dict[str, Alert]:
    """The alerts the rules give for every enriched record, by id (the test's oracle)."""
    evaluator = Evaluator(RuleBook(str(RULES)))
    return {alert.id: alert for article in articles for alert, _ in evaluator.evaluate(article)}


def same_alert_apart_from_time(copies: list[Alert]) -> bool:
    """A republished alert differs from the first only in when it was published."""
    def stable(alert: Alert) -> dict:
        fields = json.loads(encode(alert))
        return {k: v for k, v in fields.items() if k not in ("detected_at", "latency_ms")}
    return all(stable(c) == stable(copies[0]) for c in copies)


def check_enriched_after_crash(records, articles: list[RawArticle]) -> list[EnrichedArticle]:
    enriched = decoded(records, EnrichedArticle)
    assert {a.id for a in enriched} == {a.id for a in articles}
    # Texts are unique: a redelivered article must find itself, not "a duplicate of itself".
    assert all(a.duplicate_of is None for a in enriched)
    assert all(a.near_duplicate_of != a.id for a in enriched)
    return enriched


def test_sigkill_of_enrich_and_alert_mid_stream_loses_nothing(kafka_settings, tmp_path,
                                                              record_property):
    """SIGKILL both workers mid-stream, restart them.

    Guarantee checked: every article is enriched; the distinct alert ids a subscriber sees are
    exactly those the rules give for the enriched articles (none lost, none invented); one id
    per rule and story; and any repeat is the same alert under the same id.

    What is *not* asserted: zero repeats. ``publish`` sends an alert before its id reaches the
    published table's changelog and before the candidate's offset is committed, so a kill in
    that window republishes it on restart (same id, new ``detected_at``). Subscribers that key
    on ``id`` see each alert once; the count of repeats is recorded as ``alert_repeats``.
    """
    settings = kafka_settings
    articles = generated_articles(180)
    workers = [Worker(settings, tmp_path, "enrich"), Worker(settings, tmp_path, "alert")]
    try:
        for worker in workers:
            worker.start()
        produce_articles(settings, articles)
        wait_until(lambda: topic_size(settings, settings.topic_enriched) >= len(articles) // 4
                   and topic_size(settings, settings.topic_alerts) > 0, 240, "part of the stream")
        for worker in workers:
            worker.kill()
        assert topic_size(settings, settings.topic_enriched) < len(articles), "not mid-stream"
        for worker in workers:
            worker.start()
        records = collect(settings, settings.topic_enriched,
                          has_keys({a.id.encode() for a in articles}), timeout=300)
        enriched = check_enriched_after_crash(records, articles)
        expected = expected_alerts(enriched)
        alert_records = collect(settings, settings.topic_alerts,
                                has_keys({i.encode() for i in expected}), timeout=120, linger=6)
    finally:
        for worker in workers:
            worker.stop()
    check_alerts_once_per_id(decoded(alert_records, Alert), expected, enriched)
    record_property("enriched_repeats", repeats(records))
    record_property("alert_repeats", repeats(alert_records))
    print(f"enriched repeats {repeats(records)}, alert repeats {repeats(alert_records)}")


def check_alerts_once_per_id(alerts: list[Alert], expected: dict[str, Alert],
                             enriched: list[EnrichedArticle]) -> None:
    assert {a.id for a in alerts} == set(expected)
    # A redelivered article gives the same verdict, hence one id per rule and article.
    distinct = {a.id: a for a in alerts}.values()
    assert max(Counter((a.rule.id, a.article.id) for a in distinct).values()) == 1
    by_id: dict[str, list[Alert]] = {}
    for alert in alerts:
        by_id.setdefault(alert.id, []).append(alert)
    assert all(same_alert_apart_from_time(copies) for copies in by_id.values())
    # Every article with a planted phrase alerted for its story (the oracle is not empty).
    planted = {a.id: a for a in enriched if "alerte aérienne" in a.text
               or "missiles balistiques" in a.text}
    stories = {a.story_id for a in alerts}
    assert planted and all((a.duplicate_of or a.near_duplicate_of or a.id) in stories
                           for a in planted.values())


# --- SIGTERM of enrich with a backlog ---------------------------------------------------------

def test_sigterm_of_enrich_with_a_backlog_loses_nothing(kafka_settings, tmp_path,
                                                        record_property):
    """SIGTERM the enrich worker while it works through a backlog, then restart it.

    Guarantee checked: the worker exits cleanly (code 0) and, after the restart, every article
    is enriched: in-flight work was either committed before exit or is redone. Repeats (work
    done but not yet committed) are allowed and recorded as ``enriched_repeats``.
    """
    settings = kafka_settings
    articles = generated_articles(120, seed=11)
    produce_articles(settings, articles)
    enrich = Worker(settings, tmp_path, "enrich")
    try:
        enrich.start()
        wait_until(lambda: topic_size(settings, settings.topic_enriched) >= 15, 240,
                   "the backlog to start draining")
        assert enrich.terminate() == 0
        assert topic_size(settings, settings.topic_enriched) < len(articles), "no backlog left"
        enrich.start()
        records = collect(settings, settings.topic_enriched,
                          has_keys({a.id.encode() for a in articles}), timeout=300)
    finally:
        enrich.stop()
    check_enriched_after_crash(records, articles)
    record_property("enriched_repeats", repeats(records))
    print(f"enriched repeats after SIGTERM {repeats(records)}")


# --- Poison messages ----------------------------------------------------------------------------

BIG_TEXT = "x " * 10_000_000  # 20 MB: under the producers' 48 MB, far over any article


def enriched_version(raw: RawArticle) -> EnrichedArticle:
    fields = {name: getattr(raw, name) for name in raw.__struct_fields__}
    return EnrichedArticle(**fields, hashes=Hashes(exact=raw.revision, near="0"),
                           enriched_at=utc_now())


def poison(prefix: str, big: bytes) -> list[tuple[bytes, bytes]]:
    return [(f"{prefix}-garbage".encode(), b"\xff\xfe\x00 not json at all"),
            (f"{prefix}-shape".encode(), json.dumps({"id": 1, "text": ["wrong"]}).encode()),
            (f"{prefix}-big".encode(), big)]


def test_poison_lands_in_the_dlq_once_and_workers_go_on(kafka_settings, tmp_path):
    """Garbage bytes, JSON of the wrong shape and a 20 MB text in the raw and enriched topics.

    Guarantee checked: each lands in the dead-letter topic exactly once, with its original
    bytes, topic and the service that refused it; a good article sent after the poison, on the
    same partition, is enriched and alerts.
    """
    settings = kafka_settings
    raw_poison = poison("raw", encode(raw_article("big-raw", BIG_TEXT)))
    enriched_poison = poison("enriched",
                             encode(enriched_version(raw_article("big-enriched", BIG_TEXT))))
    good_raw = raw_article("good-raw", "Une alerte aérienne a été déclenchée sur Kyiv ce matin.")
    good_enriched = enriched_version(
        raw_article("good-enriched", "Des missiles balistiques ont visé Odesa dans la nuit."))
    with_workers = [Worker(settings, tmp_path, "enrich"), Worker(settings, tmp_path, "alert")]
    try:
        for worker in with_workers:
            worker.start()
        send_on_partition_zero(settings, settings.topic_raw,
                               [*raw_poison, (good_raw.id.encode(), encode(good_raw))])
        send_on_partition_zero(settings, settings.topic_enriched,
                               [*enriched_poison, (good_enriched.id.encode(),
                                                   encode(good_enriched))])
        letters = collect(settings, settings.topic_dlq, lambda rs: len(rs) >= 6, timeout=240,
                          linger=5)
        alerts = collect(settings, settings.topic_alerts, lambda rs: {
            a.article.id for a in decoded(rs, Alert)} >= {good_raw.id, good_enriched.id},
            timeout=240, linger=0)
    finally:
        for worker in with_workers:
            worker.stop()
    check_dead_letters(decoded(letters, DeadLetter), {settings.topic_raw: raw_poison,
                                                      settings.topic_enriched: enriched_poison})
    assert alerts


def send_on_partition_zero(settings: KafkaSettings, topic: str, messages) -> None:
    """Poison and the good message after it share one partition, so order is guaranteed."""
    produce(settings, topic, messages, partition=0)


def check_dead_letters(letters: list[DeadLetter], sent: dict[str, list]) -> None:
    service = dict(zip(sent, ("enrich", "alert"), strict=True))
    found = Counter((letter.topic, letter.key, letter.value) for letter in letters)
    expected = Counter((topic, key.decode(), value) for topic, messages in sent.items()
                       for key, value in messages)
    assert found == expected  # each exactly once, original bytes, nothing else
    assert all(letter.service == service[letter.topic] and letter.error for letter in letters)


# --- Broker outage during ingest ------------------------------------------------------------

@pytest.fixture(scope="module")
def own_broker(tmp_path_factory):
    """A broker of this module's own, so stopping it leaves the session broker to others."""
    instance = LocalBroker(tmp_path_factory.mktemp("outage-broker"), port=free_port(),
                           heap="384m")
    instance.start(fresh=True)
    yield instance
    instance.stop()


@pytest.fixture
def outage_settings(own_broker) -> KafkaSettings:
    settings = KafkaSettings.from_env({}, kafka_bootstrap=own_broker.bootstrap,
                                      topic_raw="outage.raw", topic_enriched="outage.enriched",
                                      topic_alerts="outage.alerts", topic_dlq="outage.dlq")
    ensure_topics(settings, contract_topics(settings))
    return settings


class Dropper:
    """Writes news files into a watched folder atomically (written aside, then renamed in)."""

    def __init__(self, tmp_path: Path) -> None:
        self.folder, self.staging = tmp_path / "watched", tmp_path / "staging"
        self.folder.mkdir()
        self.staging.mkdir()
        self.articles = generated_articles(45, seed=3)
        self.names: list[str] = []

    def drop(self, count: int, gap: float = 0.0) -> list[str]:
        dropped = []
        for article in self.articles[len(self.names):len(self.names) + count]:
            name = f"{article.source.path}.txt"
            (self.staging / name).write_text(f"Titre {name}\n{article.text}\n", encoding="utf-8")
            os.replace(self.staging / name, self.folder / name)
            self.names.append(name)
            dropped.append(name)
            time.sleep(gap)
        return dropped

    def expected(self) -> dict[str, str]:
        """id → revision of every dropped file, as ingest computes them."""
        found = [read_article(self.folder / n, self.folder, 1_000_000) for n in self.names]
        return {a.id: a.revision for a in found}


def test_broker_outage_during_watch_ingest_loses_nothing(own_broker, outage_settings,
                                                         tmp_path, record_property):
    """SIGKILL the broker while ``vigie ingest files --watch`` receives files; start it again.

    Guarantee checked: ingest keeps running and retries (the idempotent producer reconnects
    with backoff within ``VIGIE_INGEST_DELIVERY_TIMEOUT_S``), every file read — including
    files read while the broker was down — reaches the raw topic, under its stable id and its
    revision. A repeat under the same id and revision is allowed (a retried batch whose
    acknowledgement was lost in the crash) and recorded as ``raw_repeats``.
    """
    settings, dropper = outage_settings, Dropper(tmp_path)
    ingest = start_vigie(settings, "ingest", "files", "--watch", str(dropper.folder),
                         log_path=tmp_path / "ingest.log", VIGIE_INGEST_WATCH_INTERVAL_S="0.2",
                         VIGIE_INGEST_METRICS_PORT=str(free_port()))
    try:
        dropper.drop(15)
        wait_until(lambda: topic_size(settings, settings.topic_raw) >= 15, 120, "first files")
        own_broker.kill()
        during = dropper.drop(15, gap=0.3)
        # The outage lasts until ingest has read a file dropped during it (a slow machine
        # takes a while), and some seconds more while it retries.
        log = tmp_path / "ingest.log"
        wait_until(lambda: any(name in log.read_text(errors="replace") for name in during), 60,
                   "a file read during the outage")
        time.sleep(3)
        own_broker.start()
        dropper.drop(15)
        expected = dropper.expected()
        records = collect(settings, settings.topic_raw, has_keys({i.encode() for i in expected}),
                          timeout=180)
        assert ingest.poll() is None, "ingest gave up during the outage"
    finally:
        exit_code = stop_process(ingest)
    check_raw_records(records, expected)
    assert exit_code == 0
    record_property("raw_repeats", repeats(records))
    print(f"raw repeats after the outage {repeats(records)}")


def check_raw_records(records, expected: dict[str, str]) -> None:
    articles = decoded(records, RawArticle)
    assert {a.id for a in articles} == set(expected)  # none lost, none under a new id
    assert all(a.revision == expected[a.id] for a in articles)  # repeats are the same item


# --- Misbehaving feed servers -----------------------------------------------------------------

def hang(release: threading.Event):
    def route(handler) -> None:
        release.wait(60)  # accepts the request, never answers (until the test ends)
    return route


def trickle(handler) -> None:
    handler.send_response(200)
    handler.send_header("Content-Length", "100000")
    handler.end_headers()
    try:
        for _ in range(100_000):
            handler.wfile.write(b" ")
            handler.wfile.flush()
            time.sleep(0.2)
    except OSError:
        pass


def endless(handler) -> None:
    handler.send_response(200)
    handler.send_header("Content-Type", "application/rss+xml")
    handler.end_headers()
    handler.close_connection = True
    try:
        handler.wfile.write(b"<rss><channel><title>endless</title>")
        while True:
            handler.wfile.write(b"<item><title>again</title></item>" * 1000)
    except OSError:
        pass


GOOD_FEED = (b'<rss version="2.0"><channel><title>good</title>'
             b"<item><title>Un</title><link>https://good.example.org/1</link>"
             b"<description>Premier.</description></item>"
             b"<item><title>Deux</title><link>https://good.example.org/2</link>"
             b"<description>Second.</description></item></channel></rss>")


def feed_settings(kafka_settings: KafkaSettings) -> IngestSettings:
    return IngestSettings.from_env(
        {}, kafka_bootstrap=kafka_settings.kafka_bootstrap, topic_raw=kafka_settings.topic_raw,
        feeds_state_topic=kafka_settings.topic_raw + ".feed-state", feeds_per_host_delay_s=0.0,
        feeds_min_interval_s=0.0, feeds_max_bytes=1_000_000, feeds_timeout_s=5.0,
        feeds_deadline_s=8.0, feeds_concurrency=4, feeds_max_backoff_s=30.0,
        allow_private_networks="127.0.0.1/32",
    )


def fetches(metrics: IngestMetrics, feed: str, result: str | None = None) -> float:
    results = [result] if result else FETCH_RESULTS
    return sum(metrics.registry.get_sample_value(
        "vigie_ingest_feed_fetches_total", {"feed": feed, "result": r}) or 0.0 for r in results)


def test_hanging_trickling_and_endless_feeds_do_not_stall_the_others(kafka_settings, tmp_path):
    """Three bad servers (no answer, a byte every 0.2 s, data without end) beside a good one.

    Guarantee checked: while the bad fetches are stuck, the good feed is polled again and again
    (each server is its own host, so politeness does not serialise them); each bad fetch ends
    as a failure (read timeout, total deadline, size cap); ingest stops when asked; the good
    feed's two entries are published once however often it is polled.
    """
    release = threading.Event()
    bad_routes = {"hang": hang(release), "trickle": trickle, "endless": endless}
    servers = [LocalServer() for _ in range(4)]
    for server, route in zip(servers, [serve(GOOD_FEED), *bad_routes.values()], strict=True):
        server.routes["/feed"] = route
        server.__enter__()
    names = ["good", *bad_routes]
    feeds_file = tmp_path / "feeds.yaml"
    feeds_file.write_text(yaml.safe_dump({"feeds": [
        {"url": s.url("/feed"), "name": n, "interval": 1} for s, n in zip(servers, names,
                                                                          strict=True)]}))
    settings, metrics, stop = feed_settings(kafka_settings), IngestMetrics(CollectorRegistry()), \
        threading.Event()
    poller = threading.Thread(target=run_feeds, args=(settings, str(feeds_file)),
                              kwargs={"once": False, "metrics": metrics, "stop_event": stop})
    try:
        poller.start()
        wait_until(lambda: fetches(metrics, "good", "ok") >= 3, 60, "three good polls")
        good_while_stuck = fetches(metrics, "good", "ok")
        stuck = fetches(metrics, "hang")
        wait_until(lambda: all(fetches(metrics, n) >= 1 for n in bad_routes), 60,
                   "every bad fetch to end")
    finally:
        stop.set()
        release.set()
        poller.join(60)
        for server in servers:
            server.__exit__(None, None, None)
    assert good_while_stuck >= 3 and stuck == 0  # good polls went on while "hang" was stuck
    assert fetches(metrics, "hang", "ok") == fetches(metrics, "trickle", "ok") == 0
    assert fetches(metrics, "endless", "ok") == 0
    assert not poller.is_alive()
    published = decoded(collect(kafka_settings, kafka_settings.topic_raw,
                                lambda rs: len(rs) >= 2, timeout=30), RawArticle)
    assert sorted(a.title for a in published) == ["Deux", "Un"]
