"""End to end on the real broker: ingest → enrich → alert, each a real ``vigie`` process."""

import json
import random
import time
import urllib.request
import xml.etree.ElementTree as ET
from xml.sax.saxutils import escape

import pytest
import yaml
from capvalidator.validate import Validator

from vigie.shared.broker import free_port
from vigie.shared.messages import Alert, EnrichedArticle, Incident, decode
from vigie.shared.timestamps import epoch

from ..local_http import LocalServer, serve
from .faults import seed_sentences, wait_until
from .helpers import ROOT, read_topic, run_vigie
from .workers import running

pytestmark = pytest.mark.integration
SEEDS = ROOT / "seeds"
SEED_000 = "000_f7442d7db843244a.txt"


def enriched(settings, expect: int) -> dict[str, EnrichedArticle]:
    records = read_topic(settings, settings.topic_enriched, expect=expect, timeout=180)
    articles = [decode(r.value, EnrichedArticle) for r in records]
    return {a.source.path: a for a in articles}


def alerts(settings, idle: float = 10) -> list[Alert]:
    records = read_topic(settings, settings.topic_alerts, timeout=120, idle=idle)
    return [decode(r.value, Alert) for r in records]


def rules_by_seed(found: list[Alert], by_path: dict[str, EnrichedArticle]) -> dict[str, set]:
    names = {a.id: path[:3] for path, a in by_path.items()}
    result = {path[:3]: set() for path in by_path}
    for alert in found:
        result[names[alert.article.id]].add(alert.rule.id)
    return result


def edited_copy(text: str) -> str:
    """The same story syndicated: another header, a boilerplate line, a trimmed ending."""
    body = text.split("\n", 1)[1]
    return " date 2025-08-23 Par notre correspondant\n" + body[: int(len(body) * 0.85)] + \
        "\nAbonnez-vous à notre newsletter pour ne rien manquer.\n"


def incidents(settings) -> dict[str, Incident]:
    """The latest record of each incident, as a compacted topic keeps it."""
    latest: dict[str, Incident] = {}
    for record in read_topic(settings, settings.topic_incidents, timeout=60, idle=5):
        incident = decode(record.value, Incident)
        latest[incident.id] = incident
    return latest


def cap_documents(port: int) -> dict[str, bytes]:
    """The alert worker's CAP feed, each linked document fetched, by incident id."""
    base = f"http://127.0.0.1:{port}"
    with urllib.request.urlopen(f"{base}/cap", timeout=10) as answer:
        feed = ET.fromstring(answer.read())
    documents = {}
    for link in feed.iter("{http://www.w3.org/2005/Atom}link"):
        with urllib.request.urlopen(link.get("href"), timeout=10) as answer:
            documents[link.get("href").rsplit("/", 1)[1].removesuffix(".xml")] = answer.read()
    return documents


