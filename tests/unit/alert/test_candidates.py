"""The evaluate and publish agents' logic without a broker: ``Evaluation`` and ``Publication``
over a plain dict as the table of published ids; ``Announcement``, the alerts the track agent
publishes; topics are names."""

from __future__ import annotations

import collections
import json

import pytest
from prometheus_client import CollectorRegistry

from vigie.alert.candidates import Announcement, Candidate, Evaluation, Publication
from vigie.alert.evaluate import Evaluator
from vigie.alert.incidents.identity import track_key
from vigie.alert.incidents.model import AlertReport, EndReport, decode_report
from vigie.alert.metrics import AlertMetrics
from vigie.shared.messages import Alert, InvalidMessage, decode, encode, to_dict

from .test_incidents import FIRST, KYIV, RuleBook_shipped, report

WINDOW_S = 86_400.0


@pytest.fixture
def metrics() -> AlertMetrics:
    return AlertMetrics(CollectorRegistry())


def evaluation(metrics: AlertMetrics) -> Evaluation:
    return Evaluation(Evaluator(RuleBook_shipped()), metrics, max_chars=100_000,
                      candidates="candidates", reports="reports")


def test_an_article_raises_candidates_keyed_by_alert_id_and_an_end_reports_its_track(
        make_article, metrics):
    article = report(make_article, FIRST, "AFP")
    sends = evaluation(metrics).sends(encode(article))
    assert sends and {topic for topic, _, _ in sends} == {"candidates"}
    candidates = [decode(value, Candidate) for _, _, value in sends]
    raid = next(c for c in candidates if c.alert.rule.id == "air-raid")
    assert [key for _, key, _ in sends] == [c.alert.id.encode() for c in candidates]
    assert (raid.place, raid.when, raid.exact, raid.schema_version) == (
        KYIV, "2025-08-22T00:00:00.000Z", False, 1)
    end = report(make_article, "Fin de l'alerte aérienne à Kyiv, annonce la mairie.", "AFP",
                 id="a9")
    ((topic, key, value),) = evaluation(metrics).sends(encode(end))
    ended = decode_report(value, 1000)
    assert (topic, key) == ("reports", track_key("air-raid", KYIV).encode())
    assert isinstance(ended, EndReport) and (ended.place, ended.article_id) == (KYIV, "a9")
    assert json.loads(value)["kind"] == "end"
    assert metrics.registry.get_sample_value("vigie_alert_articles_evaluated_total") == 2


def test_a_record_that_is_no_article_is_refused(metrics):
    with pytest.raises(InvalidMessage):
        evaluation(metrics).sends(b'{"not": "an article"}')


def raised(make_article, metrics) -> Alert:
    sends = evaluation(metrics).sends(encode(report(make_article, FIRST, "AFP")))
    return next(a for a in (decode(v, Candidate).alert for _, _, v in sends)
                if a.rule.id == "air-raid")


def announcement(metrics, latest=None) -> Announcement:
    return Announcement(metrics, alerts="alerts", route=lambda name: f"route:{name}",
                        latest=latest)


def publication(metrics, table: dict, latest=None) -> Publication:
    return Publication(table, metrics, window_s=WINDOW_S, max_chars=100_000, reports="reports",
                       announcement=announcement(metrics, latest))


def test_the_first_candidate_of_an_alert_id_goes_to_its_track_the_next_is_suppressed(
        make_article, metrics):
    alert, table = raised(make_article, metrics), {}
    publish = publication(metrics, table)
    candidate = encode(Candidate(alert=alert, topic="air", place=KYIV, when="2025-08-22T01:56:00Z",
                                 exact=True))
    outgoing = publish.first(candidate)
    ((topic, key, value),) = outgoing.sends
    assert (topic, key) == ("reports", track_key("air-raid", KYIV).encode())
    assert decode_report(value, 1000) == AlertReport(
        alert=alert, topic="air", place=KYIV, when="2025-08-22T01:56:00Z", exact=True)
    assert publish.first(candidate) is not None  # not recorded before its report is sent
    publish.sent(outgoing, partition=3)
    assert table[alert.id] == [outgoing.at, 3]
    assert publish.first(candidate) is None
    sample = metrics.registry.get_sample_value
    assert sample("vigie_alert_duplicates_suppressed_total") == 1


def test_a_candidate_from_before_incidents_is_published_at_once_and_joins_none(
        make_article, metrics):
    alert, latest = raised(make_article, metrics), collections.deque()
    before = json.dumps({"alert": to_dict(alert) | {"incident_id": None}}).encode()  # no when
    publish = publication(metrics, {}, latest)
    outgoing = publish.first(before)
    assert [(topic, key) for topic, key, _ in outgoing.sends] == [("alerts", alert.id.encode())]
    assert decode(outgoing.sends[0].value, Alert).incident_id is None
    publish.sent(outgoing, partition=0)
    assert [a["id"] for a in latest] == [alert.id]
    assert publish.first(before) is None


def test_a_candidate_of_the_previous_version_with_a_time_goes_to_its_track(make_article,
                                                                           metrics):
    alert = raised(make_article, metrics)
    previous = json.dumps({"alert": to_dict(alert) | {"incident_id": "old"}, "topic": None,
                           "place": to_dict(KYIV), "when": "2025-08-22T01:56:00Z"}).encode()
    ((topic, key, value),) = publication(metrics, {}).first(previous).sends
    assert (topic, key) == ("reports", track_key("air-raid", KYIV).encode())
    assert decode_report(value, 1000).when == "2025-08-22T01:56:00Z"


def test_an_alert_is_announced_to_its_topics_once_its_incident_is_known(make_article, metrics):
    alert, latest = raised(make_article, metrics), collections.deque()
    alert.incident_id, waited_before = "4f1c", alert.latency_ms
    announced = announcement(metrics, latest)
    sends = announced.sends(alert, "air")
    assert [(topic, key) for topic, key, _ in sends] == [("alerts", alert.id.encode()),
                                                         ("route:air", alert.id.encode())]
    published = decode(sends[0].value, Alert)
    assert published.incident_id == "4f1c" and sends[1].value == sends[0].value
    assert published.latency_ms >= waited_before  # the wait for its incident counts
    announced.sent(published)
    assert list(latest) == [to_dict(published)]
    assert metrics.registry.get_sample_value(
        "vigie_alert_alerts_total", {"rule": "air-raid", "severity": "critical"}) == 1
    assert [t for t, _, _ in announced.sends(alert, None)] == ["alerts"]
