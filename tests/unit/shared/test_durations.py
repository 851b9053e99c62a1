import pytest

from vigie.shared.durations import parse_duration


@pytest.mark.parametrize("value, seconds", [
    (300, 300.0), (1.5, 1.5), ("90s", 90.0), ("15m", 900.0), ("2h", 7200.0), ("1d", 86400.0),
    ("45", 45.0), (" 1.5 h ", 5400.0), ("soon", None), ("15 min", None), ("-5m", None),
    ("", None), (True, None), ([], None), (None, None),
])
def test_parse_duration(value, seconds):
    assert parse_duration(value) == seconds


@pytest.mark.parametrize("value", ["2025", "20250822", 300])
def test_without_bare_seconds_a_number_needs_its_unit(value):
    assert parse_duration(value, bare_seconds=False) is None


def test_without_bare_seconds_a_unit_still_reads():
    assert parse_duration("30m", bare_seconds=False) == 1800.0
