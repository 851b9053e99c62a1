"""The tracker alone: a track's reports → periods, each one incident, by event time only."""

from __future__ import annotations

import itertools

from vigie.alert.incidents.identity import incident_id
from vigie.alert.incidents.model import AlertReport, EndReport, TrackState
from vigie.alert.incidents.periods import Tracker
from vigie.shared.messages import Alert, ArticleRef, Place, RuleRef, Source
from vigie.shared.timestamps import epoch

DONETSK = Place(name="Donetsk Oblast", kind="region", country="UA", region="UA-14")
RULE = RuleRef(id="air-raid", severity="critical")
QUIET_S, CHANNEL_QUIET_S = 3 * 3600.0, 24 * 3600.0
WALL = 0.0  # the wall clock only times what is forgotten, not tested here


def tracker() -> Tracker:
    return Tracker(update_min_s=30, quiet_s=QUIET_S, channel_quiet_s=CHANNEL_QUIET_S,
                   window_s=6 * 3600)


def track() -> TrackState:
    return TrackState(rule=RULE, place=DONETSK)


def alert(name: str, source: str = "air_alert_ua") -> Alert:
    return Alert(id=f"alert-{name}", rule=RULE, story_id=name, matches=[],
                 article=ArticleRef(id=name, source=Source(kind="channel", name=source)),
                 snippet=f"Повітряна тривога ({name})", detected_at="2026-01-01T00:00:00Z",
                 latency_ms=0.0)


def start(when: str, name: str | None = None, exact: bool = True, **fields) -> AlertReport:
    return AlertReport(alert=alert(name or when, **fields), place=DONETSK, when=when,
                       exact=exact)


def end(when: str) -> EndReport:
    return EndReport(rule=RULE, place=DONETSK, when=when)


def fold(reports, clock: float | None = None, state: TrackState | None = None) -> TrackState:
    """Each report in turn, the partition's clock at the newest event time so far."""
    folder, state, newest = tracker(), state or track(), 0.0
    for report in reports:
        newest = max(newest, epoch(report.when))
        now = newest if clock is None else clock
        if isinstance(report, EndReport):
            state = folder.end(state, report, WALL)
        else:
            state = folder.report(state, report, now, WALL)[0]
    return state


def periods(state: TrackState) -> list[tuple[str, str | None, str | None, int]]:
    return [(p.record.started_at, p.record.ended_at, p.record.closed_by, p.record.reports)
            for p in state.periods]


S1, E1 = "2023-10-24T12:20:09.000Z", "2023-10-24T13:31:39.000Z"
S2, E2 = "2023-10-24T15:40:14.000Z", "2023-10-24T16:58:14.000Z"
TWO_SIRENS = [(S1, E1, "report", 1), (S2, E2, "report", 1)]


def test_start_end_start_again_are_two_incidents_with_ids_from_their_starts():
    state = fold([start(S1), end(E1), start(S2)])
    assert periods(state) == [(S1, E1, "report", 1), (S2, None, None, 1)]
    assert [p.record.id for p in state.periods] == [
        incident_id("air-raid", DONETSK, S1), incident_id("air-raid", DONETSK, S2)]
    assert periods(fold([start(S1), end(E1), start(S2), end(E2)])) == TWO_SIRENS


def test_the_same_sirens_read_in_any_order_make_the_same_incidents():
    """A backfill reads a day's posts through several partitions: the end of a siren can come
    before its start. Every order of two sirens gives the two periods, with the same ids."""
    expected = fold([start(S1), end(E1), start(S2), end(E2)])
    for order in itertools.permutations([start(S1), end(E1), start(S2), end(E2)]):
        state = fold(order)
        assert periods(state) == TWO_SIRENS, order
        assert [p.record.id for p in state.periods] == [p.record.id for p in expected.periods]
        assert state.ends == []


def test_a_news_report_inside_a_period_joins_it_and_one_after_its_end_does_not():
    inside = start("2023-10-24T12:40:00.000Z", "news-1", exact=False, source="Ukrinform")
    after = start("2023-10-24T14:00:00.000Z", "news-2", exact=False, source="Ukrinform")
    state = fold([start(S1), inside, end(E1), after])
    assert periods(state) == [(S1, E1, "report", 2), ("2023-10-24T14:00:00.000Z", None, None, 1)]
    assert state.periods[0].record.sources == ["Ukrinform", "air_alert_ua"]
    late = start("2023-10-24T13:00:00.000Z", "news-3", exact=False)  # read after the end
    assert periods(fold([late], state=state))[0] == (S1, E1, "report", 3)


def test_a_second_channel_start_is_a_new_period_whose_end_is_still_to_come():
    state = fold([start(S1), start(S2)])
    assert periods(state) == [(S1, None, None, 1), (S2, None, None, 1)]
    assert periods(fold([end(E1), end(E2)], state=state)) == TWO_SIRENS


def test_news_reports_read_out_of_order_stay_one_incident():
    later = start("2025-08-21T23:07:00.000Z", "news-7", exact=False)
    earlier = start("2025-08-21T23:03:00.000Z", "news-3", exact=False)
    state = fold([later, earlier])
    assert periods(state) == [("2025-08-21T23:03:00.000Z", None, None, 2)]
    assert state.periods[0].record.id == incident_id("air-raid", DONETSK, later.when)


