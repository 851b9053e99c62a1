"""The track agent's logic without a broker: ``IncidentKeeper`` over a plain dict as its table,
sending records through a list that stands for ``news.incidents`` (an offset per record) and
alerts through a list that stands for ``news.alerts``; then the whole alert stage (evaluate →
publish → track) on channel posts, live and as a backfill."""

from __future__ import annotations

import asyncio
import csv
import datetime as dt
import random
import zlib
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from prometheus_client import CollectorRegistry

from vigie.alert.candidates import Evaluation, Publication
from vigie.alert.evaluate import Evaluator
from vigie.alert.incidents.agent import CLOCK, MARK, IncidentKeeper
from vigie.alert.incidents.identity import incident_id, track_key
from vigie.alert.incidents.model import (
    AlertReport,
    EndReport,
    LegacyState,
    Tick,
    TrackState,
    decode_report,
)
from vigie.alert.incidents.periods import Tracker
from vigie.alert.metrics import AlertMetrics
from vigie.shared.messages import Alert, ArticleRef, Incident, Place, RuleRef, Source, encode
from vigie.shared.timestamps import epoch

from .test_incidents import (
    DNIPRO,
    MARHANETS,
    NIKOPOL,
    PARTIAL,
    SEVERAL,
    RuleBook_shipped,
    located,
    post,
)

KYIV = Place(name="Kyiv", kind="city", country="UA", region="UA-30")
RULE = RuleRef(id="air-raid", severity="critical")
WHEN = "2025-08-22T01:56:00.000Z"
T0 = epoch(WHEN)  # a live worker's wall clock, in step with the reports
WINDOW_S, QUIET_S = 7200.0, 600.0
TRACK = track_key("air-raid", KYIV)
INCIDENT = incident_id("air-raid", KYIV, WHEN)


def alert(n: int) -> Alert:
    return Alert(id=f"al{n}", rule=RULE,
                 article=ArticleRef(id=f"a{n}", source=Source(kind="feed", name=f"feed {n}")),
                 story_id=f"a{n}", matches=[], snippet="Une alerte aérienne a retenti à Kyiv.",
                 detected_at="2025-08-22T02:00:00.000Z", latency_ms=1.0)


class Topics:
    """The records delivered (a record's offset is its index) and the alerts published. A
    record queued is delivered at the event loop's next turn, as a broker's answer comes
    later; ``fail_next`` refuses the next one; ``log`` tells queuing and delivery apart."""

    def __init__(self) -> None:
        self.records: list[tuple[int, Incident]] = []
        self.alerts: list[Alert] = []
        self.fail_next = False
        self.log: list[tuple[str, str]] = []

    async def send(self, record: Incident, partition: int) -> asyncio.Future[int]:
        self.log.append(("queued", record.id))
        delivery = asyncio.get_running_loop().create_future()
        refused, self.fail_next = self.fail_next, False
        asyncio.get_running_loop().call_soon(self.deliver, delivery, record, partition, refused)
        return delivery

    def deliver(self, delivery: asyncio.Future, record: Incident, partition: int,
                refused: bool) -> None:
        if refused:
            delivery.set_exception(ConnectionError("not delivered"))
            return
        self.log.append(("delivered", record.id))
        self.records.append((partition, record))
        delivery.set_result(len(self.records) - 1)

    async def publish(self, alert: Alert, topic: str | None) -> None:
        self.alerts.append(alert)

    def seen(self) -> list[tuple[str, str, int, int]]:
        return [(r.id, r.status, r.revision, r.reports) for _, r in self.records]

    def latest(self) -> dict[str, Incident]:
        return {r.id: r for _, r in self.records}


def tracker() -> Tracker:
    return Tracker(update_min_s=30, quiet_s=QUIET_S, channel_quiet_s=86400.0,
                   window_s=WINDOW_S)


