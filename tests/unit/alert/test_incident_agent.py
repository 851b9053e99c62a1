"""The track agent's logic without a broker: ``IncidentKeeper`` over a plain dict as its table,
sending records through a list that stands for ``news.incidents`` (an offset per record)."""

from __future__ import annotations

import asyncio

import pytest

from vigie.alert.incidents.agent import MARK, IncidentKeeper
from vigie.alert.incidents.model import STATE_VERSION, IncidentState, Report, Tracker
from vigie.shared.messages import Alert, ArticleRef, Incident, Place, RuleRef, Source

KYIV = Place(name="Kyiv", kind="city", country="UA", region="UA-30")
WHEN = "2025-08-22T01:56:00.000Z"
WINDOW_S = 7200.0


def alert(n: int, incident: str = "i1") -> Alert:
    return Alert(id=f"al{n}", rule=RuleRef(id="air-raid", severity="critical"),
                 article=ArticleRef(id=f"a{n}", source=Source(kind="feed", name=f"feed {n}")),
                 story_id=f"a{n}", matches=[], snippet="Une alerte aérienne a retenti à Kyiv.",
                 detected_at="2025-08-22T02:00:00.000Z", latency_ms=1.0, incident_id=incident)


class Topic:
    """The records delivered, in order; a record's offset is its index."""

    def __init__(self) -> None:
        self.records: list[tuple[int, Incident]] = []
        self.fail_next = False

    async def deliver(self, record: Incident, partition: int) -> int:
        if self.fail_next:
            self.fail_next = False
            raise ConnectionError("not delivered")
        self.records.append((partition, record))
        return len(self.records) - 1

    def seen(self) -> list[tuple[str, str, int, int]]:
        return [(r.id, r.status, r.revision, r.reports) for _, r in self.records]


def keeper(table: dict | None = None, topic: Topic | None = None) -> IncidentKeeper:
    return IncidentKeeper({} if table is None else table, Tracker(update_min_s=30, quiet_s=600),
                          WINDOW_S, (topic or Topic()).deliver)


def handle(keeper: IncidentKeeper, report: Report, now: float, partition: int = 0) -> None:
    keeper.settle(partition)
    asyncio.run(keeper.handle(report, partition, now))


def reported(n: int, incident: str = "i1") -> Report:
    return Report(alert=alert(n, incident), place=KYIV, when=WHEN)


def test_a_burst_is_one_open_and_one_update_sent_on_a_tick_with_the_mark_after_each():
    topic, table = Topic(), {}
    incidents = keeper(table, topic)
    for second in range(5):
        handle(incidents, reported(second), 1000.0 + second, partition=1)
    assert topic.seen() == [("i1", "open", 1, 1)]
    assert table[MARK + "1"] == 0 and table["i1"]["partition"] == 1 and table["i1"]["due"]
    handle(incidents, Report(tick=True), 1020.0, partition=1)  # not yet: 30 s between records
    handle(incidents, Report(tick=True), 1031.0, partition=0)  # not its partition
    assert len(topic.records) == 1
    handle(incidents, Report(tick=True), 1031.0, partition=1)
    assert topic.seen() == [("i1", "open", 1, 1), ("i1", "update", 2, 5)]
    assert [p for p, _ in topic.records] == [1, 1] and table[MARK + "1"] == 1
    assert not table["i1"]["due"] and incidents.open_counts() == {("air-raid", "UA"): 1}


def test_an_end_closes_at_once_and_the_closed_incident_leaves_one_window_later():
    topic, table = Topic(), {}
    incidents = keeper(table, topic)
    handle(incidents, reported(1), 1000.0)
    handle(incidents, Report(end="i1"), 1001.0)
    handle(incidents, Report(end="i1"), 1002.0)  # closed already: nothing more
    handle(incidents, Report(end="unknown"), 1002.0)
    assert topic.seen() == [("i1", "open", 1, 1), ("i1", "closed", 2, 1)]
    assert topic.records[-1][1].closed_by == "report" and incidents.open_counts() == {}
    handle(incidents, Report(tick=True), 1000.0 + WINDOW_S)
    assert "i1" in table
    handle(incidents, Report(tick=True), 1001.0 + WINDOW_S)
    assert "i1" not in table and table[MARK + "0"] == 1


