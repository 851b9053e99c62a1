"""The evaluate and publish agents' logic without a broker: ``Evaluation`` and ``Publication``
over a plain dict as the table of published ids; topics are names."""

from __future__ import annotations

import collections

import pytest
from prometheus_client import CollectorRegistry

from vigie.alert.candidates import Candidate, Evaluation, Publication
from vigie.alert.evaluate import Evaluator
from vigie.alert.incidents.model import Report
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


def test_an_article_raises_candidates_keyed_by_alert_id_and_an_end_reports_its_incident(
        make_article, metrics):
    article = report(make_article, FIRST, "AFP")
    sends = evaluation(metrics).sends(encode(article))
    assert sends and {topic for topic, _, _ in sends} == {"candidates"}
    candidates = [decode(value, Candidate) for _, _, value in sends]
    raid = next(c for c in candidates if c.alert.rule.id == "air-raid")
    assert [key for _, key, _ in sends] == [c.alert.id.encode() for c in candidates]
    assert raid.place == KYIV and raid.alert.incident_id and raid.when
    end = report(make_article, "Fin de l'alerte aérienne à Kyiv, annonce la mairie.", "AFP",
                 id="a9")
    ends = evaluation(metrics).sends(encode(end))
    assert (raid.alert.incident_id.encode(), encode(Report(end=raid.alert.incident_id))) in [
        (key, value) for topic, key, value in ends if topic == "reports"]
    assert metrics.registry.get_sample_value("vigie_alert_articles_evaluated_total") == 2


def test_a_record_that_is_no_article_is_refused(metrics):
    with pytest.raises(InvalidMessage):
        evaluation(metrics).sends(b'{"not": "an article"}')


def raised(make_article, metrics) -> Alert:
    sends = evaluation(metrics).sends(encode(report(make_article, FIRST, "AFP")))
    return next(a for a in (decode(v, Candidate).alert for _, _, v in sends)
                if a.rule.id == "air-raid")


def publication(metrics, table: dict, latest=None) -> Publication:
    return Publication(table, metrics, window_s=WINDOW_S, max_chars=100_000, alerts="alerts",
                       reports="reports", route=lambda name: f"route:{name}", latest=latest)


def test_the_first_candidate_of_an_alert_id_is_published_the_next_suppressed(
        make_article, metrics):
    alert, table, latest = raised(make_article, metrics), {}, collections.deque()
    publish = publication(metrics, table, latest)
    candidate = encode(Candidate(alert=alert, topic="air", place=KYIV, when="2025-08-22T01:56:00Z"))
    outgoing = publish.first(candidate)
    key = alert.id.encode()
    assert [(topic, k) for topic, k, _ in outgoing.sends] == [
        ("alerts", key), ("route:air", key), ("reports", alert.incident_id.encode())]
    published = decode(outgoing.sends[0].value, Alert)
    assert published.id == alert.id and outgoing.sends[1].value == outgoing.sends[0].value
    assert published.latency_ms >= alert.latency_ms
    assert decode(outgoing.sends[2].value, Report) == Report(
        alert=published, place=KYIV, when="2025-08-22T01:56:00Z")
    assert publish.first(candidate) is not None  # not recorded before its records are sent
    publish.sent(outgoing, partition=3)
    assert table[alert.id] == [outgoing.at, 3] and list(latest) == [to_dict(published)]
    assert publish.first(candidate) is None
    sample = metrics.registry.get_sample_value
    assert sample("vigie_alert_duplicates_suppressed_total") == 1
    assert sample("vigie_alert_alerts_total", {"rule": "air-raid", "severity": "critical"}) == 1


def test_a_candidate_without_incident_is_published_and_reports_no_incident(make_article, metrics):
    alert = raised(make_article, metrics)
    alert.incident_id = None
    outgoing = publication(metrics, {}).first(encode(Candidate(alert=alert)))
    assert [topic for topic, _, _ in outgoing.sends] == ["alerts"]


def test_a_candidate_without_event_time_reports_its_detection_time(make_article, metrics):
    alert = raised(make_article, metrics)
    outgoing = publication(metrics, {}).first(encode(Candidate(alert=alert)))
    report_sent = decode(outgoing.sends[-1].value, Report)
    assert report_sent.place is None and report_sent.when == report_sent.alert.detected_at