def keeper(table: dict | None = None, topics: Topics | None = None) -> IncidentKeeper:
    topics = topics or Topics()
    return IncidentKeeper({} if table is None else table, tracker(), topics.send,
                          topics.publish)


def handle(keeper: IncidentKeeper, report, wall: float, partition: int = 0) -> None:
    keeper.settle(partition, wall)
    asyncio.run(keeper.handle(report, partition, wall))


def reported(n: int, when: str = WHEN) -> AlertReport:
    return AlertReport(alert=alert(n), place=KYIV, when=when)


def ended(when: str = WHEN) -> EndReport:
    return EndReport(rule=RULE, place=KYIV, when=when)


def test_a_burst_is_one_open_and_one_update_sent_on_a_tick_each_alert_naming_its_incident():
    topics, table = Topics(), {}
    incidents = keeper(table, topics)
    for second in range(5):
        handle(incidents, reported(second), T0 + second, partition=1)
    assert topics.seen() == [(INCIDENT, "open", 1, 1)]
    assert [a.incident_id for a in topics.alerts] == [INCIDENT] * 5
    assert table[MARK + "1"] == 0 and table[TRACK]["partition"] == 1
    handle(incidents, Tick(), T0 + 20, partition=1)  # not yet: 30 s between records
    handle(incidents, Tick(), T0 + 31, partition=0)  # not its partition
    assert len(topics.records) == 1
    handle(incidents, Tick(), T0 + 31, partition=1)
    assert topics.seen() == [(INCIDENT, "open", 1, 1), (INCIDENT, "update", 2, 5)]
    assert [p for p, _ in topics.records] == [1, 1] and table[MARK + "1"] == 1
    assert incidents.open_counts() == {("air-raid", "UA"): 1}
    handle(incidents, reported(3), T0 + 40, partition=1)  # redelivered: not published again
    assert len(topics.alerts) == 5


def test_an_end_closes_at_once_and_the_closed_incident_leaves_one_window_later():
    topics, table = Topics(), {}
    incidents = keeper(table, topics)
    handle(incidents, reported(1), T0)
    handle(incidents, ended("2025-08-22T02:05:00.000Z"), T0 + 1)
    handle(incidents, ended("2025-08-22T02:05:00.000Z"), T0 + 2)  # the same end: nothing more
    assert topics.seen() == [(INCIDENT, "open", 1, 1), (INCIDENT, "closed", 2, 1)]
    closed = topics.records[-1][1]
    assert (closed.closed_by, closed.ended_at) == ("report", "2025-08-22T02:05:00.000Z")
    assert incidents.open_counts() == {}
    end_s = epoch(closed.ended_at)
    handle(incidents, Tick(), end_s + WINDOW_S)
    assert TRACK in table
    handle(incidents, Tick(), end_s + WINDOW_S + 1)
    assert TRACK not in table and table[MARK + "0"] == 1


def test_a_quiet_incident_closes_on_a_tick_when_the_partition_clock_passes_its_quiet_time():
    topics = Topics()
    incidents = keeper(topics=topics)
    handle(incidents, reported(1), T0)
    handle(incidents, Tick(), T0 + QUIET_S - 1)  # idle: the clock follows the wall clock
    handle(incidents, Tick(), T0 + QUIET_S)
    assert topics.seen() == [(INCIDENT, "open", 1, 1), (INCIDENT, "closed", 2, 1)]
    assert (topics.records[-1][1].closed_by, topics.records[-1][1].ended_at) == (
        "quiet", "2025-08-22T02:06:00.000Z")


