"""Every agent survives a bad record: to every topic each worker reads (public and internal),
records of each kind that breaks a reader, then a good one.

Guarantee checked: each bad record is in the dead-letter topic once, with its original bytes,
service, topic, partition and offset; a message that only lacks optional fields is processed
like any other; the good record after them is processed; and no agent crashed (each counts in
``vigie_<service>_agent_crashes_total``, whose series are all there, at zero).
"""

from __future__ import annotations

import json
import threading
import urllib.request
from collections import Counter

import pytest
from prometheus_client.parser import text_string_to_metric_families

from vigie.alert.candidates import Candidate
from vigie.alert.incidents.identity import incident_id
from vigie.alert.incidents.model import AlertReport
from vigie.enrich.dedup import signatures
from vigie.shared.kafka import make_producer
from vigie.shared.messages import (
    Alert,
    ArticleRef,
    DeadLetter,
    EnrichedArticle,
    Incident,
    Place,
    RuleRef,
    Source,
    decode,
    encode,
    to_dict,
)
from vigie.shared.timestamps import utc_now

from ..bench.workers import running, wait_until
from ..local_http import LocalServer, reply
from .faults import collect, raw_article
from .test_faults import enriched_version

pytestmark = [pytest.mark.integration, pytest.mark.fault]
BIG = "x " * 10_000_000  # 20 MB: far over any article's text or alert's snippet
# Over what a dead letter can carry (its base64 under the producers' 48 MB): the letter keeps
# the coordinates, the value stays in its topic.
HUGE = b"y" * (40 * 1024 * 1024)
ALERT_TEXT = "Une alerte aérienne a été déclenchée sur Kyiv ce matin, dit la dépêche {}."
AGENTS = {"enrich": {"analyse", "deduplicate"},
          "alert": {"evaluate", "publish", "track", "deliver"}}


def breaking(name: str, enormous: bytes) -> list[tuple[bytes, bytes]]:
    """Not JSON, JSON of the wrong type, JSON of the wrong shape, an enormous value."""
    return [(f"{name}-not-json".encode(), b"\xff\xfe\x00 not json at all"),
            (f"{name}-wrong-type".encode(), b'"tick"'),
            (f"{name}-wrong-shape".encode(), json.dumps({"id": 1, "text": ["x"], "alert": 5,
                                                         "end": 2}).encode()),
            (f"{name}-enormous".encode(), enormous)]


def without(message, *fields: str) -> dict:
    """``message`` as JSON, without ``fields`` (optional ones: their defaults apply)."""
    data = to_dict(message)
    for field in fields:
        del data[field]
    return data


def as_bytes(data: dict) -> bytes:
    return json.dumps(data, ensure_ascii=False).encode()


def alert(name: str, *, incident: str | None = None, snippet: str = "«Alerte aérienne» à Kyiv."
          ) -> Alert:
    return Alert(id=f"alert-{name}", rule=RuleRef(id="air-raid", severity="critical"),
                 article=ArticleRef(id=f"article-{name}", source=Source(kind="feed", name=name)),
                 story_id=f"article-{name}", matches=[], snippet=snippet,
                 detected_at=utc_now(), latency_ms=1.0, incident_id=incident)


def enriched(name: str, text: str) -> EnrichedArticle:
    """An analysed article, with the hashes dedup reads."""
    article = enriched_version(raw_article(name, text))
    article.hashes = signatures(text)
    return article


def big_article(name: str) -> bytes:
    """An analysed article of a 20 MB text (no hashes worked out: it is refused first)."""
    return encode(enriched_version(raw_article(name, BIG)))


ARTICLE_OPTIONAL = ("published", "language", "title", "summary", "url", "text_source")
ENRICHED_OPTIONAL = (*ARTICLE_OPTIONAL, "entities", "dates", "duplicate_of", "near_duplicate_of")
ALERT_OPTIONAL = ("incident_id", "entities", "dates")
# The places and times of the reports that must make incidents: one track each, so that each
# incident's id is known (rule, place, start).
CANDIDATE_PLACE = Place(name="Kyiv", kind="city", country="UA", region="UA-30")
REPORT_PLACE = Place(name="Kharkiv", kind="city", country="UA", region="UA-63")
WHEN = {"candidate-good": "2025-08-22T10:00:00.000Z", "report-optional": "2025-08-22T11:00:00.000Z",
        "report-good": "2025-08-22T12:00:00.000Z"}