def test_a_quiet_period_closes_at_its_last_report_plus_the_quiet_time():
    news = [start("2025-08-22T01:00:00.000Z", "n1", exact=False),
            start("2025-08-22T02:00:00.000Z", "n2", exact=False)]
    state = fold(news)
    assert tracker().expire(state, epoch("2025-08-22T04:59:59Z"), WALL).periods[0].closed is False
    closed = tracker().expire(state, epoch("2025-08-22T05:00:00Z"), WALL)
    assert periods(closed) == [("2025-08-22T01:00:00.000Z", "2025-08-22T05:00:00.000Z",
                                "quiet", 2)]
    # a report of a later day opens a new incident; the first one closed the same way
    next_day = start("2025-08-23T10:00:00.000Z", "n3", exact=False)
    assert periods(fold([next_day], state=state))[0][1:] == ("2025-08-22T05:00:00.000Z",
                                                            "quiet", 2)
    # a channel-started period waits longer for its end post: sirens last hours
    siren = fold([start(S1)])
    assert not tracker().expire(siren, epoch(S1) + 10 * 3600, WALL).periods[0].closed


def test_a_late_report_inside_a_quiet_closed_period_moves_its_end_or_reopens_it():
    first = start("2025-08-22T01:00:00.000Z", "n1", exact=False)
    state = tracker().expire(fold([first]), epoch("2025-08-22T09:00:00Z"), WALL)
    late = start("2025-08-22T03:00:00.000Z", "n2", exact=False)
    assert periods(fold([late], clock=epoch("2025-08-22T09:00:00Z"), state=state)) == [
        ("2025-08-22T01:00:00.000Z", "2025-08-22T06:00:00.000Z", "quiet", 2)]
    assert periods(fold([late], clock=epoch("2025-08-22T05:00:00Z"), state=state)) == [
        ("2025-08-22T01:00:00.000Z", None, None, 2)]


def test_an_end_closes_a_quiet_closed_period_by_report_and_a_redelivery_changes_nothing():
    first = start("2025-08-22T01:00:00.000Z", "n1", exact=False)
    state = tracker().expire(fold([first]), epoch("2026-01-01T00:00:00Z"), WALL)
    state = fold([end("2025-08-22T01:00:00.000Z")], state=state)
    assert periods(state) == [("2025-08-22T01:00:00.000Z", "2025-08-22T01:00:00.000Z",
                               "report", 1)]
    again, period, new = tracker().report(state, first, epoch("2026-01-01T00:00:00Z"), WALL)
    assert again is state and not new and period.record.id == state.periods[0].record.id


def test_records_open_coalesce_and_close_and_a_backfilled_period_sends_open_then_closed():
    folder, state = tracker(), track()
    sent = []
    for second in range(20):  # twenty reports in twenty seconds of event time
        report = start(f"2025-08-22T01:56:{second:02d}.000Z", f"n{second}", exact=False,
                       source=f"feed {second}")
        clock = epoch(report.when)
        state, _, _ = folder.report(state, report, clock, WALL)
        period, records = folder.release(state.periods[0], clock, wall=1000.0 + second)
        state.periods[0] = period
        sent += records
    period, records = folder.release(state.periods[0], epoch("2025-08-22T01:56:50Z"), 1050.0)
    sent += records
    assert [(r.status, r.revision, r.reports) for r in sent] == [("open", 1, 1),
                                                                 ("update", 2, 20)]
    assert sent[0].updated_at == "1970-01-01T00:16:40.000Z"  # the time it was written
    # a backfill's clock leaps through the reports' times: the wall clock still spaces records
    late = start("2025-08-22T03:00:00.000Z", "n99", exact=False)
    state.periods[0] = period
    state, _, _ = folder.report(state, late, epoch(late.when), 1051.0)
    assert folder.release(state.periods[0], epoch(late.when), 1051.0)[1] == []
    assert folder.release(state.periods[0], epoch(late.when), 1080.0)[1][0].reports == 21
    backfilled = fold([end(E1), start(S1)])
    _, records = folder.release(backfilled.periods[0], epoch(E1), 2000.0)
    assert [(r.status, r.revision, r.ended_at) for r in records] == [
        ("open", 1, None), ("closed", 2, E1)]


def test_a_record_sent_before_a_crash_replaces_the_older_state_it_came_from():
    """The state of a record that went out can be lost in a crash; adopting the record read
    back keeps the revision chain and knows the reports it folded when they are redelivered."""
    folder = tracker()
    clock = epoch(S1)
    state, _, _ = folder.report(track(), start(S1), clock, WALL)
    period, _ = folder.release(state.periods[0], clock, 1000.0)
    restored = TrackState(rule=RULE, place=DONETSK, periods=[period])
    lost, _, _ = folder.report(restored, start("2023-10-24T12:40:00.000Z", "n1", exact=False),
                               clock + 1200, WALL)
    _, (sent,) = folder.release(lost.periods[0], clock + 1200, 1100.0)  # revision 2 went out
    adopted = Tracker.adopt(restored, sent, clock + 1300)
    assert adopted.periods[0].record.revision == 2 and not adopted.periods[0].due
    redelivered = start("2023-10-24T12:40:00.000Z", "n1", exact=False)
    assert folder.report(adopted, redelivered, clock + 1300, WALL)[2] is False
    assert Tracker.adopt(adopted, sent, clock + 1300) is None  # known already
    assert Tracker.adopt(None, sent, clock).periods[0].seen == sent.alert_ids
