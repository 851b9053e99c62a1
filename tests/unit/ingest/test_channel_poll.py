"""Telegram channels: paging back to the last post published (or ``backfill`` posts on a
first read), then the poller publishing posts oldest first and keeping the last post id in
the feed state, published before it is saved.

``gather`` is tested on pages made in memory; the poller on the t.me-shaped server of
``tests.channel_server`` on 127.0.0.1, with the real fetch, parser, publisher and state store
over the in-memory Kafka client of ``tests.kafka_double``."""

from __future__ import annotations

import datetime as dt

import pytest
import yaml
from prometheus_client import CollectorRegistry

from tests.channel_server import ChannelServer, Post, end_post, start_post
from tests.kafka_double import ProcessDied
from tests.local_http import reply
from vigie.ingest.feeds import run
from vigie.ingest.feeds.poll_channel import gather
from vigie.ingest.feeds.state import FeedState
from vigie.ingest.feeds.telegram_page import ChannelPage, ChannelPost
from vigie.ingest.metrics import IngestMetrics
from vigie.ingest.settings import IngestSettings
from vigie.shared.messages import RawArticle, decode

CHANNEL = "air_alert_ua"
T0 = dt.datetime(2023, 10, 24, 10, 0, 0, tzinfo=dt.timezone.utc)


# --- paging, on pages made in memory --------------------------------------------------------

class Pages:
    """A channel of posts ``ids``, read ``size`` at a time as t.me pages it; ``reads`` lists
    the cursors asked for."""

    def __init__(self, ids, size: int = 20) -> None:
        self.ids, self.size, self.reads = sorted(ids), size, []

    def __call__(self, before: int | None) -> ChannelPage:
        self.reads.append(before)
        older = [i for i in self.ids if before is None or i < before]
        shown = older[-self.size:]
        posts = [ChannelPost(i, T0, f"post {i}") for i in shown]
        return ChannelPage(posts, shown[0] if len(older) > len(shown) else None)


def ids(gathered) -> list[int]:
    return [post.id for post in gathered.posts]


def test_a_first_read_pages_back_to_the_backfill_and_keeps_the_newest():
    pages = Pages(range(1, 101), size=20)
    gathered = gather(pages, last_post=None, backfill=45)
    assert ids(gathered) == list(range(56, 101))  # oldest first
    assert pages.reads == [None, 81, 61] and gathered.pages == 3
    assert gathered.newest == 100


def test_a_first_read_of_a_short_channel_stops_at_its_start():
    pages = Pages(range(1, 31), size=20)
    gathered = gather(pages, last_post=None, backfill=200)
    assert ids(gathered) == list(range(1, 31)) and pages.reads == [None, 11]


def test_a_backfill_of_zero_publishes_nothing_but_knows_the_newest_post():
    pages = Pages(range(1, 31))
    gathered = gather(pages, last_post=None, backfill=0)
    assert (gathered.posts, gathered.newest, pages.reads) == ([], 30, [None])


def test_after_a_gap_it_pages_back_to_the_last_post_whatever_the_backfill():
    pages = Pages(range(1, 101), size=20)
    gathered = gather(pages, last_post=30, backfill=5)
    assert pages.reads == [None, 81, 61, 41]
    assert ids(gathered)[0] <= 31 and ids(gathered)[-1] == 100
    assert set(range(31, 101)) <= set(ids(gathered))


def test_without_a_gap_one_page_is_read():
    pages = Pages(range(1, 101), size=20)
    assert ids(gather(pages, last_post=95, backfill=200)) == list(range(81, 101))
    assert pages.reads == [None]


def test_deleted_posts_leave_holes_the_paging_crosses():
    pages = Pages([*range(1, 50), *range(70, 80)], size=5)
    gathered = gather(pages, last_post=49, backfill=200)
    assert pages.reads == [None, 75, 70]  # the page before 70 shows 49: done
    assert set(range(70, 80)) <= set(ids(gathered))


def test_a_cursor_that_does_not_go_back_ends_the_paging():
    def stuck(before):
        return ChannelPage([ChannelPost(50, T0, "x")], before=60)  # always the same page
    gathered = gather(stuck, last_post=None, backfill=200)
    assert ids(gathered) == [50]


def test_an_empty_preview_has_no_newest_post():
    gathered = gather(lambda before: ChannelPage(), last_post=None, backfill=200)
    assert (gathered.posts, gathered.newest, gathered.pages) == ([], None, 1)


# --- the poller, on a local channel ---------------------------------------------------------

def posts(first: int, count: int) -> list[Post]:
    return [(start_post if n % 2 == 0 else end_post)(
        n, T0 + dt.timedelta(minutes=n), "Донецька область") for n in range(first, first + count)]


@pytest.fixture
def server():
    with ChannelServer({CHANNEL: posts(1, 30)}, page_size=10) as channel_server:
        yield channel_server


@pytest.fixture
def settings(server) -> IngestSettings:
    return IngestSettings.from_env(
        {}, feeds_per_host_delay_s=0.0, feeds_timeout_s=5.0, feeds_deadline_s=10.0,
        allow_private_networks="127.0.0.0/8", telegram_base_url=server.base_url,
        telegram_backfill=25)


@pytest.fixture
def feeds_file(tmp_path):
    path = tmp_path / "feeds.yaml"
    entry = {"name": "Air alerts", "telegram": CHANNEL, "timezone": "Europe/Kyiv",
             "language": "uk"}
    path.write_text(yaml.safe_dump({"feeds": [entry]}), encoding="utf-8")
    return path


