"""Incidents on the real broker: twenty outlets report one air-raid alert in Kyiv within a
minute, one reports its end. One incident, a few records, closed by the report."""

from __future__ import annotations

import time

import pytest

from vigie.shared.kafka import make_producer
from vigie.shared.messages import (
    EnrichedArticle,
    Entity,
    Hashes,
    Incident,
    Mention,
    Place,
    Source,
    decode,
    encode,
    utc_now,
)

from .helpers import read_topic
from .workers import running

pytestmark = pytest.mark.integration
KYIV = Place(name="Kyiv", kind="city", country="UA", region="UA-30", lat=50.45466, lon=30.5238,
             geonames_id=703448)
PHRASINGS = ["Une alerte aérienne a retenti à Kyiv", "Les sirènes de l’alerte aérienne ont sonné "
             "à Kyiv", "Air raid alert in Kyiv", "L’alerte aérienne a été déclenchée à Kyiv"]


def report(n: int, text: str) -> EnrichedArticle:
    start = text.index("Kyiv")
    kyiv = Entity(name="Kyiv", label="LOC", count=1, place=KYIV,
                  mentions=[Mention(text="Kyiv", start=start, end=start + 4)])
    return EnrichedArticle(
        id=f"report-{n}", revision="r1", source=Source(kind="feed", name=f"feed {n}"),
        text=text, published="2025-08-22", language="fr", entities=[kyiv],
        fetched_at=utc_now(), ingested_at=utc_now(), enriched_at=utc_now(),
        hashes=Hashes(exact=f"{n:064x}", near="0"))


def records(settings) -> list[Incident]:
    return [decode(r.value, Incident)
            for r in read_topic(settings, settings.topic_incidents, timeout=30, idle=3)]


def latest(settings, incident_id: str, check, timeout: float = 90) -> Incident:
    deadline = time.monotonic() + timeout
    while True:
        found = [r for r in records(settings) if r.id == incident_id]
        if found and check(found[-1]) or time.monotonic() > deadline:
            return found[-1]
        time.sleep(2)


def test_twenty_reports_make_one_incident_and_an_end_report_closes_it(kafka_settings, tmp_path):
    producer = make_producer(kafka_settings)
    with running(kafka_settings, tmp_path, ("alert",), VIGIE_INCIDENT_UPDATE_MIN_S="5"):
        for n in range(20):
            text = f"{PHRASINGS[n % 4]}, rapporte l’envoyé numéro {n} de la rédaction."
            producer.send(kafka_settings.topic_enriched, key=f"report-{n}".encode(),
                          value=encode(report(n, text)))
            producer.flush()
            time.sleep(0.5)  # ten seconds of reports: two coalescing periods
        # "Les sirènes de l'alerte" raises an air-raid-sirens alert too: its own incident
        first = next(r for r in records(kafka_settings) if r.rule.id == "air-raid")
        full = latest(kafka_settings, first.id, lambda r: r.reports == 20)
        assert (full.status, full.reports, len(full.sources), full.place) == (
            "update", 20, 20, KYIV)
        end = report(99, "Fin de l’alerte aérienne à Kyiv, annonce l’administration.")
        producer.send(kafka_settings.topic_enriched, key=b"report-99", value=encode(end))
        producer.flush()
        closed = latest(kafka_settings, first.id, lambda r: r.status == "closed")
    producer.close()
    assert (closed.status, closed.closed_by, closed.reports) == ("closed", "report", 20)
    everything = records(kafka_settings)
    assert {r.id for r in everything if r.rule.id == "air-raid"} == {first.id}
    chain = [r for r in everything if r.id == first.id]
    assert len(chain) <= 6  # twenty reports: an open, a few coalesced updates, the close
    assert [r.status for r in chain].count("open") == 1 and chain[0].status == "open"
    assert [r.revision for r in chain] == list(range(1, len(chain) + 1))
