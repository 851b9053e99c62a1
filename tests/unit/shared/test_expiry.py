import pytest

from vigie.shared.expiry import DAY_S, Expiry, clamped_time
from vigie.shared.messages import InvalidMessage
from vigie.shared.timestamps import epoch

ARRIVAL = "2025-08-22T12:00:00Z"
WEEK = 7 * DAY_S


def test_the_clamped_time_is_the_claimed_time_within_bounds():
    assert clamped_time("2025-08-22T09:30:00+03:00", ARRIVAL, WEEK) == epoch("2025-08-22T06:30:00Z")


def test_the_clamped_time_never_lies_in_the_future_of_its_arrival():
    assert clamped_time("2031-01-01T00:00:00Z", ARRIVAL, WEEK) == epoch(ARRIVAL)


def test_the_clamped_time_lies_at_most_a_day_before_its_arrival():
    assert clamped_time("2001-09-11T08:46:00Z", ARRIVAL, WEEK) == epoch(ARRIVAL) - DAY_S


def test_a_short_window_bounds_the_past_at_half_the_window():
    assert clamped_time("2001-09-11T08:46:00Z", ARRIVAL, 3600) == epoch(ARRIVAL) - 1800


@pytest.mark.parametrize("claimed", [None, "", "mardi soir"])
def test_no_readable_claim_means_the_arrival(claimed):
    assert clamped_time(claimed, ARRIVAL, WEEK) == epoch(ARRIVAL)


def test_an_unreadable_arrival_is_an_invalid_message():
    with pytest.raises(InvalidMessage):
        clamped_time(None, "hier", WEEK)


def test_keys_fall_due_once_the_watermark_passes_the_window():
    expiry = Expiry(window_s=10)
    expiry.track(0, 100.0, "a")
    expiry.track(0, 105.0, "b")
    expiry.observe(109.0)
    assert expiry.due(0, 10) == []
    expiry.observe(112.0)  # 100 < 112 - 10
    assert expiry.due(0, 10) == ["a"]
    expiry.observe(1000.0)
    assert expiry.due(0, 10) == ["b"]
    assert len(expiry) == 0


def test_due_keys_come_oldest_first_per_partition_and_limited():
    expiry = Expiry(window_s=1)
    for at, key in [(3.0, "c"), (1.0, "a"), (2.0, "b")]:
        expiry.track(0, at, key)
    expiry.track(1, 0.5, "other partition")
    expiry.observe(100.0)
    assert expiry.due(0, 2) == ["a", "b"]
    assert expiry.due(0, 2) == ["c"]
    assert expiry.due(1, 2) == ["other partition"]


def test_an_entry_without_time_is_never_live():
    expiry = Expiry(window_s=DAY_S)
    expiry.observe(0.0)
    assert not expiry.is_live(None)
    assert expiry.is_live(0.0)


def test_the_window_must_be_positive():
    with pytest.raises(ValueError):
        Expiry(window_s=0)
