"""The adaptive interval: the entry-frequency rule on the entries' own times, its bounds, and
what a feed asks for."""

from __future__ import annotations

import email.utils
import time

import yaml
from prometheus_client import CollectorRegistry

from tests.local_http import LocalServer, serve
from vigie.ingest.feeds import run
from vigie.ingest.feeds.adaptive import (
    WEEK_S,
    asked_interval,
    current_interval,
    entry_frequency_interval,
)
from vigie.ingest.feeds.feedlist import FeedConfig
from vigie.ingest.feeds.state import FeedState
from vigie.ingest.metrics import IngestMetrics
from vigie.ingest.settings import IngestSettings

HOUR = 3600.0
NOW = 1_760_000_000.0


def interval(times, *, factor=1.0, min_s=60.0, max_s=86400.0, now=NOW):
    return entry_frequency_interval(times, factor=factor, min_s=min_s, max_s=max_s, now=now)


def every(gap_s: float, count: int, newest: float = NOW) -> list[float]:
    return [newest - n * gap_s for n in range(count)]


def test_the_interval_is_a_week_over_the_weekly_rate_times_the_factor():
    hourly = every(HOUR, 10)  # one entry an hour: 168 a week
    assert interval(hourly) == WEEK_S / 168
    assert interval(hourly, factor=10.0) == WEEK_S / 1680
    assert interval(every(6 * HOUR, 20)) == 6 * HOUR


def test_the_rate_comes_from_the_entries_own_times_not_the_clock():
    hourly = every(HOUR, 10, newest=NOW - 2 * 86400)  # the newest is two days old
    assert interval(hourly) == interval(every(HOUR, 10))
    # A backlog read at once is as frequent as its entries' times say, whenever read.
    assert interval(hourly, now=NOW + 3 * 86400) == interval(hourly)


def test_bounds_quiet_feeds_and_feeds_that_stamp_every_entry_alike():
    assert interval(every(10, 30)) == 60.0  # faster than the minimum
    assert interval(every(3 * 86400, 3), max_s=12 * HOUR) == 12 * HOUR
    assert interval(every(HOUR, 10, newest=NOW - WEEK_S - 1), max_s=5 * HOUR) == 5 * HOUR
    assert interval([NOW] * 4, max_s=WEEK_S) == WEEK_S / 4  # no span: counted over the week
    assert interval([NOW]) is None and interval([]) is None


def test_the_feed_asks_for_at_least_its_max_age_expires_retry_after_or_ttl():
    assert asked_interval({"cache-control": "public, max-age=900"}) == 900
    assert asked_interval({"cache-control": "no-cache, max-age=900"}) is None
    assert asked_interval({}, ttl="30") == 1800
    assert asked_interval({"retry-after": "120", "cache-control": "max-age=60"}) == 120
    assert asked_interval({"date": "Mon, 10 Feb 2025 10:00:00 GMT",
                           "expires": "Mon, 10 Feb 2025 10:20:00 GMT"}) == 1200
    assert asked_interval({"expires": "0"}, ttl="soon") is None


def test_a_listed_interval_is_kept_and_a_pushing_feed_is_polled_as_a_safety_net():
    fixed = FeedConfig(url="https://a/", name="A", interval_s=120)
    adaptive = FeedConfig(url="https://b/", name="B", interval_s=300, adaptive=True)
    state = FeedState.fresh("https://b/")
    assert current_interval(adaptive, state, pushing=False, max_interval_s=HOUR) == 300
    state.interval_s = 90.0
    assert current_interval(adaptive, state, pushing=False, max_interval_s=HOUR) == 90
    assert current_interval(fixed, state, pushing=False, max_interval_s=HOUR) == 120
    assert current_interval(adaptive, state, pushing=True, max_interval_s=HOUR) == HOUR
    assert current_interval(fixed, state, pushing=True, max_interval_s=60) == 120


def test_a_poll_of_a_feed_without_an_interval_keeps_the_rate_its_entries_show(kafka, tmp_path):
    """The real loop, a real feed on 127.0.0.1: one entry every two hours → 2 h / factor."""
    newest = time.time() - 86400  # a day old: the rate is the entries', not the clock's
    items = "".join(
        f"<item><guid>n{n}</guid><title>T{n}</title><pubDate>"
        f"{email.utils.formatdate(newest - n * 2 * HOUR, usegmt=True)}</pubDate></item>"
        for n in range(5))
    body = f'<rss version="2.0"><channel><title>F</title>{items}</channel></rss>'.encode()
    settings = IngestSettings.from_env({}, feeds_per_host_delay_s=0.0, feeds_min_interval_s=60,
                                       allow_private_networks="127.0.0.0/8",
                                       feeds_entry_frequency_factor=4.0)
    with LocalServer() as server:
        server.routes["/f.xml"] = serve(body)
        path = tmp_path / "feeds.yaml"
        path.write_text(yaml.safe_dump({"feeds": [
            {"url": server.url("/f.xml"), "name": "F", "full_text": "never"},
            {"url": server.url("/f.xml?fixed"), "name": "G", "interval": 600,
             "full_text": "never"}]}))
        metrics = IngestMetrics(CollectorRegistry())
        run(settings, str(path), once=True, metrics=metrics)
    states = {s.feed_url: s for r in kafka.topics[settings.feeds_state_topic]
              if (s := FeedState.from_json(r.value))}
    assert states[server.url("/f.xml")].interval_s == 2 * HOUR / 4
    assert states[server.url("/f.xml?fixed")].interval_s is None  # listed: kept as written
    assert metrics.registry.get_sample_value("vigie_ingest_feed_poll_interval_seconds",
                                             {"feed": "G"}) == 600
