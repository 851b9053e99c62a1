"""Incidents on the real broker: twenty outlets report one air-raid alert in Kyiv within a
minute, one reports its end. One incident, a few records, closed by the report, at the times
the reports give; a report of the next day is a new incident; and so after a SIGKILL
mid-burst."""

from __future__ import annotations

import time

import pytest

from vigie.shared.kafka import make_producer
from vigie.shared.messages import (
    Alert,
    EnrichedArticle,
    Entity,
    Hashes,
    Incident,
    Mention,
    Place,
    Source,
    decode,
    encode,
)
from vigie.shared.timestamps import utc_now

from .faults import Worker, wait_until
from .helpers import read_topic
from .workers import running

pytestmark = pytest.mark.integration
KYIV = Place(name="Kyiv", kind="city", country="UA", region="UA-30", lat=50.45466, lon=30.5238,
             geonames_id=703448)
PHRASINGS = ["Une alerte aérienne a retenti à Kyiv", "Les sirènes de l’alerte aérienne ont sonné "
             "à Kyiv", "Air raid alert in Kyiv", "L’alerte aérienne a été déclenchée à Kyiv"]


def report(n: int, text: str, published: str = "2025-08-22") -> EnrichedArticle:
    start = text.index("Kyiv")
    kyiv = Entity(name="Kyiv", label="LOC", count=1, place=KYIV,
                  mentions=[Mention(text="Kyiv", start=start, end=start + 4)])
    return EnrichedArticle(
        id=f"report-{n}", revision="r1", source=Source(kind="feed", name=f"feed {n}"),
        text=text, published=published, language="fr", entities=[kyiv],
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


def send_reports(producer, settings, count: int = 20, every_s: float = 0.0) -> None:
    for n in range(count):
        text = f"{PHRASINGS[n % 4]}, rapporte l’envoyé numéro {n} de la rédaction."
        producer.send(settings.topic_enriched, key=f"report-{n}".encode(),
                      value=encode(report(n, text)))
        producer.flush()
        time.sleep(every_s)


def send_end(producer, settings) -> None:
    end = report(99, "Fin de l’alerte aérienne à Kyiv, annonce l’administration.")
    producer.send(settings.topic_enriched, key=b"report-99", value=encode(end))
    producer.flush()


def check_chains(everything: list[Incident]) -> None:
    """Each incident: one ``open`` record, first, then revisions one apart."""
    for incident_id in {r.id for r in everything}:
        chain = [r for r in everything if r.id == incident_id]
        assert [r.status for r in chain].count("open") == 1 and chain[0].status == "open"
        assert [r.revision for r in chain] == list(range(1, len(chain) + 1)), incident_id


def test_twenty_reports_make_one_incident_an_end_closes_it_the_next_day_is_another(
        kafka_settings, tmp_path):
    producer = make_producer(kafka_settings)
    with running(kafka_settings, tmp_path, ("alert",), VIGIE_INCIDENT_UPDATE_MIN_S="5"):
        send_reports(producer, kafka_settings, every_s=0.5)  # ten seconds: two coalescing periods
        # "Les sirènes de l'alerte" raises an air-raid-sirens alert too: its own incident
        first = next(r for r in records(kafka_settings) if r.rule.id == "air-raid")
        full = latest(kafka_settings, first.id, lambda r: r.reports == 20)
        assert (full.status, full.reports, len(full.sources), full.place) == (
            "update", 20, 20, KYIV)
        send_end(producer, kafka_settings)
        closed = latest(kafka_settings, first.id, lambda r: r.status == "closed")
        next_day = report(50, "Une alerte aérienne a retenti à Kyiv cette nuit.", "2025-08-23")
        producer.send(kafka_settings.topic_enriched, key=b"report-50", value=encode(next_day))
        producer.flush()
        wait_until(lambda: len(air_raid_incidents(kafka_settings)) == 2, 90, "a new incident")
    producer.close()
    # the reports' own times: the day they were published, never the worker's clock
    assert (closed.status, closed.closed_by, closed.reports, closed.started_at,
            closed.ended_at) == ("closed", "report", 20, "2025-08-22T00:00:00.000Z",
                                 "2025-08-22T00:00:00.000Z")
    everything = records(kafka_settings)
    again = next(r for r in everything if r.rule.id == "air-raid" and r.id != first.id)
    assert (again.status, again.reports, again.started_at) == (
        "open", 1, "2025-08-23T00:00:00.000Z")
    assert len([r for r in everything if r.id == first.id]) <= 6  # open, a few updates, close
    check_chains(everything)
    alerts = [decode(r.value, Alert)
              for r in read_topic(kafka_settings, kafka_settings.topic_alerts, idle=3)]
    raids = {a.id: a.incident_id for a in alerts if a.rule.id == "air-raid"}
    assert len(raids) == 21 and set(raids.values()) == {first.id, again.id}
    assert set(raids) == set(full.alert_ids) | set(again.alert_ids)  # each names its incident


def air_raid_incidents(settings) -> set[str]:
    return {r.id for r in records(settings) if r.rule.id == "air-raid"}


@pytest.mark.fault
def test_sigkill_after_a_record_went_out_repeats_no_record(kafka_settings, tmp_path):
    """SIGKILL mid-burst where it hurts most: the second incident record delivered, its state
    not yet in the table (the crash worker dies there, with nineteen reports still to read).
    After the restart each incident has exactly one ``open`` record and revisions one apart,
    and every report counts once."""
    producer = make_producer(kafka_settings)
    worker = Worker(kafka_settings, tmp_path, "alert", VIGIE_INCIDENT_UPDATE_MIN_S="2")
    try:
        send_reports(producer, kafka_settings)
        worker.start("tests.integration.incident_crash_worker", CRASH_AT_RECORD="2")
        wait_until(lambda: worker.process.poll() is not None, 180, "the crash")
        assert worker.process.returncode == -9
        assert len(records(kafka_settings)) == 2  # both went out before the kill
        worker.start()
        first = next(r for r in records(kafka_settings) if r.rule.id == "air-raid")
        full = latest(kafka_settings, first.id, lambda r: r.reports == 20)
        send_end(producer, kafka_settings)
        closed = latest(kafka_settings, first.id, lambda r: r.status == "closed")
    finally:
        worker.stop()
        producer.close()
    assert (full.reports, len(full.sources)) == (20, 20)
    assert (closed.closed_by, closed.reports) == ("report", 20)
    assert "incident records sent before a restart read back" in worker.log_text()
    check_chains(records(kafka_settings))