def test_seeds_go_through_the_whole_pipeline_once_per_story(kafka_settings, tmp_path):
    alert_port = free_port()
    with running(kafka_settings, tmp_path, ("enrich",), ("alert",),
                 VIGIE_INCIDENT_UPDATE_MIN_S="1", VIGIE_ALERT_METRICS_PORT=str(alert_port)):
        assert run_vigie(kafka_settings, "ingest", "files", str(SEEDS)).returncode == 0
        by_path = enriched(kafka_settings, expect=5)
        assert len(by_path) == 5
        names = set().union(*({e.name for e in a.entities} for a in by_path.values()))
        assert {"Mark Rutte", "Volodymyr Zelensky", "Kyiv", "NATO", "Odesa", "Kharkiv",
                "Brussels"} <= names
        for article in by_path.values():
            assert article.language == "fr"
            assert article.duplicate_of is None and article.near_duplicate_of is None
            for entity in article.entities:
                assert all(article.text[m.start:m.end] == m.text for m in entity.mentions)
            assert all(article.text[d.start:d.end] == d.text for d in article.dates)
        assert "2022-02" in {d.value for d in by_path["003_c969c52df54374a3.txt"].dates}

        first_alerts = alerts(kafka_settings)
        found = rules_by_seed(first_alerts, by_path)
        assert {n for n, r in found.items() if "air-raid" in r} == {"000", "001", "003"}
        assert {n for n, r in found.items() if "ballistic-missile" in r} == {"000", "001", "002"}
        assert {n for n, r in found.items() if "glide-bomb" in r} == {"003"}
        assert found["004"] == set()
        assert len({a.id for a in first_alerts}) == len(first_alerts)

        # Seeds 000 and 001 report one air-raid alert in Kyiv: one incident, two reports.
        seed_of = {a.id: path[:3] for path, a in by_path.items()}
        raids = {seed_of[a.article.id]: a for a in first_alerts if a.rule.id == "air-raid"}
        assert raids["000"].incident_id == raids["001"].incident_id != raids["003"].incident_id
        # Its reports' day (2025-08-22) is long past in event time: seed 003, which gives no
        # time and counts when it was ingested, moves its track's clock on, and the incident
        # closes quietly, the quiet time (3 h) after its last report's time.
        wait_until(lambda: incidents(kafka_settings)[raids["000"].incident_id].status
                   == "closed", 60, "the quiet close")
        latest = incidents(kafka_settings)
        kyiv = latest[raids["000"].incident_id]
        assert (kyiv.closed_by, kyiv.reports, kyiv.place.name, kyiv.place.country) == (
            "quiet", 2, "Kyiv", "UA")
        assert kyiv.started_at.startswith("2025-08-22T")
        assert epoch(kyiv.ended_at) - epoch(kyiv.started_at) == 3 * 3600
        assert set(kyiv.alert_ids) == {raids["000"].id, raids["001"].id}
        assert latest[raids["003"].incident_id].reports == 1
        assert latest[raids["003"].incident_id].status in ("open", "update")
        shown = run_vigie(kafka_settings, "subscribe", kafka_settings.topic_incidents,
                          "--from-beginning", "--country", "UA", "--status", "closed",
                          "--timeout", "5", "--format", "human")
        assert shown.returncode == 0, shown.stderr
        assert (f"CLOSED air-raid — Kyiv (UA-30, UA): 2 report(s) from 1 source(s), since "
                f"{kyiv.started_at}, ended {kyiv.ended_at} (quiet)") in shown.stdout

        # An end report for Kyiv that day closes it.
        ends = tmp_path / "ends"
        ends.mkdir()
        (ends / "fin.txt").write_text(" date 2025-08-22\nFin de l'alerte aérienne à Kiev, a "
                                      "annoncé l'administration militaire.\n", encoding="utf-8")
        assert run_vigie(kafka_settings, "ingest", "files", str(ends)).returncode == 0
        wait = time.monotonic() + 60
        while incidents(kafka_settings)[kyiv.id].closed_by != "report" and time.monotonic() < wait:
            time.sleep(1)
        closed = incidents(kafka_settings)[kyiv.id]
        assert (closed.status, closed.closed_by, closed.reports) == ("closed", "report", 2)
        assert closed.ended_at == "2025-08-22T00:00:00.000Z"  # the end report's own day

        # /cap: an Atom feed of the incidents, each a CAP 1.2 document the schema accepts.
        documents = cap_documents(alert_port)
        assert {kyiv.id, raids["003"].incident_id} <= set(documents)
        for document in documents.values():
            assert Validator(document).schema()[0], document
        assert b"<responseType>AllClear</responseType>" in documents[kyiv.id]
        with urllib.request.urlopen(f"http://127.0.0.1:{alert_port}/incidents/latest",
                                    timeout=10) as answer:
            on_the_map = {i["id"]: i for i in json.loads(answer.read())}
        assert on_the_map[kyiv.id]["place"]["lat"] == kyiv.place.lat

        # The seeds again, an exact copy and a lightly edited copy under other names.
        copies = tmp_path / "copies"
        copies.mkdir()
        seed_text = (SEEDS / SEED_000).read_text(encoding="utf-8")
        (copies / "copy.txt").write_text(seed_text, encoding="utf-8")
        (copies / "edited.txt").write_text(edited_copy(seed_text), encoding="utf-8")
        assert run_vigie(kafka_settings, "ingest", "files", str(SEEDS)).returncode == 0
        assert run_vigie(kafka_settings, "ingest", "files", str(copies)).returncode == 0
        everything = read_topic(kafka_settings, kafka_settings.topic_enriched, expect=12,
                                timeout=180)
        latest = {}
        for record in everything:
            article = decode(record.value, EnrichedArticle)
            latest[article.source.path] = article
        original = by_path[SEED_000]
        assert latest["copy.txt"].duplicate_of == original.id
        assert latest["edited.txt"].near_duplicate_of == original.id
        assert latest[SEED_000].duplicate_of is None  # a re-ingested article finds itself

        again = alerts(kafka_settings)
        assert sorted(a.id for a in again) == sorted(a.id for a in first_alerts)