def test_a_quiet_incident_closes_on_a_tick():
    topic = Topic()
    incidents = keeper(topic=topic)
    handle(incidents, reported(1), 1000.0)
    handle(incidents, Report(tick=True), 1599.0)
    handle(incidents, Report(tick=True), 1600.0)
    assert topic.seen() == [("i1", "open", 1, 1), ("i1", "closed", 2, 1)]
    assert topic.records[-1][1].closed_by == "quiet"


def test_a_record_not_delivered_leaves_no_state_and_the_redelivered_report_sends_it():
    topic, table = Topic(), {}
    incidents = keeper(table, topic)
    topic.fail_next = True
    with pytest.raises(ConnectionError):
        handle(incidents, reported(1), 1000.0)
    assert table == {}
    handle(incidents, reported(1), 1001.0)
    assert topic.seen() == [("i1", "open", 1, 1)] and table[MARK + "0"] == 0


def test_records_sent_past_the_mark_replace_the_restored_state_before_the_next_report():
    """A crash between a delivery and its state: the table restored holds revision 1 and the
    mark of revision 1; the record of revision 2 is read back, and nothing is sent twice."""
    topic, table = Topic(), {}
    incidents = keeper(table, topic)
    handle(incidents, reported(1), 1000.0, partition=2)
    restored = dict(table)
    handle(incidents, reported(2), 1031.0, partition=2)  # revision 2 went out
    lost_record = topic.records[-1][1]
    table.clear()
    table.update(restored)  # ...and its state was lost
    after = keeper(table, topic)
    assert after.start_offsets([2, 3]) == {2: 1, 3: 0}
    after.read_back({2: {"i1": lost_record}, 3: {}})
    handle(after, reported(2), 1032.0, partition=2)  # redelivered: known now
    assert topic.seen() == [("i1", "open", 1, 1), ("i1", "update", 2, 2)]
    assert IncidentState.from_table(table["i1"]).partition == 2
    handle(after, reported(3), 1070.0, partition=2)
    assert topic.seen()[-1] == ("i1", "update", 3, 3)


# A state as the table held it before states had a version: a JSON object of the same fields.
OLD_STATE = {
    "record": {"schema_version": 1, "id": "i1", "rule": {"id": "air-raid", "severity": "critical",
                                                          "description": ""},
               "status": "update", "place": {"name": "Kyiv", "kind": "city", "country": "UA",
                                             "region": "UA-30", "lat": None, "lon": None,
                                             "geonames_id": None},
               "started_at": WHEN, "updated_at": "1970-01-01T00:16:40.000Z", "ended_at": None,
               "closed_by": None, "reports": 2, "sources": ["feed 1", "feed 2"],
               "alert_ids": ["al1", "al2"], "headline": "Une alerte aérienne.", "revision": 2},
    "seen": ["al1", "al2"], "last_report": 1000.0, "sent_at": 1000.0, "due": False,
    "partition": 0,
}


def test_a_state_written_before_states_had_a_version_reads_as_version_one():
    state = IncidentState.from_table(OLD_STATE)
    assert state.schema_version == STATE_VERSION == 1
    assert (state.record.rule.id, state.record.place, state.record.revision) == (
        "air-raid", KYIV, 2)
    assert (state.seen, state.sent_at, state.due, state.partition) == (
        ["al1", "al2"], 1000.0, False, 0)
    # written back with the version, and the fields places gained since at their defaults
    place = OLD_STATE["record"]["place"] | {"local_name": None}
    assert state.to_table() == {"schema_version": 1, **OLD_STATE,
                                "record": OLD_STATE["record"] | {"place": place}}


def test_an_old_state_in_the_table_goes_on_from_where_it_was():
    topic, table = Topic(), {"i1": OLD_STATE}
    incidents = keeper(table, topic)
    assert incidents.open_counts() == {("air-raid", "UA"): 1}
    handle(incidents, reported(2), 1040.0)  # folded before: a redelivery
    handle(incidents, Report(tick=True), 1040.0)
    assert topic.records == []
    handle(incidents, reported(3), 1041.0)
    assert topic.seen() == [("i1", "update", 3, 3)]
    assert table["i1"]["schema_version"] == STATE_VERSION and table["i1"]["seen"][-1] == "al3"
