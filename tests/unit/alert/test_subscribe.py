import datetime as dt

import pytest

from vigie.alert.subscribe import SeenIds, parse_near, parse_since, render
from vigie.shared.config import ConfigError
from vigie.shared.filters import Filters, PlaceCondition


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


INCIDENT = {
    "schema_version": 1, "id": "i1", "rule": {"id": "air-raid", "severity": "critical"},
    "status": "update", "started_at": "2025-08-22T01:56:00.000Z",
    "updated_at": "2025-08-22T02:10:00.000Z", "reports": 2, "sources": ["AFP", "Le Monde"],
    "alert_ids": ["a1", "a2"], "headline": "Une «alerte aérienne» a retenti à Kyiv.",
    "revision": 2,
    "place": {"name": "Kyiv", "kind": "city", "country": "UA", "region": "UA-30",
              "lat": 50.45, "lon": 30.52, "geonames_id": 703448},
}


def test_incidents_filter_by_status_and_place():
    assert Filters(statuses=("update",), places=PlaceCondition(countries=frozenset({"UA"}))).accept(INCIDENT)
    assert not Filters(statuses=("closed",)).accept(INCIDENT)
    assert Filters(places=PlaceCondition(regions=frozenset({"UA-30"}))).accept(INCIDENT)
    assert not Filters(places=PlaceCondition(regions=frozenset({"UA-63"}))).accept(INCIDENT)
    assert Filters(places=PlaceCondition(circle=parse_near("50.40,30.50", 10))).accept(INCIDENT)  # 6 km away
    assert not Filters(places=PlaceCondition(circle=(49.99, 36.23, 50))).accept(INCIDENT)  # Kharkiv
    assert not Filters(places=PlaceCondition(countries=frozenset({"UA"}))).accept({**INCIDENT, "place": None})


def test_alerts_filter_by_the_places_their_entities_name():
    alert = {"rule": {"id": "air-raid"}, "entities": [{"name": "Kyiv", "place": INCIDENT["place"]},
                                                      {"name": "Zelensky", "place": None}]}
    assert Filters(places=PlaceCondition(countries=frozenset({"UA"}))).accept(alert)
    assert not Filters(places=PlaceCondition(countries=frozenset({"FR"}))).accept(alert)


def test_an_incident_reads_as_one_line_and_its_headline():
    head, body = render(INCIDENT, "human").splitlines()
    assert head == ("UPDATED air-raid — Kyiv (UA-30, UA): 2 report(s) from 2 source(s), since "
                    "2025-08-22T01:56:00.000Z")
    assert body.strip() == INCIDENT["headline"]


def test_a_bad_near_is_a_clear_error():
    with pytest.raises(ConfigError, match="LAT,LON"):
        parse_near("Kyiv", 10)