def plan(tag: str, settings) -> dict[str, dict]:
    """Per topic read: the service that reads it, the bad records, the records it must
    process (the one missing optional fields, then the good one) and what each one becomes."""
    raw_optional, raw_good = raw_article("raw-optional", "Une dépêche sans date."), \
        raw_article("raw-good", "Une dépêche ordinaire.")
    dedup_optional = enriched("dedup-optional", "Une autre dépêche sans date.")
    dedup_good = enriched("dedup-good", "Une autre dépêche ordinaire.")
    enriched_optional = enriched("enriched-optional", ALERT_TEXT.format(1))
    enriched_good = enriched("enriched-good", ALERT_TEXT.format(2))
    candidate_optional = alert("candidate-optional")  # of the previous version: no place, when
    candidate_good = alert("candidate-good")
    return {
        settings.topic_raw: dict(
            service="enrich", bad=breaking("raw", encode(raw_article("raw-big", BIG)))
            + [(b"raw-huge", HUGE)],
            good=[(b"raw-optional", as_bytes(without(raw_optional, *ARTICLE_OPTIONAL))),
                  (b"raw-good", encode(raw_good))],
            enriched={raw_optional.id, raw_good.id}),
        f"{tag}-enrich.dedup": dict(
            service="enrich", bad=breaking("dedup", big_article("dedup-big")),
            good=[(b"dedup-optional", as_bytes(without(dedup_optional, *ENRICHED_OPTIONAL))),
                  (b"dedup-good", encode(dedup_good))],
            enriched={dedup_optional.id, dedup_good.id}),
        settings.topic_enriched: dict(
            service="alert", bad=breaking("enriched", big_article("enriched-big")),
            good=[(b"enriched-optional",
                   as_bytes(without(enriched_optional, *ENRICHED_OPTIONAL))),
                  (b"enriched-good", encode(enriched_good))],
            alerted={enriched_optional.id, enriched_good.id}),
        f"{tag}-alert.candidates": dict(
            service="alert",
            bad=breaking("candidate", encode(Candidate(alert=alert("big", snippet=BIG)))),
            good=[(b"candidate-optional",
                   as_bytes({"alert": without(candidate_optional, *ALERT_OPTIONAL)})),
                  (b"candidate-good", encode(Candidate(alert=candidate_good, place=CANDIDATE_PLACE,
                                                       when=WHEN["candidate-good"])))],
            published={candidate_optional.id, candidate_good.id},
            incidents={incident_id("air-raid", CANDIDATE_PLACE, WHEN["candidate-good"])}),
        f"{tag}-alert.incident-reports": dict(
            service="alert",
            bad=breaking("report", encode(AlertReport(alert=alert("big", snippet=BIG),
                                                      when=utc_now())))
            + [(b"report-previous-version", as_bytes({  # keyed by incident id, before tracks
                   "alert": to_dict(alert("report-previous", incident="i")), "place": None,
                   "when": utc_now()})),
               (b"report-no-time", encode(AlertReport(alert=alert("report-no-time"),
                                                      when="not a time")))],
            good=[(b"report-optional", as_bytes({
                      "kind": "alert", "alert": to_dict(alert("report-optional")),
                      "when": WHEN["report-optional"]})),
                  (b"report-good", encode(AlertReport(
                      alert=alert("report-good"), place=REPORT_PLACE, when=WHEN["report-good"],
                      exact=True)))],
            incidents={incident_id("air-raid", None, WHEN["report-optional"]),
                       incident_id("air-raid", REPORT_PLACE, WHEN["report-good"])}),
        settings.topic_alerts: dict(
            service="alert-webhook", bad=breaking("alert", encode(alert("big", snippet=BIG))),
            good=[(b"alert-optional", as_bytes(without(alert("optional"), *ALERT_OPTIONAL))),
                  (b"alert-good", encode(alert("good")))],
            delivered={"alert-optional", "alert-good"}),
    }