def test_a_replay_a_year_later_closes_nothing_early_and_times_are_the_reports():
    """The same reports read a year later, all at once, ticks in between: the clock is the
    reports' time, not the worker's."""
    topics = Topics()
    incidents = keeper(topics=topics)
    year_later = T0 + 365 * 86400
    handle(incidents, reported(1), year_later)
    handle(incidents, Tick(), year_later + 30)
    handle(incidents, reported(2, "2025-08-22T02:05:00.000Z"), year_later + 31)
    handle(incidents, Tick(), year_later + 61)
    assert topics.seen() == [(INCIDENT, "open", 1, 1), (INCIDENT, "update", 2, 2)]
    handle(incidents, reported(3, "2025-08-22T02:16:00.000Z"), year_later + 62)
    new = incident_id("air-raid", KYIV, "2025-08-22T02:16:00.000Z")
    assert topics.seen()[2:] == [(INCIDENT, "closed", 3, 2), (new, "open", 1, 1)]
    assert topics.records[2][1].ended_at == "2025-08-22T02:15:00.000Z"  # quiet since 02:05
    assert topics.alerts[-1].incident_id == new


def test_a_record_not_delivered_leaves_no_state_and_the_redelivered_report_sends_it():
    topics, table = Topics(), {}
    incidents = keeper(table, topics)
    topics.fail_next = True
    with pytest.raises(ConnectionError):
        handle(incidents, reported(1), T0)
    assert TRACK not in table and MARK + "0" not in table
    handle(incidents, reported(1), T0 + 1)
    assert topics.seen() == [(INCIDENT, "open", 1, 1)] and table[MARK + "0"] == 0
    assert [a.id for a in topics.alerts] == ["al1", "al1"]  # at least once, one id


LVIV = Place(name="Lviv", kind="city", country="UA", region="UA-46")


def two_tracks_with_updates_due(topics: Topics) -> tuple[IncidentKeeper, dict]:
    """Kyiv and Lviv open on partition 0, each with a second report since: updates due."""
    table: dict = {}
    incidents = keeper(table, topics)
    for n, place in enumerate([KYIV, LVIV, KYIV, LVIV]):
        handle(incidents, AlertReport(alert=alert(n), place=place, when=WHEN), T0 + n)
    topics.log.clear()
    return incidents, table


def test_a_tick_queues_every_record_due_before_awaiting_one_and_keeps_states_after():
    """One round trip for a tick's updates, not one per record; each state is kept only once
    its record is delivered, the mark last."""
    topics = Topics()
    incidents, table = two_tracks_with_updates_due(topics)
    handle(incidents, Tick(), T0 + 40)
    lviv = incident_id("air-raid", LVIV, WHEN)
    assert topics.log == [("queued", INCIDENT), ("queued", lviv),
                          ("delivered", INCIDENT), ("delivered", lviv)]
    assert topics.seen()[-2:] == [(INCIDENT, "update", 2, 2), (lviv, "update", 2, 2)]
    assert table[MARK + "0"] == 3
    for place in (KYIV, LVIV):
        assert TrackState.from_table(table[track_key("air-raid", place)]).periods[0].sent_clock


def test_a_refused_record_keeps_the_tracks_delivered_before_it_and_their_mark_only():
    topics = Topics()
    incidents, table = two_tracks_with_updates_due(topics)
    lviv_key = track_key("air-raid", LVIV)
    before = table[lviv_key]
    asyncio.run(deliver_refusing_the_second(incidents, topics))
    assert topics.seen()[-1] == (INCIDENT, "update", 2, 2) and table[MARK + "0"] == 2
    assert table[lviv_key] == before  # not sent: its update stays due
    handle(incidents, Tick(), T0 + 41)
    assert topics.seen()[-1] == (incident_id("air-raid", LVIV, WHEN), "update", 2, 2)
    assert table[MARK + "0"] == 3


async def deliver_refusing_the_second(incidents: IncidentKeeper, topics: Topics) -> None:
    send = topics.send

    async def refuse_lviv(record: Incident, partition: int) -> asyncio.Future[int]:
        topics.fail_next = record.place == LVIV
        return await send(record, partition)

    incidents.send = refuse_lviv
    with pytest.raises(ConnectionError):
        await incidents.handle(Tick(), 0, T0 + 40)
    incidents.send = send