def outlet_feed(outlet: str, title: str, story: str, minute: int) -> bytes:
    when = f"Fri, 22 Aug 2025 02:{minute:02d}:00 +0300"
    item = (f"<item><title>{escape(title)}</title><link>https://{outlet}.example.org/kyiv</link>"
            f"<pubDate>{when}</pubDate><description>{escape(story)}</description></item>")
    return (f'<rss version="2.0"><channel><title>{outlet}</title><language>fr</language>'
            f"{item}</channel></rss>").encode()


def feed_list(path, server, names: list[str]) -> str:
    feeds = [{"url": server.url(f"/{name}.xml"), "name": name} for name in names]
    path.write_text(yaml.safe_dump({"feeds": feeds}), encoding="utf-8")
    return str(path)


# French outlets' phrasings (an English one inside a French text can escape the French model)
PHRASINGS = ["Une alerte aérienne a retenti à Kyiv", "Les sirènes de l’alerte aérienne ont "
             "sonné à Kyiv", "L’alerte aérienne a été déclenchée à Kyiv"]


def air_raid_alerts(settings) -> list[Alert]:
    return [a for a in alerts(settings, idle=5) if a.rule.id == "air-raid"]


def test_twenty_feeds_reporting_one_event_make_one_incident(kafka_settings, tmp_path):
    """Twenty outlets report the air-raid alert in Kyiv, each in a story of its own, through
    feeds, ingest, enrich and alert; then one reports its end. One incident: reports 20,
    sources 20, a few records, closed by the report."""
    outlets = [f"outlet-{n:02d}" for n in range(20)]
    pool = random.Random(20).sample(seed_sentences(), 3 * len(outlets))  # no two share one
    with LocalServer() as server, running(kafka_settings, tmp_path, ("enrich",), ("alert",),
                                          VIGIE_INCIDENT_UPDATE_MIN_S="5"):
        for n, outlet in enumerate(outlets):
            story = " ".join([f"{PHRASINGS[n % len(PHRASINGS)]}, rapporte {outlet}.",
                              *pool[3 * n:3 * n + 3]])
            server.routes[f"/{outlet}.xml"] = serve(outlet_feed(outlet, "Alerte à Kyiv", story, n))
        server.routes["/outlet-end.xml"] = serve(outlet_feed(
            "outlet-end", "Fin de l'alerte", "Fin de l’alerte aérienne à Kyiv, annonce "
            "l’administration militaire de la ville.", 50))
        feeds = feed_list(tmp_path / "feeds.yaml", server, outlets)
        assert run_vigie(kafka_settings, "ingest", "feeds", feeds, "--once").returncode == 0
        wait_until(lambda: len(air_raid_alerts(kafka_settings)) == 20, 240, "twenty alerts")
        incident_id, = {a.incident_id for a in air_raid_alerts(kafka_settings)}
        wait_until(lambda: incidents(kafka_settings)[incident_id].reports == 20, 90,
                   "the twentieth report")
        ends = feed_list(tmp_path / "ends.yaml", server, ["outlet-end"])
        assert run_vigie(kafka_settings, "ingest", "feeds", ends, "--once").returncode == 0
        wait_until(lambda: incidents(kafka_settings)[incident_id].status == "closed", 120,
                   "the end report")
    chain = [decode(r.value, Incident)
             for r in read_topic(kafka_settings, kafka_settings.topic_incidents, idle=3)]
    chain = [r for r in chain if r.id == incident_id]
    assert (chain[-1].reports, len(chain[-1].sources), chain[-1].closed_by) == (20, 20, "report")
    assert chain[-1].place.name == "Kyiv" and len(chain) <= 8
    assert [r.revision for r in chain] == list(range(1, len(chain) + 1))
