"""The alert worker on the real broker, fed enriched articles built from the seeds."""

import json
from collections import Counter

import pytest

from vigie.ingest.files import read_article
from vigie.shared.kafka import make_producer
from vigie.shared.messages import Alert, DeadLetter, EnrichedArticle, Hashes, decode, encode
from vigie.shared.text import digest
from vigie.shared.timestamps import utc_now

from ..local_http import LocalServer, redirect, reply
from .helpers import ROOT, read_topic, run_vigie
from .workers import running

pytestmark = pytest.mark.integration
SEEDS = ROOT / "seeds"
DRILLS = ROOT / "tests" / "data" / "labelled" / "drills.jsonl"


def enriched_seeds() -> dict[str, EnrichedArticle]:
    articles = {}
    for path in sorted(SEEDS.iterdir()):
        raw = read_article(path, SEEDS, 1_000_000)
        fields = {name: getattr(raw, name) for name in raw.__struct_fields__} | {"language": "fr"}
        articles[path.name[:3]] = EnrichedArticle(
            **fields, hashes=Hashes(exact=digest(raw.text), near="0"), enriched_at=utc_now())
    return articles


def send(settings, messages: list[tuple[bytes, bytes]]) -> None:
    producer = make_producer(settings)
    for key, value in messages:
        producer.send(settings.topic_enriched, key=key, value=value)
    producer.flush()
    producer.close()


def alerts_by_seed(alerts: list[Alert], seeds: dict) -> dict[str, set[str]]:
    names = {article.id: name for name, article in seeds.items()}
    found: dict[str, set[str]] = {name: set() for name in seeds}
    for alert in alerts:
        found[names[alert.article.id]].add(alert.rule.id)
    return found


def test_seed_alerts_once_per_story_and_poison_goes_to_the_dlq(kafka_settings, tmp_path):
    seeds = enriched_seeds()
    send(kafka_settings, [(a.id.encode(), encode(a)) for a in seeds.values()])
    with running(kafka_settings, tmp_path, ("alert",)):
        alerts = [decode(r.value, Alert) for r in
                  read_topic(kafka_settings, kafka_settings.topic_alerts, timeout=90, idle=8)]
        found = alerts_by_seed(alerts, seeds)
        assert {n for n, rules in found.items() if "air-raid" in rules} == {"000", "001", "003"}
        assert {n for n, rules in found.items() if "ballistic-missile" in rules} == \
            {"000", "001", "002"}
        assert {n for n, rules in found.items() if "glide-bomb" in rules} == {"003"}
        assert found["004"] == set()
        assert len({a.id for a in alerts}) == len(alerts)
        for alert in alerts:
            text = seeds[[n for n, a in seeds.items() if a.id == alert.article.id][0]].text
            assert all(text[m.start:m.end] == m.text for m in alert.matches)
            assert "«" in alert.snippet and alert.latency_ms >= 0

        # Redelivery, an exact duplicate under another id, and poison: no new alert.
        copy = seeds["000"]
        duplicate = EnrichedArticle(**{f: getattr(copy, f) for f in copy.__struct_fields__
                                       if f not in ("id", "duplicate_of")},
                                    id="copy-of-000", duplicate_of=copy.id)
        poison = [(b"p1", b"\xff\xfe garbage"), (b"p2", json.dumps({"id": 1}).encode())]
        send(kafka_settings, [(copy.id.encode(), encode(copy)),
                              (b"copy-of-000", encode(duplicate)), *poison])
        letters = read_topic(kafka_settings, kafka_settings.topic_dlq, expect=2, timeout=60)
        assert sorted(decode(r.value, DeadLetter).value for r in letters) == \
            sorted(value for _, value in poison)
        again = read_topic(kafka_settings, kafka_settings.topic_alerts, timeout=20, idle=4)
        assert Counter(r.key for r in again) == Counter(r.key for r in
                                                         again[:len(alerts)])
        assert len(again) == len(alerts)


