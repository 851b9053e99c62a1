"""What a report says for its incident: places, event time, track; channel posts included."""

from __future__ import annotations

import datetime as dt

from vigie.alert.evaluate import Evaluator
from vigie.alert.incidents.identity import (
    event_time,
    incident_place,
    place_key,
    stated_time,
    track_key,
)
from vigie.alert.rules import RuleBook
from vigie.shared.messages import DateMention, Entity, Mention, Place, Source

KYIV = Place(name="Kyiv", kind="city", country="UA", region="UA-30", lat=50.45, lon=30.52,
             geonames_id=703448)
UKRAINE = Place(name="Ukraine", kind="country", country="UA", lat=50.45, lon=30.52)
NOW = dt.datetime(2025, 8, 22, 14, 0, tzinfo=dt.timezone.utc)
DNIPRO = Place(name="Dnipropetrovsk Oblast", kind="region", country="UA", region="UA-12",
               lat=48.46, lon=35.04)
NIKOPOL = Place(name="Nikopol Raion", kind="district", country="UA", region="UA-12",
                lat=47.57, lon=34.39)
MARHANETS = Place(name="Marhanets Community", kind="community", country="UA", region="UA-12")
DONETSK = Place(name="Donetsk Oblast", kind="region", country="UA", region="UA-14")
CHANNEL = Source(kind="channel", name="air_alert_ua", url="https://t.me/air_alert_ua/1")


def located(text: str, name: str, place: Place) -> Entity:
    mentions = [Mention(text=name, start=i, end=i + len(name))
                for i in range(len(text)) if text.startswith(name, i)]
    return Entity(name=name, label="LOC", count=len(mentions), mentions=mentions, place=place)


def report(make_article, text: str, source: str, **changes):
    entities = [located(text, "Ukraine", UKRAINE), located(text, "Kyiv", KYIV)]
    return make_article(text, entities=[e for e in entities if e.count],
                        source=Source(kind="feed", name=source), **changes)


def post(make_article, text: str, published: str, places: dict[str, Place], number: int = 1):
    """A channel post as enrich makes it: each place line's place a LOC entity (hashtags
    are no mentions)."""
    entities = [located(text.split("#")[0], name, place) for name, place in places.items()]
    return make_article(text, id=f"post-{number}", source=CHANNEL, title=None,
                        url=f"https://t.me/air_alert_ua/{number}", published=published,
                        language="uk", entities=entities)


FIRST = "En Ukraine, la guerre continue. Une alerte aérienne a retenti à Kyiv à 1 h 56."
SECOND = "Les sirènes de l'alerte aérienne ont sonné cette nuit à Kyiv, en Ukraine."
START = "🔴 16:29 Повітряна тривога в Донецька область\nСлідкуйте за подальшими повідомленнями.\n" \
        "#Донецька_область"
PARTIAL = ("🟡 06:22 Відбій тривоги в Дніпропетровська область\nЗверніть увагу, тривога ще "
           "триває у:\n• Нікопольський район\n• Марганецька територіальна громада\n"
           "#Дніпропетровська_область #Нікопольський_район")
SEVERAL = ("🔴 12:33 Повітряна тривога в\n• Нікопольський район\n"
           "• Марганецька територіальна громада\nСлідкуйте за подальшими повідомленнями.")


def RuleBook_shipped() -> RuleBook:  # noqa: N802 - reads as the thing it returns
    from .conftest import SHIPPED_RULES

    return RuleBook(SHIPPED_RULES)


def test_the_place_is_that_of_the_sentence_a_town_before_a_country(make_article):
    article = report(make_article, FIRST, "AFP")
    ((alert, _),) = Evaluator(RuleBook_shipped()).evaluate(article, now=NOW)
    assert incident_place(article.text, alert.matches, article.entities) == KYIV


def test_the_event_time_is_the_one_the_sentence_gives_else_published_else_ingested(
        make_article):
    article = report(make_article, FIRST, "AFP", dates=[
        DateMention(text="1 h 56", start=FIRST.index("1 h 56"), end=len(FIRST) - 1,
                    value="2025-08-22T01:56", relative=True, anchor="2025-08-22")])
    matches = Evaluator(RuleBook_shipped()).evaluate(article, now=NOW)[0][0].matches
    assert stated_time(article.text, matches, article.dates) == "2025-08-22T01:56"
    assert event_time(article, matches, exact=False) == "2025-08-22T01:56:00.000Z"
    article.dates = []
    assert event_time(article, matches, exact=False) == "2025-08-22T00:00:00.000Z"
    article.published = None  # never the worker's clock: a replay gives the same time
    assert event_time(article, matches, exact=False) == "2025-08-22T14:03:07.000Z"


