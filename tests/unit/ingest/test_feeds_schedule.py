"""Backoff, jitter, host politeness and the seen state, without a clock or a broker."""

from __future__ import annotations

import random

import pytest

from vigie.ingest.feeds.schedule import HostGate, first_delay, is_parked, next_delay
from vigie.ingest.feeds.state import FeedState

HOUR = 3600.0


class FixedRandom(random.Random):
    """uniform() returns the given end of its range: jitter at its extremes."""

    def __init__(self, end: str) -> None:
        super().__init__()
        self.end = end

    def uniform(self, a, b):
        return a if self.end == "low" else b


@pytest.mark.parametrize("failures, expected", [
    (0, 300), (1, 600), (2, 1200), (3, 2400), (6, 19200), (7, 6 * HOUR), (50, 6 * HOUR),
])
def test_backoff_doubles_per_failure_up_to_the_cap(failures, expected):
    assert next_delay(300, failures, 6 * HOUR, rng=FixedRandom("low")) == pytest.approx(
        expected * 0.9)


def test_jitter_stays_within_ten_percent():
    rng = random.Random(7)
    delays = [next_delay(300, 0, 6 * HOUR, rng=rng) for _ in range(500)]
    assert 270 <= min(delays) < 285 and 315 < max(delays) <= 330
    assert next_delay(300, 0, 6 * HOUR, rng=FixedRandom("low")) == pytest.approx(270)


def test_jitter_never_exceeds_the_cap():
    assert next_delay(300, 20, 6 * HOUR, rng=FixedRandom("high")) == 6 * HOUR


def test_retry_after_is_honoured_within_the_cap():
    low = FixedRandom("low")
    assert next_delay(300, 1, 6 * HOUR, retry_after_s=3000, rng=low) == pytest.approx(2700)
    assert next_delay(300, 1, 6 * HOUR, retry_after_s=10, rng=low) == pytest.approx(540)
    assert next_delay(300, 1, 6 * HOUR, retry_after_s=10**9, rng=low) <= 6 * HOUR


def test_interval_longer_than_the_cap_is_kept():
    assert next_delay(12 * HOUR, 0, 6 * HOUR, rng=FixedRandom("low")) == pytest.approx(
        12 * HOUR * 0.9)


def test_feed_is_parked_once_backoff_reaches_the_cap():
    assert not is_parked(300, 0, 6 * HOUR)
    assert not is_parked(300, 5, 6 * HOUR)  # 300 × 32 = 2h40
    assert is_parked(300, 7, 6 * HOUR) and is_parked(300, 1000, 6 * HOUR)


def test_first_polls_spread_over_a_tenth_of_the_interval():
    rng = random.Random(1)
    assert all(0 <= first_delay(600, rng) <= 60 for _ in range(100))


def test_host_gate_one_request_per_host_and_a_gap():
    gate = HostGate(delay_s=2.0)
    assert gate.can_start("a", now=0)
    gate.started("a", now=0)
    assert not gate.can_start("a", now=5) and gate.can_start("b", now=0)
    gate.finished("a")
    assert not gate.can_start("a", now=1.5) and gate.can_start("a", now=2.0)


def test_seen_state_detects_new_and_updated_entries_and_stays_bounded():
    state = FeedState.fresh("https://a.example.org/rss")
    assert state.is_new("k1", "r1")
    state.remember("k1", "r1", limit=3)
    assert not state.is_new("k1", "r1") and state.is_new("k1", "r2")
    for key in ("k2", "k3", "k4"):
        state.remember(key, "r", limit=3)
    assert list(state.seen) == ["k2", "k3", "k4"]  # the oldest is forgotten
    state.remember("k2", "r9", limit=3)
    assert list(state.seen) == ["k3", "k4", "k2"]  # an update makes it the newest


def test_state_round_trips_as_json():
    state = FeedState(feed_url="https://a.example.org/rss", url="https://b.example.org/rss",
                      etag='"x"', last_modified="Mon, 10 Feb 2025 10:00:00 GMT",
                      seen={"k": "r"}, failures=3, last_success=1.5)
    assert FeedState.from_json(state.to_json()) == state
    assert FeedState.from_json(b'{"feed_url": "u", "url": "u", "future_field": 1}').url == "u"
    with pytest.raises(ValueError):
        FeedState.from_json(b'{"feed_url": "u", "url": "u", "seen": []}')