def test_records_sent_past_the_mark_replace_the_restored_state_before_the_next_report():
    """A crash between a delivery and its state: the table restored holds revision 1 and the
    mark of revision 1; the record of revision 2 is read back, and nothing is sent twice."""
    topics, table = Topics(), {}
    incidents = keeper(table, topics)
    handle(incidents, reported(1), T0, partition=2)
    restored = dict(table)
    handle(incidents, reported(2), T0 + 31, partition=2)  # revision 2 went out
    lost_record = topics.records[-1][1]
    table.clear()
    table.update(restored)  # ...and its state was lost
    after = keeper(table, topics)
    assert after.start_offsets([2, 3]) == {2: 1, 3: 0}
    after.read_back({2: {INCIDENT: lost_record}, 3: {}})
    handle(after, reported(2), T0 + 32, partition=2)  # redelivered: known now
    assert topics.seen() == [(INCIDENT, "open", 1, 1), (INCIDENT, "update", 2, 2)]
    assert TrackState.from_table(table[TRACK]).partition == 2
    handle(after, reported(3), T0 + 70, partition=2)
    assert topics.seen()[-1] == (INCIDENT, "update", 3, 3)


# A state as the table held it before tracks: one incident, keyed by its id (version 1, or
# no version at all), with the times of its worker's clock.
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


def test_an_incident_of_the_previous_version_closes_quietly_then_leaves_the_table():
    state = LegacyState.from_table(OLD_STATE)
    assert (state.schema_version, state.record.revision, state.seen) == (1, 2, ["al1", "al2"])
    topics, table = Topics(), {"i1": OLD_STATE}
    incidents = keeper(table, topics)
    assert incidents.open_counts() == {}  # not a track: no report reaches it any more
    handle(incidents, Tick(), 1000.0 + QUIET_S - 1)
    assert topics.records == [] and "i1" in table
    handle(incidents, Tick(), 1000.0 + QUIET_S)
    assert topics.seen() == [("i1", "closed", 3, 2)] and "i1" not in table
    assert topics.records[0][1].ended_at == "1970-01-01T00:26:40.000Z"


def test_a_report_of_the_previous_version_is_refused_saying_so():
    previous = b'{"alert": null, "end": "4f1c", "tick": false}'
    with pytest.raises(ValueError, match="previous version"):
        decode_report(previous, 1000)
    with pytest.raises(ValueError, match="unreadable event time"):
        decode_report(encode(ended("yesterday")), 1000)
    assert decode_report(encode(Tick()), 1000) == Tick()


class AlertStage:
    """Evaluate → publish → track on hand-built enriched articles, without a broker: reports
    go to the partition their key hashes to, as Kafka's would."""

    PARTITIONS = 4

    def __init__(self) -> None:
        metrics = AlertMetrics(CollectorRegistry())
        self.topics = Topics()
        self.evaluation = Evaluation(Evaluator(RuleBook_shipped()), metrics,
                                     max_chars=100_000, candidates="candidates",
                                     reports="reports")
        self.publication = Publication({}, metrics, window_s=86400.0, max_chars=100_000,
                                       reports="reports", announcement=None)
        self.keeper = IncidentKeeper({}, Tracker(30, 3 * 3600, 86400, 6 * 3600),
                                     self.topics.send, self.topics.publish)
        self.loop = asyncio.new_event_loop()

    def read(self, article, wall: float) -> None:
        for send in self.evaluation.sends(encode(article)):
            if send.topic == "reports":
                self.report(send.key, send.value, wall)
                continue
            outgoing = self.publication.first(send.value)
            if outgoing is not None:
                for forwarded in outgoing.sends:
                    self.report(forwarded.key, forwarded.value, wall)
                self.publication.sent(outgoing, 0)

    def report(self, key: bytes, value: bytes, wall: float) -> None:
        partition = zlib.crc32(key) % self.PARTITIONS
        self.keeper.settle(partition, wall)
        self.loop.run_until_complete(
            self.keeper.handle(decode_report(value, 100_000), partition, wall))

    def tick(self, wall: float) -> None:
        for partition in range(self.PARTITIONS):
            self.loop.run_until_complete(self.keeper.handle(Tick(), partition, wall))

    def incidents(self) -> dict[str, tuple]:
        return {i.id: (i.place.name, i.started_at, i.ended_at, i.status, i.closed_by)
                for i in self.topics.latest().values()}


