import datetime as dt

from vigie.alert.subscribe import Filters, SeenIds, parse_since


def test_repeats_are_printed_once_but_new_revisions_are_news():
    seen = SeenIds(size=2)
    assert seen.first_time({"id": "a", "revision": "1"})
    assert not seen.first_time({"id": "a", "revision": "1"})
    assert seen.first_time({"id": "a", "revision": "2"})
    assert seen.first_time({"no": "id"}) and seen.first_time({"no": "id"})
    assert seen.first_time({"id": "b"})
    assert seen.first_time({"id": "a", "revision": "1"})  # forgotten: bounded memory


def test_filters_by_rule_severity_and_time():
    now = dt.datetime(2025, 8, 22, 12, tzinfo=dt.timezone.utc)
    alert = {"rule": {"id": "air-raid", "severity": "critical"},
             "detected_at": "2025-08-22T11:30:00.000Z"}
    assert Filters(rules=("air-raid",)).accept(alert)
    assert not Filters(rules=("glide-bomb",)).accept(alert)
    assert not Filters(severities=("info",)).accept(alert)
    assert Filters(since=parse_since("1h", now)).accept(alert)
    assert not Filters(since=parse_since("10m", now)).accept(alert)
    assert parse_since("2025-08-22T10:00:00Z") == dt.datetime(2025, 8, 22, 10, tzinfo=dt.timezone.utc)