def send(settings, topic: str, records: list[tuple[bytes, bytes]]) -> list[tuple]:
    """Send in order to partition 0; each record's (topic, partition, offset, key, value)."""
    producer = make_producer(settings)
    try:
        sent = []
        for key, value in records:
            meta = producer.send(topic, key=key, value=value, partition=0).get(timeout=60)
            sent.append((topic, meta.partition, meta.offset, key.decode(), value))
        return sent
    finally:
        producer.close()


class Hook:
    """The webhook: records the id of every alert POSTed to it."""

    def __init__(self) -> None:
        self.ids: list[str] = []
        self.lock = threading.Lock()

    def __call__(self, handler) -> None:
        with self.lock:
            self.ids.append(json.loads(handler.body)["id"])
        reply(handler, 200, b"ok")


def crashes_by_agent(worker) -> dict[str, float]:
    with urllib.request.urlopen(f"http://127.0.0.1:{worker.port}/metrics", timeout=5) as page:
        text = page.read().decode()
    name = f"vigie_{worker.service}_agent_crashes_total"
    return {sample.labels["agent"]: sample.value for family in text_string_to_metric_families(text)
            for sample in family.samples if sample.name == name}


def ready(worker) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{worker.port}/healthz", timeout=2) as r:
            return r.status == 200
    except OSError:
        return False


def test_every_agent_dead_letters_what_breaks_it_and_goes_on(kafka_settings, tmp_path):
    settings = kafka_settings
    tag = settings.topic_raw.removesuffix(".raw")
    topics = plan(tag, settings)
    hook = Hook()
    with LocalServer() as server:
        server.routes["/hook"] = hook
        with running(settings, tmp_path, "enrich") as enrich, \
                running(settings, tmp_path, "alert", VIGIE_ALERT_WEBHOOK_URL=server.url("/hook"),
                        VIGIE_ALERT_WEBHOOK_RETRIES="1") as alert_worker:
            workers = [*enrich, *alert_worker]
            wait_until(lambda: all(ready(w) for w in workers), workers, timeout=300,
                       what="the workers to start")
            bad = {topic: send(settings, topic, spec["bad"] + spec["good"])[:len(spec["bad"])]
                   for topic, spec in topics.items()}
            expected = Counter(record for records in bad.values() for record in records)
            letters = collect(settings, settings.topic_dlq,
                              lambda rs: len(rs) >= sum(expected.values()), timeout=300, linger=5)

            def wanted(key: str) -> set:
                return set().union(*(spec.get(key, set()) for spec in topics.values()))

            enriched_ids = collect(settings, settings.topic_enriched, lambda rs: wanted(
                "enriched") <= {r.key.decode() for r in rs if r.key}, timeout=300, linger=0)
            stray = {key.decode() for key, _ in topics[settings.topic_alerts]["bad"]}

            def all_published(records) -> bool:
                alerts = [decode(r.value, Alert) for r in records if r.key.decode() not in stray]
                return (wanted("alerted") <= {a.article.id for a in alerts}
                        and wanted("published") <= {a.id for a in alerts})

            alerts = collect(settings, settings.topic_alerts, all_published, timeout=300,
                             linger=0)
            incidents = collect(settings, settings.topic_incidents, lambda rs: wanted(
                "incidents") <= {decode(r.value, Incident).id for r in rs}, timeout=300,
                linger=0)
            wait_until(lambda: wanted("delivered") <= set(hook.ids), workers, timeout=300,
                       what="the deliveries")
            crashes = {worker.service: crashes_by_agent(worker) for worker in workers}
            alive = [worker.process.poll() is None for worker in workers]

    found = Counter()
    letters = [decode(r.value, DeadLetter) for r in letters]
    assert [letter.key for letter in letters if not letter.value_kept] == ["raw-huge"]
    for letter in letters:
        assert letter.service == topics[letter.topic]["service"] and letter.error
        value = letter.value if letter.value_kept else HUGE
        found[(letter.topic, letter.partition, letter.offset, letter.key, value)] += 1
    assert found == expected  # each bad record once, with its coordinates and bytes
    assert enriched_ids and alerts and incidents  # (what each had to contain was waited for)
    assert crashes == {service: dict.fromkeys(names, 0.0) for service, names in AGENTS.items()}
    assert all(alive)

