import datetime as dt

import pytest

from vigie.shared.timestamps import (
    epoch,
    format_time,
    parse_time,
    read_time,
    source_delay_s,
    utc_now,
)

UTC = dt.timezone.utc
KYIV = dt.timezone(dt.timedelta(hours=3))


def test_now_is_rfc3339_utc_with_milliseconds():
    stamp = utc_now()
    assert stamp.endswith("Z") and len(stamp) == len("2025-08-22T14:03:07.123Z")
    assert parse_time(stamp).utcoffset() == dt.timedelta(0)


def test_a_moment_is_written_in_utc_unless_its_offset_is_kept():
    moment = dt.datetime(2025, 8, 22, 1, 30, tzinfo=KYIV)
    assert format_time(moment) == "2025-08-21T22:30:00.000Z"
    assert format_time(moment, keep_offset=True) == "2025-08-22T01:30:00.000+03:00"


@pytest.mark.parametrize("text, moment", [
    ("2025-08-22T14:03:07.123Z", dt.datetime(2025, 8, 22, 14, 3, 7, 123000, tzinfo=UTC)),
    ("2025-08-22t14:03:07z", dt.datetime(2025, 8, 22, 14, 3, 7, tzinfo=UTC)),
    ("2025-08-22T01:30:00+03:00", dt.datetime(2025, 8, 22, 1, 30, tzinfo=KYIV)),
    ("2025-08-22", dt.datetime(2025, 8, 22)),
])
def test_parse_reads_rfc3339_and_iso_dates(text, moment):
    assert parse_time(text) == moment
    assert parse_time(text).tzinfo == moment.tzinfo


def test_what_is_written_reads_back_as_the_same_moment():
    moment = dt.datetime(2025, 8, 22, 1, 30, 0, 250000, tzinfo=KYIV)
    assert parse_time(format_time(moment)) == moment
    assert parse_time(format_time(moment, keep_offset=True)).utcoffset() == dt.timedelta(hours=3)


def test_parse_refuses_what_is_not_a_time():
    with pytest.raises(ValueError):
        parse_time("mardi soir")


@pytest.mark.parametrize("text, moment", [
    ("2025-08-22T04", dt.datetime(2025, 8, 22, 4, tzinfo=UTC)),  # floating: UTC
    ("2025-08-22T04:00:00+03:00", dt.datetime(2025, 8, 22, 1, tzinfo=UTC)),
    ("mardi soir", None), ("", None), (None, None),
])
def test_read_time_is_a_moment_or_none(text, moment):
    assert read_time(text) == moment
    if moment is not None:
        assert read_time(text).tzinfo is not None


def test_epoch_counts_a_floating_time_as_utc():
    assert epoch("1970-01-02T00:00:00Z") == 86_400.0
    assert epoch("1970-01-02") == 86_400.0
    assert epoch("1970-01-02T03:00:00+03:00") == 86_400.0
    assert epoch("hier") is None and epoch(None) is None


def test_the_delay_from_a_source_counts_from_its_time_of_day_else_from_first_seen():
    until = "2025-08-22T10:00:30.000Z"
    assert source_delay_s("2025-08-22T12:00:00+02:00", "2025-08-22T10:00:10Z", until) == 30
    # a bare date (a file header) names no moment: first seen counts
    assert source_delay_s("2025-08-22", "2025-08-22T10:00:10Z", until) == 20
    assert source_delay_s(None, "2025-08-22T10:00:10Z", until) == 20
    assert source_delay_s("2025-08-22T10:05:00Z", None, until) == 0  # a clock ahead
    assert source_delay_s(None, None, until) is None