KYIV_TZ = ZoneInfo("Europe/Kyiv")
SAMPLE = Path(__file__).resolve().parents[4] / "shared" / "sirens" / "official_sample.csv"
OBLASTS = {"Вінницька": "05", "Волинська": "07", "Луганська": "09", "Дніпропетровська": "12",
           "Донецька": "14", "Житомирська": "18", "Закарпатська": "21", "Запорізька": "23",
           "Івано-Франківська": "26", "Київська": "32", "Кіровоградська": "35",
           "Львівська": "46", "Миколаївська": "48", "Одеська": "51", "Полтавська": "53",
           "Рівненська": "56", "Сумська": "59", "Тернопільська": "61", "Харківська": "63",
           "Херсонська": "65", "Хмельницька": "68", "Черкаська": "71", "Чернігівська": "74",
           "Чернівецька": "77"}


def sample_place(row: dict) -> tuple[str, Place]:
    """The place a row names (its most precise), as enrich resolves it."""
    region = "UA-30" if row["oblast"] == "м. Київ" else f"UA-{OBLASTS[row['oblast'].split()[0]]}"
    name, kind = {"oblast": (row["oblast"], "region"), "raion": (row["raion"], "district"),
                  "hromada": (row["hromada"], "community")}[row["level"]]
    kind = "city" if name == "м. Київ" else kind
    return name, Place(name=name, kind=kind, country="UA", region=region)


def sample_posts(make_article) -> tuple[list, set[tuple]]:
    """The sample's rows as the channel's start and end posts, in time order, and the
    incidents they must make."""
    posts, expected = [], set()
    with SAMPLE.open(encoding="utf-8") as rows:
        for number, row in enumerate(csv.DictReader(rows)):
            name, place = sample_place(row)
            times = [dt.datetime.fromisoformat(row[k]) for k in ("started_at", "finished_at")]
            for moment, words in zip(times, ("🔴 {} Повітряна тривога в {}",
                                             "🟢 {} Відбій тривоги в {}."), strict=True):
                text = words.format(moment.astimezone(KYIV_TZ).strftime("%H:%M"), name) + \
                    "\nСлідкуйте за подальшими повідомленнями."
                published = moment.strftime("%Y-%m-%dT%H:%M:%SZ")
                posts.append(post(make_article, text, published, {name: place},
                                  2 * number + len(posts) % 2))
            stamps = [t.strftime("%Y-%m-%dT%H:%M:%S.000Z") for t in times]
            expected.add((name, *stamps, "closed", "report"))
    return sorted(posts, key=lambda p: p.published), expected


def test_the_official_sample_live_and_as_a_backfill_makes_one_incident_per_siren(make_article):
    posts, expected = sample_posts(make_article)
    live = AlertStage()
    for article in posts:  # each read seconds after it was posted; a tick every minute
        posted = epoch(article.published)
        live.tick(posted)
        live.read(article, posted + 2)
    backfill = AlertStage()
    shuffled = random.Random(31).sample(posts, len(posts))  # partitions interleave in a backfill
    wall = epoch("2026-05-01T00:00:00Z")
    for n, article in enumerate(shuffled):
        backfill.read(article, wall + n)
        if n % 10 == 0:
            backfill.tick(wall + n)
    for stage in (live, backfill):
        stage.tick(wall + 3600)
    assert set(live.incidents().values()) == expected
    assert live.incidents() == backfill.incidents()
    for stage in (live, backfill):
        assert {a.incident_id for a in stage.topics.alerts} == set(stage.incidents())