def ingest_once(settings, feeds_file) -> IngestMetrics:
    metrics = IngestMetrics(CollectorRegistry())
    run(settings, str(feeds_file), once=True, metrics=metrics)
    return metrics


def published(kafka, settings) -> list[RawArticle]:
    return [decode(r.value, RawArticle) for r in kafka.topics[settings.topic_raw]]


def post_ids(articles) -> list[int]:
    return [int(article.url.rsplit("/", 1)[1]) for article in articles]


def saved(kafka, settings) -> list[FeedState]:
    return [FeedState.from_json(r.value) for r in kafka.topics[settings.feeds_state_topic]]


def sample(metrics, name, **labels) -> float:
    return metrics.registry.get_sample_value(name, labels) or 0.0


def test_a_first_read_publishes_the_backfill_oldest_first_as_channel_articles(
        kafka, settings, feeds_file, server):
    metrics = ingest_once(settings, feeds_file)
    articles = published(kafka, settings)
    assert post_ids(articles) == list(range(6, 31))  # the newest 25, oldest first
    first = articles[0]
    assert (first.source.kind, first.source.name, first.source.timezone) == (
        "channel", CHANNEL, "Europe/Kyiv")
    assert first.url == first.source.url == f"https://t.me/{CHANNEL}/6"
    assert first.published == "2023-10-24T10:06:00Z"
    assert first.text == server.posts[CHANNEL][6].text and first.title is None
    assert first.language == "uk"
    assert server.pages_served == [(CHANNEL, None), (CHANNEL, 21), (CHANNEL, 11)]
    [state] = saved(kafka, settings)
    assert state.last_post == 30 and len(state.seen) == 25
    assert sample(metrics, "vigie_ingest_channel_pages_total", feed="Air alerts") == 3
    assert sample(metrics, "vigie_ingest_articles_published_total", source_kind="channel") == 25


def test_a_restart_publishes_only_new_posts_and_edits(kafka, settings, feeds_file, server):
    ingest_once(settings, feeds_file)
    before = published(kafka, settings)
    server.add(CHANNEL, *posts(31, 2))
    server.edit(CHANNEL, 29, ["🔴 12:29 Повітряна тривога в Луганська область"])
    ingest_once(settings, feeds_file)
    added = published(kafka, settings)[len(before):]
    assert post_ids(added) == [29, 31, 32]
    edit = added[0]
    original = next(a for a in before if a.url == edit.url)
    assert edit.id == original.id and edit.revision != original.revision
    assert edit.text == "🔴 12:29 Повітряна тривога в Луганська область"
    assert saved(kafka, settings)[-1].last_post == 32

    ingest_once(settings, feeds_file)  # nothing new: nothing published
    assert len(published(kafka, settings)) == len(before) + 3


def test_a_gap_of_several_pages_is_read_back_to_the_last_post(kafka, settings, feeds_file,
                                                              server):
    ingest_once(settings, feeds_file)
    before = len(published(kafka, settings))
    server.pages_served.clear()
    server.add(CHANNEL, *posts(31, 35))  # three and a half pages while ingest was away
    ingest_once(settings, feeds_file)
    assert post_ids(published(kafka, settings)[before:]) == list(range(31, 66))
    assert server.pages_served == [(CHANNEL, None), (CHANNEL, 56), (CHANNEL, 46), (CHANNEL, 36)]


def test_a_page_failing_while_paging_back_publishes_nothing_until_it_recovers(
        kafka, settings, feeds_file, server):
    ingest_once(settings, feeds_file)
    before = len(published(kafka, settings))
    server.add(CHANNEL, *posts(31, 15))
    newest_page = server.routes[f"/s/{CHANNEL}"]
    server.routes[f"/s/{CHANNEL}"] = lambda handler: (
        reply(handler, 503, b"busy", {"Retry-After": "120"}) if "before=" in handler.path
        else newest_page(handler))
    metrics = ingest_once(settings, feeds_file)
    assert len(published(kafka, settings)) == before  # none out of order
    assert saved(kafka, settings)[-1].last_post == 30 and saved(kafka, settings)[-1].failures == 1
    assert sample(metrics, "vigie_ingest_feed_fetches_total", feed="Air alerts",
                  result="http_error") == 1

    server.routes[f"/s/{CHANNEL}"] = newest_page
    ingest_once(settings, feeds_file)
    assert post_ids(published(kafka, settings)[before:]) == list(range(31, 46))


def test_a_preview_turned_off_is_counted_and_logged_not_a_crash(kafka, settings, feeds_file,
                                                                server, caplog):
    server.hide(CHANNEL)
    metrics = ingest_once(settings, feeds_file)
    assert published(kafka, settings) == []
    assert sample(metrics, "vigie_ingest_feed_fetches_total", feed="Air alerts",
                  result="no_posts") == 1
    assert saved(kafka, settings)[-1].failures == 1
    assert any("preview shows no posts" in record.getMessage() for record in caplog.records)


def test_a_crash_between_publish_and_save_republishes_the_same_posts(kafka, settings,
                                                                     feeds_file, server):
    kafka.die_at_flush(settings.feeds_state_topic)
    with pytest.raises(ProcessDied):
        ingest_once(settings, feeds_file)
    first = published(kafka, settings)
    assert len(first) == 25 and saved(kafka, settings) == []

    kafka.recover()
    ingest_once(settings, feeds_file)
    # At least once: a first read again, published again under the same ids.
    assert [a.id for a in published(kafka, settings)[25:]] == [a.id for a in first]
    assert saved(kafka, settings)[-1].last_post == 30

    server.add(CHANNEL, *posts(31, 1))
    ingest_once(settings, feeds_file)
    assert post_ids(published(kafka, settings)[50:]) == [31]
