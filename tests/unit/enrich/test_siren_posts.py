"""The official alert channel's posts: the places they name, at their exact offsets."""

from __future__ import annotations

import pytest

from vigie.enrich.siren_posts import named_places, siren_post_entities
from vigie.shared.messages import RawArticle, Source
from vigie.shared.timestamps import read_time

FOLLOW = "Слідкуйте за подальшими повідомленнями."
START = f"🔴 16:29 Повітряна тривога в Донецька область\n{FOLLOW}\n#Донецька_область"
END = f"🟢 17:02 Відбій тривоги в Донецька область.\n{FOLLOW}\n#Донецька_область"
PARTIAL = ("🟡 06:22 Відбій тривоги в Дніпропетровська область\n"
           "Зверніть увагу, тривога ще триває у:\n"
           "• Нікопольський район\n"
           "• м. Нікополь та Нікопольська територіальна громада\n"
           f"{FOLLOW}\n"
           "#Дніпропетровська_область")
SEVERAL = ("🟢 12:33 Відбій тривоги в\n"
           "• Мелітопольський район;\n"
           "• Пологівський район.\n"
           f"{FOLLOW}\n"
           "#Мелітопольський_район #Пологівський_район")


def post(text: str, kind: str = "channel") -> RawArticle:
    return RawArticle(id=f"p{abs(hash(text))}", revision="r1",
                      source=Source(kind=kind, name="air_alert_ua",
                                    url="https://t.me/air_alert_ua/1", timezone="Europe/Kyiv"),
                      url="https://t.me/air_alert_ua/1", text=text, language="uk",
                      published="2023-10-24T13:29:07Z", fetched_at="2023-10-24T13:29:09.000Z",
                      ingested_at="2023-10-24T13:29:09.000Z")


@pytest.fixture(scope="module")
def ukraine(extractor):
    return extractor.cleaner.ukraine


def places_of(text: str, ukraine) -> list[tuple]:
    """(mention text, place kind, place name, region) in text order, offsets checked."""
    entities = siren_post_entities(post(text), ukraine)
    found = []
    for entity in entities:
        assert (entity.label, entity.count, entity.name) == ("LOC", len(entity.mentions),
                                                             entity.place.name)
        for mention in entity.mentions:
            assert text[mention.start:mention.end] == mention.text
            assert entity.place.local_name == mention.text
            found.append((mention.start, mention.text, entity.place.kind, entity.place.name,
                          entity.place.region))
    return [f[1:] for f in sorted(found)]


def test_a_start_names_its_oblast(ukraine):
    assert places_of(START, ukraine) == [
        ("Донецька область", "region", "Donetsk Oblast", "UA-14")]


def test_an_end_names_its_oblast_without_the_full_stop(ukraine):
    assert places_of(END, ukraine) == [
        ("Донецька область", "region", "Donetsk Oblast", "UA-14")]


def test_a_partial_end_names_the_oblast_and_the_places_still_under_alert(ukraine):
    assert places_of(PARTIAL, ukraine) == [
        ("Дніпропетровська область", "region", "Dnipropetrovsk Oblast", "UA-12"),
        ("Нікопольський район", "district", "Nikopolskyi raion", "UA-12"),
        ("м. Нікополь та Нікопольська територіальна громада", "community",
         "Nikopolska hromada", "UA-12"),
    ]
    still = PARTIAL.index("тривога ще триває у:")
    entities = siren_post_entities(post(PARTIAL), ukraine)
    assert [e.mentions[0].start > still for e in entities] == [False, True, True]


def test_several_places_one_per_bullet_line_and_no_hashtag(ukraine):
    assert places_of(SEVERAL, ukraine) == [
        ("Мелітопольський район", "district", "Melitopolskyi raion", "UA-23"),
        ("Пологівський район", "district", "Polohivskyi raion", "UA-23"),
    ]


def test_hashtag_lines_are_not_mentions(ukraine):
    for text in (START, END, PARTIAL, SEVERAL):
        entities = siren_post_entities(post(text), ukraine)
        hashtags = text.index("#")
        assert all(m.end <= hashtags for e in entities for m in e.mentions)


def test_a_hromada_alone_on_its_line(ukraine):
    text = f"🔴 20:18 Повітряна тривога в Торецька територіальна громада\n{FOLLOW}"
    assert places_of(text, ukraine) == [
        ("Торецька територіальна громада", "community", "Toretska hromada", "UA-14")]


def test_a_namesake_hromada_takes_the_oblast_of_its_post(ukraine):
    text = ("🟡 08:01 Відбій тривоги в Донецька область\nЗверніть увагу, тривога ще триває у:\n"
            "• Покровська територіальна громада")
    assert places_of(text, ukraine)[1] == (
        "Покровська територіальна громада", "community", "Pokrovska hromada", "UA-14")


def test_kyiv_city(ukraine):
    assert places_of(f"🔴 02:04 Повітряна тривога в м. Київ\n{FOLLOW}\n#м_Київ", ukraine) == [
        ("м. Київ", "city", "Kyiv", "UA-30")]


def test_the_test_region_is_no_place(ukraine):
    text = f"🔴 11:00 Повітряна тривога в Тестовий Регіон\n{FOLLOW}\n#Тестовий_Регіон"
    assert siren_post_entities(post(text), ukraine) == []


def test_other_sources_and_other_shapes_are_left_to_the_model(ukraine):
    assert siren_post_entities(post(START, kind="feed"), ukraine) is None
    for news in ("Сьогодні в Києві пройшла нарада щодо захисту енергосистеми.",
                 "14:05 Вибухи в Харкові, працює ППО."):
        assert siren_post_entities(post(news), ukraine) is None
        assert named_places(news) is None


def test_a_channel_post_through_the_enricher(enricher):
    """End to end without a broker: the places come from the grammar only (the French model
    found "Повітряна" a place), and the time of day is Kyiv time, with Kyiv's offset: the
    moment 13:29 UTC."""
    analysis = enricher.enrich([post(START)])[0]
    assert [(e.name, e.label, e.place.region) for e in analysis.entities] == [
        ("Donetsk Oblast", "LOC", "UA-14")]
    assert [(d.text, d.value) for d in analysis.dates] == [("16:29", "2023-10-24T16:29+03:00")]
    assert read_time(analysis.dates[0].value) == read_time("2023-10-24T13:29Z")


def test_other_alerts_of_the_channel_name_their_place_too(ukraine):
    text = f"🔴 09:12 Загроза артобстрілу в Нікопольський район\n{FOLLOW}\n#Нікопольський_район"
    assert places_of(text, ukraine) == [
        ("Нікопольський район", "district", "Nikopolskyi raion", "UA-12")]
