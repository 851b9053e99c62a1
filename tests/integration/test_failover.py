"""Leader failover on a real three-node cluster, after Kafka's own replication test.

Ingest's publisher sends a steady stream of articles while enrich and alert run; the leader of
the raw topic's first partition is SIGKILLed, then restarted, three times in a row, then the
active controller once. Every article the publisher saw acknowledged must be enriched, and
every alert the rules give for them published: nothing lost.
"""

from __future__ import annotations

import threading
import time

import pytest
from kafka.admin import KafkaAdminClient
from prometheus_client import CollectorRegistry

from vigie.ingest.metrics import IngestMetrics
from vigie.ingest.publisher import Publisher, PublishError
from vigie.shared.broker import LocalCluster
from vigie.shared.config import KafkaSettings
from vigie.shared.kafka import contract_topics, ensure_topics

from .faults import Worker, collect, generated_articles, has_keys, topic_size, wait_until
from .test_faults import check_enriched_after_crash, expected_alerts, repeats

pytestmark = [pytest.mark.integration, pytest.mark.fault]
RATE_PER_S = 10


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    instance = LocalCluster(tmp_path_factory.mktemp("cluster"), nodes=3)
    started = time.monotonic()
    instance.start(fresh=True)
    print(f"three-node cluster started in {time.monotonic() - started:.1f} s")
    yield instance
    instance.stop()


@pytest.fixture
def settings(cluster):
    tag = f"failover-{int(time.time())}"
    settings = KafkaSettings.from_env(
        {}, kafka_bootstrap=cluster.bootstrap, topic_replicas=3, topic_raw=f"{tag}.raw",
        topic_enriched=f"{tag}.enriched", topic_alerts=f"{tag}.alerts",
        topic_incidents=f"{tag}.incidents", topic_dlq=f"{tag}.dlq")
    ensure_topics(settings, contract_topics(settings))
    return settings


class Stream(threading.Thread):
    """Ingest's publisher at a steady rate; ``acknowledged`` are the ids it saw acknowledged."""

    def __init__(self, settings: KafkaSettings) -> None:
        super().__init__(daemon=True)
        self.publisher = Publisher(settings, IngestMetrics(CollectorRegistry()))
        self.articles = generated_articles(5000, seed=21)
        self.acknowledged: list[str] = []
        self.failed = 0
        self.stop = threading.Event()

    def run(self) -> None:
        for article in self.articles:
            if self.stop.is_set():
                break
            self.publisher.publish(article)
            try:
                self.publisher.flush()
                self.acknowledged.append(article.id)
            except PublishError:
                self.failed += 1  # not acknowledged: it may or may not be there
            time.sleep(1 / RATE_PER_S)
        self.publisher.close()


def in_sync(settings: KafkaSettings, topic: str) -> bool:
    admin = KafkaAdminClient(bootstrap_servers=settings.kafka_bootstrap)
    try:
        (described,) = admin.describe_topics([topic])
    finally:
        admin.close()
    return all(len(p["isr_nodes"]) == 3 for p in described["partitions"])


def kill_and_restart(cluster: LocalCluster, settings: KafkaSettings, stream: Stream,
                     node_id: int, what: str) -> None:
    """Kill the node, restart it once the stream has gone on without it, wait for a full ISR
    and for the stream to go on after it: each fault hits a stream that runs through it."""
    cluster.node(node_id).kill()
    print(f"killed node {node_id} ({what})")
    acknowledged_after(stream, f"killing node {node_id}")
    cluster.restart(node_id)
    wait_until(lambda: in_sync(settings, settings.topic_raw), 120, "replicas back in sync")
    acknowledged_after(stream, f"restarting node {node_id}")


def acknowledged_after(stream: Stream, event: str) -> None:
    mark = len(stream.acknowledged)
    wait_until(lambda: len(stream.acknowledged) > mark, 120, f"an article acknowledged after {event}")


def test_leader_and_controller_failover_loses_no_acknowledged_article(cluster, settings,
                                                                      tmp_path):
    workers = [Worker(settings, tmp_path, service, VIGIE_TOPIC_REPLICAS="3")
               for service in ("enrich", "alert")]
    stream = Stream(settings)
    try:
        for worker in workers:
            worker.start()
        stream.start()
        wait_until(lambda: len(stream.acknowledged) >= 5 * RATE_PER_S, 120, "a steady stream")
        # the faults hit a running pipeline, not workers still loading their model
        wait_until(lambda: topic_size(settings, settings.topic_alerts) > 0, 300, "first alerts")
        for _ in range(3):
            leader = cluster.leader_of(settings.topic_raw, 0)
            kill_and_restart(cluster, settings, stream, leader,
                             f"leader of {settings.topic_raw}-0")
        controller = cluster.active_controller()
        kill_and_restart(cluster, settings, stream, controller, "active controller")
        stream.stop.set()
        stream.join(120)
        exited = [w.service for w in workers if w.process.poll() is not None]
        assert not exited, f"{exited} exited:\n" + "\n".join(
            w.log_text()[-3000:] for w in workers if w.service in exited)
        sent = {a.id: a for a in stream.articles}
        acknowledged = [sent[i] for i in stream.acknowledged]
        records = collect(settings, settings.topic_enriched,
                          has_keys({a.id.encode() for a in acknowledged}), timeout=600)
        consumed = {r.key.decode() for r in records}
        enriched = check_enriched_after_crash(
            records, [sent[i] for i in consumed])  # nothing invented, each text itself
        expected = expected_alerts(enriched)
        alerts = collect(settings, settings.topic_alerts,
                         has_keys({i.encode() for i in expected}), timeout=300)
    finally:
        stream.stop.set()
        for worker in workers:
            worker.stop()
    lost = set(stream.acknowledged) - consumed
    published = {r.key.decode() for r in alerts}
    print(f"acknowledged {len(stream.acknowledged)}, not acknowledged {stream.failed}, "
          f"consumed {len(consumed)}, lost {len(lost)}, repeated {repeats(records)}; "
          f"alerts expected {len(expected)}, published {len(published & set(expected))}")
    assert not lost
    assert expected and published >= set(expected)
