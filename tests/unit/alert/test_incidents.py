"""Incidents: which alerts share one, and how the tracker folds them into records."""

from __future__ import annotations

import datetime as dt

from vigie.alert.evaluate import Evaluator
from vigie.alert.incidents.identity import event_time, incident_place
from vigie.alert.incidents.model import Tracker
from vigie.alert.rules import RuleBook
from vigie.shared.messages import DateMention, Entity, Mention, Place, Source

KYIV = Place(name="Kyiv", kind="city", country="UA", region="UA-30", lat=50.45, lon=30.52,
             geonames_id=703448)
UKRAINE = Place(name="Ukraine", kind="country", country="UA", lat=50.45, lon=30.52)
NOW = dt.datetime(2025, 8, 22, 14, 0, tzinfo=dt.timezone.utc)


def located(text: str, name: str, place: Place) -> Entity:
    mentions = [Mention(text=name, start=i, end=i + len(name))
                for i in range(len(text)) if text.startswith(name, i)]
    return Entity(name=name, label="LOC", count=len(mentions), mentions=mentions, place=place)


def report(make_article, text: str, source: str, **changes):
    entities = [located(text, "Ukraine", UKRAINE), located(text, "Kyiv", KYIV)]
    return make_article(text, entities=[e for e in entities if e.count],
                        source=Source(kind="feed", name=source), **changes)


FIRST = "En Ukraine, la guerre continue. Une alerte aérienne a retenti à Kyiv à 1 h 56."
SECOND = "Les sirènes de l'alerte aérienne ont sonné cette nuit à Kyiv, en Ukraine."


def test_the_place_is_that_of_the_sentence_a_town_before_a_country(make_article):
    article = report(make_article, FIRST, "AFP")
    ((alert, _),) = Evaluator(RuleBook_shipped()).evaluate(article, now=NOW)
    assert incident_place(article.text, alert.matches, article.entities) == KYIV


def test_the_event_time_is_the_one_the_sentence_gives(make_article):
    article = report(make_article, FIRST, "AFP", dates=[
        DateMention(text="1 h 56", start=FIRST.index("1 h 56"), end=len(FIRST) - 1,
                    value="2025-08-22T01:56", relative=True, anchor="2025-08-22")])
    matches = Evaluator(RuleBook_shipped()).evaluate(article, now=NOW)[0][0].matches
    assert event_time(article.text, matches, article.dates, "2025-08-22",
                      "2025-08-22T14:00:00.000Z") == "2025-08-22T01:56:00.000Z"
    assert event_time(article.text, matches, [], "2025-08-22",
                      "2025-08-22T14:00:00.000Z") == "2025-08-22T00:00:00.000Z"


def test_two_reports_of_one_event_share_an_incident_another_day_does_not(make_article):
    evaluator = Evaluator(RuleBook_shipped())
    first = evaluator.evaluate(report(make_article, FIRST, "AFP"), now=NOW)
    second = evaluator.evaluate(report(make_article, SECOND, "Le Monde", id="a2"), now=NOW)
    later = evaluator.evaluate(report(make_article, SECOND, "Le Monde", id="a3",
                                      published="2025-08-25"), now=NOW)
    raids = [alert for alert, _ in first + second + later if alert.rule.id == "air-raid"]
    assert len(raids) == 3 and None not in {alert.incident_id for alert in raids}
    assert raids[0].incident_id == raids[1].incident_id != raids[2].incident_id


def RuleBook_shipped() -> RuleBook:  # noqa: N802 - reads as the thing it returns
    from .conftest import SHIPPED_RULES

    return RuleBook(SHIPPED_RULES)


def test_the_tracker_opens_updates_coalesces_and_closes(make_article):
    evaluator = Evaluator(RuleBook_shipped())
    alerts = [evaluator.evaluate(report(make_article, FIRST, f"feed {n}", id=f"a{n}"), now=NOW)
              [0][0] for n in range(20)]
    tracker = Tracker(update_min_s=30, quiet_s=3600)
    state, sent = None, []
    for second, alert in enumerate(alerts):  # twenty reports in twenty seconds
        state = tracker.report(state, alert, KYIV, "2025-08-22T01:56:00.000Z", 1000.0 + second)
        state, record = tracker.release(state, 1000.0 + second)
        sent += [record] if record else []
    state, record = tracker.release(state, 1040.0)  # the coalesced update goes out later
    sent.append(record)
    assert [(r.status, r.revision, r.reports) for r in sent] == [("open", 1, 1), ("update", 2, 20)]
    assert len(sent[-1].sources) == 20 and sent[-1].place == KYIV
    assert tracker.report(state, alerts[3], KYIV, "x", 1041.0) is state  # a redelivery
    assert not tracker.quiet(state, 1019.0 + 3599) and tracker.quiet(state, 1019.0 + 3600)
    state, closed = tracker.release(tracker.close(state, "quiet", 5000.0), 5000.0)
    assert (closed.status, closed.closed_by, closed.revision) == ("closed", "quiet", 3)
    assert closed.ended_at == "1970-01-01T01:23:20.000Z"


def test_an_end_report_names_the_incident_it_closes_and_is_no_alert(make_article):
    evaluator = Evaluator(RuleBook_shipped())
    ((alert, _),) = [(a, t) for a, t in evaluator.evaluate(report(make_article, FIRST, "AFP"),
                                                          now=NOW) if a.rule.id == "air-raid"]
    end = report(make_article, "Fin de l'alerte aérienne à Kyiv, annonce la mairie.", "AFP",
                 id="a9")
    alerts, ends = evaluator.assess(end, now=NOW)
    assert alerts == [] and alert.incident_id in ends
    russian = report(make_article, "Отбой воздушной тревоги в Kyiv.", "RIA", id="a8")
    assert alert.incident_id in evaluator.assess(russian, now=NOW)[1]


def test_a_record_sent_before_a_crash_replaces_the_older_state_it_came_from(make_article):
    """The state of a record that went out can be lost in a crash; adopting the record read
    back keeps the revision chain and knows the reports it folded when they are redelivered."""
    evaluator = Evaluator(RuleBook_shipped())
    alerts = [evaluator.evaluate(report(make_article, FIRST, f"feed {n}", id=f"a{n}"), now=NOW)
              [0][0] for n in range(3)]
    tracker = Tracker(update_min_s=30, quiet_s=3600)
    when = "2025-08-22T01:56:00.000Z"
    restored, _ = tracker.release(tracker.report(None, alerts[0], KYIV, when, 1000.0), 1000.0)
    lost = tracker.report(restored, alerts[1], KYIV, when, 1031.0)
    lost, sent = tracker.release(lost, 1031.0)  # revision 2 went out, its state did not
    adopted = Tracker.adopt(restored, sent)
    assert adopted.record.revision == 2 and not adopted.due
    assert tracker.report(adopted, alerts[1], KYIV, when, 1032.0) is adopted  # redelivered
    state, record = tracker.release(tracker.report(adopted, alerts[2], KYIV, when, 1070.0), 1070.0)
    assert (record.revision, record.reports, record.status) == (3, 3, "update")
    assert Tracker.adopt(state, sent) is None  # already known
    assert Tracker.adopt(None, sent).seen == sorted(sent.alert_ids)