def test_replay_runs_new_rules_over_history(kafka_settings, tmp_path):
    seeds = enriched_seeds()
    send(kafka_settings, [(a.id.encode(), encode(a)) for a in seeds.values()])
    rules = tmp_path / "new.yaml"
    rules.write_text(
        "- id: rutte-visit\n  severity: info\n  description: NATO chief visits\n"
        "  phrases: [secrétaire général de l'OTAN]\n", encoding="utf-8")
    topic = kafka_settings.topic_alerts + ".replay"
    done = run_vigie(kafka_settings, "alert", "replay", "--rules", str(rules),
                     "--from-beginning", "--topic", topic)
    assert done.returncode == 0, done.stderr
    replayed = [decode(r.value, Alert) for r in read_topic(kafka_settings, topic, idle=3)]
    names = {a.id: n for n, a in seeds.items()}
    assert {names[a.article.id] for a in replayed} == {
        n for n, a in seeds.items()
        if "secrétaire général de l'otan" in a.text.replace("’", "'").casefold()}
    assert all(a.rule.id == "rutte-visit" for a in replayed)



def test_replay_lists_what_it_vetoed_as_a_drill_and_why(kafka_settings, tmp_path):
    labelled = {row["id"]: row for row in map(json.loads, DRILLS.read_text("utf-8").splitlines())}
    drill, real = labelled["drill-02"], labelled["real-03"]  # a siren test, a real alert
    seed = next(iter(enriched_seeds().values()))
    articles = [EnrichedArticle(**{f: getattr(seed, f) for f in seed.__struct_fields__}
                                | {"id": row["id"], "title": row["title"], "text": row["text"],
                                   "language": row["language"], "entities": []})
                for row in (drill, real)]
    send(kafka_settings, [(a.id.encode(), encode(a)) for a in articles])
    topic = kafka_settings.topic_alerts + ".replay"
    done = run_vigie(kafka_settings, "alert", "replay", "--rules", str(ROOT / "deploy/rules.yaml"),
                     "--from-beginning", "--topic", topic, "--vetoed")
    assert done.returncode == 0, done.stderr
    vetoes = [line for line in done.stdout.splitlines() if line.startswith("vetoed ")]
    assert vetoes and all(line.startswith("vetoed drill-02 ") for line in vetoes), done.stdout
    assert any("drill '" in line and "in the " in line for line in vetoes)
    replayed = [decode(r.value, Alert) for r in read_topic(kafka_settings, topic, idle=3)]
    assert {a.article.id for a in replayed} == {"real-03"}

def test_the_webhook_dead_letters_what_it_cannot_deliver(kafka_settings, tmp_path):
    """A webhook that answers 302 counts no delivery (its alerts end in the dead-letter topic
    after the retries, and nothing is sent as a GET); a record in the alerts topic that is not
    an Alert is dead-lettered too, and the agent goes on."""
    seeds = enriched_seeds()
    with LocalServer() as hook:
        hook.routes["/hook"] = redirect(302, "/moved")
        hook.routes["/moved"] = lambda handler: reply(handler, 200, b"ok")
        with running(kafka_settings, tmp_path, ("alert",), VIGIE_ALERT_WEBHOOK_URL=hook.url("/hook"),
                     VIGIE_ALERT_WEBHOOK_RETRIES="1"):
            producer = make_producer(kafka_settings)
            producer.send(kafka_settings.topic_alerts, key=b"stray", value=b'{"not": "an alert"}')
            producer.flush()
            producer.close()
            send(kafka_settings, [(seeds["002"].id.encode(), encode(seeds["002"]))])
            letters = [decode(r.value, DeadLetter) for r in
                       read_topic(kafka_settings, kafka_settings.topic_dlq, expect=2, timeout=90)]
        published = read_topic(kafka_settings, kafka_settings.topic_alerts, expect=2, timeout=10)
    (alert,) = [record.value for record in published if record.key != b"stray"]
    stray, undelivered = sorted(letters, key=lambda letter: letter.key != "stray")
    assert stray.value == b'{"not": "an alert"}' and "Alert" in stray.error
    assert undelivered.value == alert and "HTTP 302" in undelivered.error
    assert hook.hits["/hook"] == 2 and hook.hits["/moved"] == 0  # two attempts, no GET
