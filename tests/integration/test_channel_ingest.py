"""A Telegram channel end to end on the real broker: the official siren periods of
``tests/data/sirens/official_sample.csv`` served as the air-raid channel's posts by a local
t.me-shaped server, read by ``vigie ingest feeds FILE --once`` into the raw topic.

The raw topic here has one partition, so its order is the order ingest published in."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest
import yaml
from prometheus_client import CollectorRegistry

from vigie.ingest.feeds import run
from vigie.ingest.metrics import IngestMetrics
from vigie.shared.messages import RawArticle, decode

from ..channel_server import (
    ChannelServer,
    Post,
    edited,
    end_post,
    multi_place_post,
    partial_end_post,
    period_posts,
    probe_post,
    read_periods,
    start_post,
)
from .helpers import local_feed_settings, read_topic

pytestmark = pytest.mark.integration

CHANNEL = "air_alert_ua"


def siren_channel() -> list[Post]:
    """The CSV's starts and ends, then a partial end, a multi-place start and end, an edited
    post and a test post."""
    posts = period_posts(read_periods())
    after = posts[-1].time + dt.timedelta(minutes=5)

    def at(minutes: int) -> dt.datetime:
        return after + dt.timedelta(minutes=minutes)

    next_id = posts[-1].id + 1
    posts += [
        partial_end_post(next_id, at(0), "Дніпропетровська область",
                         ["Нікопольський район", "м. Нікополь та Нікопольська територіальна громада"]),
        multi_place_post(next_id + 1, at(1), ["Мелітопольський район", "Василівський район"],
                         start=True),
        multi_place_post(next_id + 2, at(2), ["Мелітопольський район", "Василівський район"],
                         start=False),
        edited(start_post(next_id + 3, at(3), "Харківська обл"),
               start_post(next_id + 3, at(3), "Харківська область").lines),
        probe_post(next_id + 4, at(4)),
    ]
    return posts


@pytest.fixture
def channel():
    with ChannelServer({CHANNEL: siren_channel()}) as server:
        yield server


@pytest.fixture
def settings(kafka_settings, channel):
    settings = local_feed_settings(kafka_settings, telegram_base_url=channel.base_url,
                                   feeds_timeout_s=5.0, feeds_deadline_s=10.0)
    return dataclasses.replace(settings, topic_raw=kafka_settings.topic_raw + "-ordered",
                               topic_partitions=1)


@pytest.fixture
def feeds_file(tmp_path):
    path = tmp_path / "feeds.yaml"
    entry = {"name": "air_alert_ua", "telegram": CHANNEL, "timezone": "Europe/Kyiv",
             "language": "uk"}
    path.write_text(yaml.safe_dump({"feeds": [entry]}), encoding="utf-8")
    return str(path)


def ingest_once(settings, feeds_file) -> None:
    run(settings, feeds_file, once=True, metrics=IngestMetrics(CollectorRegistry()))


def raw_articles(settings, expect: int) -> list[RawArticle]:
    return [decode(r.value, RawArticle)
            for r in read_topic(settings, settings.topic_raw, expect=expect)]


def post_id(article: RawArticle) -> int:
    return int(article.url.rsplit("/", 1)[1])


def assert_is_the_post(article: RawArticle, post: Post) -> None:
    link = f"https://t.me/{CHANNEL}/{post.id}"
    assert (article.url, article.text, article.title, article.language) == (
        link, post.text, None, "uk")
    assert article.published == post.time.strftime("%Y-%m-%dT%H:%M:%SZ")
    assert (article.source.kind, article.source.name, article.source.url,
            article.source.timezone) == ("channel", CHANNEL, link, "Europe/Kyiv")


def test_every_post_once_oldest_first_then_only_new_posts_and_gaps_paged_back(
        settings, feeds_file, channel):
    posts = sorted(channel.posts[CHANNEL].values(), key=lambda post: post.id)
    assert len(posts) == 179  # 87 periods, 5 more posts: within the default backfill of 200

    ingest_once(settings, feeds_file)
    first = raw_articles(settings, expect=len(posts))
    assert [post_id(article) for article in first] == [post.id for post in posts]
    for article, post in zip(first, posts, strict=True):
        assert_is_the_post(article, post)
    assert len({article.id for article in first}) == len(posts)
    assert [p.edited for p in posts].count(True) == 1
    assert "🟡" in first[-5].text and first[-5].text.count("• ") == 2

    # A restart later: two new posts and an edit of one already published.
    newest = posts[-1]
    later = [end_post(newest.id + 1, newest.time + dt.timedelta(minutes=1), "Харківська область"),
             start_post(newest.id + 2, newest.time + dt.timedelta(minutes=2), "м. Київ")]
    channel.add(CHANNEL, *later)
    corrected = channel.edit(CHANNEL, newest.id - 2, ["🟢 12:33 Відбій тривоги в",
                                                      "• Мелітопольський район"])
    ingest_once(settings, feeds_file)
    second = raw_articles(settings, expect=len(posts) + 3)[len(posts):]
    assert [post_id(article) for article in second] == [corrected.id] + [p.id for p in later]
    assert second[0].id == first[-3].id and second[0].revision != first[-3].revision
    for article, post in zip(second, [corrected, *later], strict=True):
        assert_is_the_post(article, post)

    # Away for longer than two pages: paged back to the last post published.
    gap = [start_post(later[-1].id + n, later[-1].time + dt.timedelta(minutes=n),
                      "Одеська область") for n in range(1, 46)]
    channel.add(CHANNEL, *gap)
    channel.pages_served.clear()
    ingest_once(settings, feeds_file)
    third = raw_articles(settings, expect=len(posts) + 3 + len(gap))[len(posts) + 3:]
    assert [post_id(article) for article in third] == [post.id for post in gap]
    assert [before for _, before in channel.pages_served] == [
        None, gap[-20].id, gap[-40].id]
