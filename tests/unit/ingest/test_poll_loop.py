"""The polling loop publishes a feed's new entries, and saves the feed's state only once the
broker acknowledged them: a crash or a refusal anywhere in between republishes, never loses.

A real feed on 127.0.0.1, the real fetch, parser, publisher and state store; Kafka is the
in-memory client of ``tests.kafka_double``, whose ``die_at_flush`` stops the process at a
chosen point."""

from __future__ import annotations

import pytest
import yaml
from prometheus_client import CollectorRegistry

from tests.kafka_double import ProcessDied
from tests.local_http import LocalServer, serve
from vigie.ingest.feeds import run
from vigie.ingest.feeds.feedlist import load_feed_list
from vigie.ingest.feeds.poll_loop import Poller
from vigie.ingest.feeds.state import FeedState, StateStore
from vigie.ingest.metrics import IngestMetrics
from vigie.ingest.publisher import Publisher
from vigie.ingest.settings import IngestSettings
from vigie.shared.messages import RawArticle, decode

ENTRIES = 3


def rss(count: int) -> bytes:
    items = "".join(
        f"<item><title>Alerte {n}</title><link>https://kyiv.example.org/{n}</link>"
        f"<description>Les sirènes ont retenti, alerte {n}.</description></item>"
        for n in range(count))
    return f'<rss version="2.0"><channel><title>Kyiv</title>{items}</channel></rss>'.encode()


@pytest.fixture
def settings() -> IngestSettings:
    return IngestSettings.from_env(
        {}, feeds_per_host_delay_s=0.0, feeds_min_interval_s=0.0, feeds_timeout_s=5.0,
        feeds_deadline_s=10.0, allow_private_networks="127.0.0.0/8")


@pytest.fixture
def feeds_file(tmp_path):
    with LocalServer() as server:
        server.routes["/kyiv.xml"] = serve(rss(ENTRIES))
        path = tmp_path / "feeds.yaml"
        feed = {"url": server.url("/kyiv.xml"), "name": "Kyiv", "interval": 60,
                "full_text": "never"}
        path.write_text(yaml.safe_dump({"feeds": [feed]}), encoding="utf-8")
        yield path


def ingest_once(settings, feeds_file) -> IngestMetrics:
    """``vigie ingest feeds FILE --once``: one process, from reading the state to closing."""
    metrics = IngestMetrics(CollectorRegistry())
    run(settings, str(feeds_file), once=True, metrics=metrics)
    return metrics


def published_ids(kafka, settings) -> list[str]:
    return [decode(r.value, RawArticle).id for r in kafka.topics[settings.topic_raw]]


def saved_states(kafka, settings) -> list[FeedState]:
    return [FeedState.from_json(r.value) for r in kafka.topics[settings.feeds_state_topic]]


def test_new_entries_are_published_once_and_remembered_across_a_restart(kafka, settings,
                                                                         feeds_file):
    ingest_once(settings, feeds_file)
    first = published_ids(kafka, settings)
    assert len(set(first)) == ENTRIES == len(first)
    [state] = saved_states(kafka, settings)
    assert len(state.seen) == ENTRIES and state.failures == 0

    ingest_once(settings, feeds_file)
    assert published_ids(kafka, settings) == first  # the restart read the state back


def test_a_crash_before_the_broker_acknowledged_the_articles_loses_none(kafka, settings,
                                                                         feeds_file):
    kafka.die_at_flush(settings.topic_raw)
    with pytest.raises(ProcessDied):
        ingest_once(settings, feeds_file)
    assert published_ids(kafka, settings) == []
    assert saved_states(kafka, settings) == []  # so the restart knows none of them

    kafka.recover()
    ingest_once(settings, feeds_file)
    assert len(set(published_ids(kafka, settings))) == ENTRIES


def test_a_crash_between_publish_and_save_republishes_the_same_articles(kafka, settings,
                                                                         feeds_file):
    kafka.die_at_flush(settings.feeds_state_topic)
    with pytest.raises(ProcessDied):
        ingest_once(settings, feeds_file)
    acknowledged = published_ids(kafka, settings)
    assert len(set(acknowledged)) == ENTRIES  # published first...
    assert saved_states(kafka, settings) == []  # ...and the state died on its way

    kafka.recover()
    ingest_once(settings, feeds_file)
    # At least once: published again, under the same ids, which downstream absorbs.
    assert published_ids(kafka, settings) == acknowledged + acknowledged
    assert len(saved_states(kafka, settings)) == 1

    ingest_once(settings, feeds_file)
    assert len(published_ids(kafka, settings)) == 2 * ENTRIES  # saved now: not a third time


def test_entries_the_broker_refused_are_published_at_the_next_poll(kafka, settings,
                                                                    feeds_file):
    metrics = IngestMetrics(CollectorRegistry())
    store = StateStore(settings)
    feeds = load_feed_list(feeds_file, default_interval_s=60.0, min_interval_s=0.0)
    poller = Poller(feeds, store.load(), settings, metrics, Publisher(settings, metrics), store)

    kafka.refuse(settings.topic_raw)
    poller.run(once=True)
    assert published_ids(kafka, settings) == []
    assert saved_states(kafka, settings) == []
    assert metrics.registry.get_sample_value("vigie_ingest_publish_failures_total") == ENTRIES

    kafka.recover()
    poller.run(once=True)  # the same process, its next poll
    assert len(set(published_ids(kafka, settings))) == ENTRIES
    [state] = saved_states(kafka, settings)
    assert len(state.seen) == ENTRIES