def test_a_partial_end_closes_the_oblast_and_keeps_or_opens_the_places_listed(make_article):
    stage = AlertStage()
    start = "🔴 05:12 Повітряна тривога в Дніпропетровська область\nСлідкуйте за подальшими " \
            "повідомленнями."
    raion = "🔴 05:30 Повітряна тривога в Нікопольський район"
    raion_end = "🟢 07:01 Відбій тривоги в Нікопольський район."
    readings = [
        (post(make_article, start, "2023-10-25T02:12:00Z",
              {"Дніпропетровська область": DNIPRO}, 1), None),
        (post(make_article, raion, "2023-10-25T02:30:00Z", {"Нікопольський район": NIKOPOL},
              2), None),
        (post(make_article, PARTIAL, "2023-10-25T03:22:07Z",
              {"Дніпропетровська область": DNIPRO, "Нікопольський район": NIKOPOL,
               "Марганецька територіальна громада": MARHANETS}, 3), None),
        (post(make_article, raion_end, "2023-10-25T04:01:00Z",
              {"Нікопольський район": NIKOPOL}, 4), None)]
    for article, _ in readings:
        stage.read(article, epoch(article.published) + 1)
    assert sorted(stage.incidents().values()) == sorted([
        ("Dnipropetrovsk Oblast", "2023-10-25T02:12:00.000Z", "2023-10-25T03:22:07.000Z",
         "closed", "report"),
        ("Marhanets Community", "2023-10-25T03:22:07.000Z", None, "open", None),
        ("Nikopol Raion", "2023-10-25T02:30:00.000Z", "2023-10-25T04:01:00.000Z", "closed",
         "report")])
    nikopol = next(i for i in stage.topics.latest().values() if i.place == NIKOPOL)
    assert nikopol.reports == 2  # its start, and the partial end saying it is still on


def test_a_post_naming_several_places_makes_one_incident_per_place(make_article):
    stage = AlertStage()
    places = {"Нікопольський район": NIKOPOL, "Марганецька територіальна громада": MARHANETS}
    stage.read(post(make_article, SEVERAL, "2023-10-24T09:33:00Z", places), epoch(
        "2023-10-24T09:33:01Z"))
    incidents = stage.topics.latest()
    assert sorted((i.place.name, i.started_at) for i in incidents.values()) == [
        ("Marhanets Community", "2023-10-24T09:33:00.000Z"),
        ("Nikopol Raion", "2023-10-24T09:33:00.000Z")]
    assert {(a.id, a.incident_id) for a in stage.topics.alerts} == {
        (alert_id, i.id) for i in incidents.values() for alert_id in i.alert_ids}
    assert len(stage.topics.alerts) == 2


def test_a_news_report_inside_a_siren_period_joins_its_incident(make_article):
    stage = AlertStage()
    start = "🔴 16:29 Повітряна тривога в Донецька область"
    donetsk = Place(name="Donetsk Oblast", kind="region", country="UA", region="UA-14")
    stage.read(post(make_article, start, "2023-10-24T13:29:07Z", {"Донецька область": donetsk}),
               epoch("2023-10-24T13:29:09Z"))
    news = "Une alerte aérienne est en cours dans l'oblast de Donetsk, selon les autorités."
    article = make_article(news, id="news-1", published="2023-10-24T13:40:00Z",
                           entities=[located(news, "oblast de Donetsk", donetsk)])
    stage.read(article, epoch("2023-10-24T13:41:00Z"))
    (incident,) = stage.topics.latest().values()
    assert (incident.reports, incident.sources) == (2, ["AFP", "air_alert_ua"])
    assert {a.incident_id for a in stage.topics.alerts} == {incident.id}
    assert CLOCK + str(zlib.crc32(track_key("air-raid", donetsk).encode()) % 4) in \
        stage.keeper.table