def test_a_channel_post_counts_at_its_own_time_to_the_second(make_article):
    article = post(make_article, START, "2023-10-24T13:29:07Z", {"Донецька область": DONETSK})
    article.dates = [DateMention(text="16:29", start=2, end=7, value="2023-10-24T13:29")]
    ((raised,), ends) = Evaluator(RuleBook_shipped()).assess(article, now=NOW)
    assert ends == [] and (raised.place, raised.when, raised.exact, raised.continues) == (
        DONETSK, "2023-10-24T13:29:07.000Z", True, False)
    assert raised.alert.incident_id is None  # its track decides


def test_a_start_naming_several_places_raises_one_alert_per_place(make_article):
    article = post(make_article, SEVERAL, "2023-10-24T09:33:00Z",
                   {"Нікопольський район": NIKOPOL,
                    "Марганецька територіальна громада": MARHANETS})
    raised, _ = Evaluator(RuleBook_shipped()).assess(article, now=NOW)
    assert [r.place for r in raised] == [NIKOPOL, MARHANETS]
    assert len({r.alert.id for r in raised}) == 2  # rule + story + place
    assert len({track_key("air-raid", r.place) for r in raised}) == 2


def test_a_partial_end_ends_the_oblast_and_reports_the_places_still_under_alert(make_article):
    article = post(make_article, PARTIAL, "2023-10-25T03:22:07Z",
                   {"Дніпропетровська область": DNIPRO, "Нікопольський район": NIKOPOL,
                    "Марганецька територіальна громада": MARHANETS})
    raised, ends = Evaluator(RuleBook_shipped()).assess(article, now=NOW)
    assert [(e.rule.id, e.place, e.when) for e in ends] == [
        ("air-raid", DNIPRO, "2023-10-25T03:22:07.000Z")]
    assert [(r.place, r.continues, r.exact) for r in raised] == [
        (NIKOPOL, True, True), (MARHANETS, True, True)]
    assert {m.phrase for r in raised for m in r.alert.matches} == {"тривога ще триває"}


def test_a_test_post_raises_nothing(make_article):
    text = "🔴 16:29 Повітряна тривога в Тестовий Регіон\nСлідкуйте за подальшими " \
           "повідомленнями.\n#Тестовий_Регіон"
    end = "🟢 16:40 Відбій тривоги в Тестовий Регіон.\n#Тестовий_Регіон"
    evaluator = Evaluator(RuleBook_shipped())
    for words in (text, end):
        assert evaluator.assess(post(make_article, words, "2023-10-24T13:29:07Z", {}),
                                now=NOW) == ([], [])


def test_a_raion_a_hromada_and_their_oblast_are_three_tracks():
    keys = {place_key(p) for p in (DNIPRO, NIKOPOL, MARHANETS)}
    assert len(keys) == 3 and place_key(DNIPRO) == "UA-12" and place_key(KYIV) == "g703448"


def test_an_end_report_names_the_track_of_the_alert_it_ends_and_is_no_alert(make_article):
    evaluator = Evaluator(RuleBook_shipped())
    raised, _ = evaluator.assess(report(make_article, FIRST, "AFP"), now=NOW)
    raid = next(r for r in raised if r.alert.rule.id == "air-raid")
    end = report(make_article, "Fin de l'alerte aérienne à Kyiv, annonce la mairie.", "AFP",
                 id="a9")
    alerts, ends = evaluator.assess(end, now=NOW)
    assert alerts == [] and [(e.rule.id, e.place) for e in ends] == [("air-raid", KYIV)]
    russian = report(make_article, "Отбой воздушной тревоги в Kyiv.", "RIA", id="a8")
    ((ended,),) = [evaluator.assess(russian, now=NOW)[1]]
    assert track_key(ended.rule.id, ended.place) == track_key("air-raid", raid.place)
