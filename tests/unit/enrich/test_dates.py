from __future__ import annotations

import pytest

from vigie.enrich.dates import find_dates, published_date
from vigie.shared.timestamps import read_time

FRIDAY = "2025-08-22"

PHRASINGS = [
    ("Le 11 octobre 2023, il a parlé.", "11 octobre 2023", "2023-10-11", False),
    ("depuis le 1er mars 2022", "1er mars 2022", "2022-03-01", False),
    ("mardi 3 mars 2025", "mardi 3 mars 2025", "2025-03-03", False),
    ("On October 11, 2023 he spoke.", "October 11, 2023", "2023-10-11", False),
    ("publié le 2024-03-12", "2024-03-12", "2024-03-12", False),
    ("publié le 12/03/2024", "12/03/2024", "2024-03-12", False),
    ("l'invasion en février 2022", "février 2022", "2022-02", False),
    ("le mémorandum de Budapest en 1994", "1994", "1994", False),
    ("la Crimée en 2014,", "2014", "2014", False),
    ("depuis 1994", "1994", "1994", False),
    ("le 3 mars", "3 mars", "2025-03-03", True),
    ("vendredi après-midi", "vendredi après-midi", "2025-08-22", True),
    ("vendredi dernier, une alerte", "vendredi dernier", "2025-08-15", True),
    ("Last Friday, sirens sounded", "Last Friday", "2025-08-15", True),
    ("mardi", "mardi", "2025-08-19", True),
    ("Samedi, la foule", "Samedi", "2025-08-16", True),
    ("hier", "hier", "2025-08-21", True),
    ("hier soir", "hier soir", "2025-08-21", True),
    ("avant-hier", "avant-hier", "2025-08-20", True),
    ("aujourd’hui", "aujourd’hui", "2025-08-22", True),
    ("demain", "demain", "2025-08-23", True),
    ("la semaine dernière", "la semaine dernière", "2025-W33", True),
    ("le mois dernier", "le mois dernier", "2025-07", True),
    ("l’an dernier", "l’an dernier", "2024", True),
    ("en mars, les prix", "mars", "2025-03", True),
    ("yesterday", "yesterday", "2025-08-21", True),
    ("May 5", "May 5", "2025-05-05", True),
]
NOTHING = [
    "je", "Sa", "dans sa maison", "je sais", "la planète Mars", "mars", "may I come",
    "2000 personnes", "20 000 euros", "1 500 000 habitants", "10,2025", "l'hiérarchie",
    "les années 1990", "le numéro 12345", "tel. 2025-123", "hiérarchique", "Demainville",
]


@pytest.mark.parametrize(("text", "mention", "value", "relative"), PHRASINGS)
def test_phrasing(text, mention, value, relative):
    found = find_dates(text, FRIDAY)
    assert [(d.text, d.value, d.relative) for d in found] == [(mention, value, relative)]
    date = found[0]
    assert text[date.start:date.end] == date.text
    assert date.anchor == (FRIDAY if relative else None)


@pytest.mark.parametrize("text", NOTHING)
def test_no_date_out_of_ordinary_words(text):
    assert find_dates(text, FRIDAY) == []


def test_relative_dates_are_left_out_without_an_anchor():
    found = find_dates("Hier, mardi, le 3 mars et en février 2022.", None)
    assert [(d.text, d.value) for d in found] == [("février 2022", "2022-02")]


def test_a_month_anchor_resolves_years_but_not_weekdays():
    found = find_dates("mardi, le 3 novembre, l'an dernier", "2023-10")
    assert [(d.text, d.value, d.anchor) for d in found] == [
        ("3 novembre", "2023-11-03", "2023-10"), ("l'an dernier", "2022", "2023-10")]


@pytest.mark.parametrize(("text", "published", "value"), [
    ("en décembre", "2025-02-20", "2024-12"), ("en septembre", "2025-07-24", "2025-09"),
    ("d’ici décembre", "2024-09-26", "2024-12"), ("le 29 février", "2025-02-20", "2024-02-29"),
])
def test_a_date_without_year_takes_the_nearest_year(text, published, value):
    assert [d.value for d in find_dates(text, published)] == [value]


@pytest.mark.parametrize(("published", "expected"), [
    ("2025-08-22", ("2025-08-22", "day")), ("2025-08-22T23:10:00Z", ("2025-08-22", "day")),
    ("2023-10", ("2023-10-01", "month")), ("2023", ("2023-01-01", "year")),
    (None, None), ("", None), ("hier", None), ("2023-13", None),
])
def test_published_date(published, expected):
    anchor = published_date(published)
    assert (anchor and (anchor.day.isoformat(), anchor.precision)) == expected


def test_seed_dates(seeds):
    found = {key: find_dates(a.text, a.published) for key, a in seeds.items()}
    first = found["000"][0]
    assert (first.text, first.value, first.relative, first.anchor) == (
        "vendredi après-midi", "2025-08-22", True, "2025-08-22")
    assert {(d.text, d.value) for d in found["001"]} >= {("1994", "1994"), ("2014", "2014")}
    assert ("février 2022", "2022-02") in {(d.text, d.value) for d in found["003"]}
    assert ("11 octobre 2023", "2023-10-11") in {(d.text, d.value) for d in found["004"]}
    for key, dates in found.items():
        for date in dates:
            assert seeds[key].text[date.start:date.end] == date.text


def test_relative_dates_resolve_in_the_source_calendar():
    """Published at 01:30 in Kyiv on Saturday: "hier" is Friday there, although the same
    instant is still Friday evening in UTC. Feed times keep their offset for this."""
    kyiv = find_dates("hier, une alerte", "2025-08-23T01:30:00.000+03:00")
    utc = find_dates("hier, une alerte", "2025-08-22T22:30:00.000Z")
    assert [(d.value, d.anchor) for d in kyiv] == [("2025-08-22", "2025-08-23")]
    assert [d.value for d in utc] == ["2025-08-21"]


TUESDAY = "2024-03-12"
EVENT_TIMES = [
    ("Les sirènes ont retenti à 2 h 40.", "2 h 40", "2024-03-12T02:40"),
    ("vers 4 heures du matin", "4 heures du matin", "2024-03-12T04"),
    ("à 03H15 GMT", "03H15 GMT", "2024-03-12T03:15Z"),
    ("vers 23 h du soir", "23 h du soir", "2024-03-12T23"),
    ("mardi à 21 h 10", "mardi à 21 h 10", "2024-03-12T21:10"),
    ("21 h 10 mardi", "21 h 10 mardi", "2024-03-12T21:10"),
    ("lundi soir, vers 23 h", "lundi soir, vers 23 h", "2024-03-11T23"),
    ("le 10 mars vers 4 heures", "10 mars vers 4 heures", "2024-03-10T04"),
    ("dans la nuit de samedi à dimanche", "dans la nuit de samedi à dimanche",
     "2024-03-09/2024-03-10"),
    ("entre 2 h et 4 h", "2 h et 4 h", "2024-03-12T02/2024-03-12T04"),
    ("at 2:40 am", "2:40 am", "2024-03-12T02:40"),
    ("at 4 a.m. on Monday", "4 a.m. on Monday", "2024-03-11T04"),
    ("at 14:30 GMT", "14:30 GMT", "2024-03-12T14:30Z"),
    ("overnight Saturday", "overnight Saturday", "2024-03-09/2024-03-10"),
    ("overnight into Sunday", "overnight into Sunday", "2024-03-09/2024-03-10"),
]


@pytest.mark.parametrize(("text", "mention", "value"), EVENT_TIMES)
def test_event_times(text, mention, value):
    found = find_dates(text, TUESDAY)
    assert [(d.text, d.value, d.relative) for d in found] == [(mention, value, True)]
    assert text[found[0].start:found[0].end] == mention


@pytest.mark.parametrize("text", [
    "pendant 2 h 30 de route", "il a marché 2 h", "un prix de 14.50 euros", "score 2:1",
    "at 14 pm", "le bilan à 20 morts",
])
def test_durations_prices_and_counts_are_no_time(text):
    assert find_dates(text, TUESDAY) == []


def test_without_published_relative_dates_anchor_on_the_fetch():
    found = find_dates("Hier, mardi vers 4 heures.", None, "2024-03-13T08:00:00.000Z")
    assert [(d.text, d.value, d.anchor) for d in found] == [
        ("Hier", "2024-03-12", "2024-03-13"), ("mardi vers 4 heures", "2024-03-12T04",
                                               "2024-03-13")]


def test_the_seeds_relative_dates_resolve(seeds):
    """Seed 003 has no published date: its "mercredi soir" anchors on the fetch."""
    found = {key: find_dates(a.text, a.published, a.fetched_at) for key, a in seeds.items()}
    assert ("vendredi", "2025-08-22") in {(d.text, d.value) for d in found["001"]}
    evening = [d for d in found["003"] if d.text.startswith("mercredi soir")]
    assert evening and evening[0].relative and evening[0].anchor == seeds["003"].fetched_at[:10]


def test_a_time_alone_takes_the_last_day_or_night_of_its_paragraph():
    text = ("Dans la nuit de samedi à dimanche, les sirènes ont retenti vers 2 heures, puis à "
            "23 h.\n\nLes secours sont arrivés à 6 h 10.")
    found = [(d.text, d.value) for d in find_dates(text, "2025-04-14")]
    assert found == [("Dans la nuit de samedi à dimanche", "2025-04-12/2025-04-13"),
                     ("2 heures", "2025-04-13T02"), ("23 h", "2025-04-12T23"),
                     ("6 h 10", "2025-04-14T06:10")]  # another paragraph: the anchor's day


SLAVIC_AND_ENGLISH = [
    ("Вночі проти суботи ворог атакував Харків.", "Вночі проти суботи",
     "2025-08-15/2025-08-16"),
    ("Атака в ніч на п'ятницю.", "в ніч на п'ятницю", "2025-08-21/2025-08-22"),
    ("В ночь на субботу над Киевом сбили дроны.", "В ночь на субботу", "2025-08-15/2025-08-16"),
    ("в ночь с четверга на пятницу", "в ночь с четверга на пятницу", "2025-08-21/2025-08-22"),
    ("Russia struck Kyiv overnight.", "overnight", "2025-08-21/2025-08-22"),
    ("Вибухи пролунали о 2:40.", "2:40", "2025-08-22T02:40"),
    ("Вибухи о 5 ранку.", "5 ранку", "2025-08-22T05"),
    ("Удар около 11 вечера.", "11 вечера", "2025-08-22T23"),
    ("The alert sounded at 2:40 am, officials said.", "2:40 am", "2025-08-22T02:40"),
    ("У суботу о 16:29 лунали сирени.", "суботу о 16:29", "2025-08-16T16:29"),
    ("24 жовтня 2023 року", "24 жовтня 2023", "2023-10-24"),
    ("засідання 12 сентября", "12 сентября", "2025-09-12"),
    ("інфляція у серпні", "серпні", "2025-08"),
    ("Вчора ввечері", "Вчора ввечері", "2025-08-21"),
    ("В прошлую пятницу", "В прошлую пятницу", "2025-08-15"),
    ("на прошлой неделе", "на прошлой неделе", "2025-W33"),
]


@pytest.mark.parametrize(("text", "mention", "value"), SLAVIC_AND_ENGLISH)
def test_dates_and_times_in_ukrainian_russian_and_english(text, mention, value):
    assert (mention, value) in {(d.text, d.value) for d in find_dates(text, FRIDAY)}


@pytest.mark.parametrize(("text", "published", "zone", "expected", "instant"), [
    # Kyiv in summer time (UTC+3) and in winter time (UTC+2)
    ("🔴 16:29 Повітряна тривога в Донецька область", "2023-10-24T13:29:07Z", "Europe/Kyiv",
     ("16:29", "2023-10-24T16:29+03:00", "2023-10-24"), "2023-10-24T13:29Z"),
    ("🔴 16:10 Повітряна тривога в Вінницька область", "2022-03-15T14:10:34Z", "Europe/Kyiv",
     ("16:10", "2022-03-15T16:10+02:00", "2022-03-15"), "2022-03-15T14:10Z"),
    # after midnight in Kyiv, before it in UTC: the local day
    ("🟢 02:04 Відбій тривоги в м. Київ.", "2023-10-24T23:04:40Z", "Europe/Kyiv",
     ("02:04", "2023-10-25T02:04+03:00", "2023-10-25"), "2023-10-24T23:04Z"),
    # zones generally: New York in winter, a half-hour offset (the hour keeps its precision)
    ("The sirens sounded at 9:30 pm in Brooklyn", "2024-01-15T03:00:00Z", "America/New_York",
     ("9:30 pm", "2024-01-14T21:30-05:00", "2024-01-14"), "2024-01-15T02:30Z"),
    ("Explosions vers 4 heures.", "2024-01-15T03:00:00Z", "Asia/Kolkata",
     ("4 heures", "2024-01-15T04+05:30", "2024-01-15"), "2024-01-14T22:30Z"),
    ("Les sirènes à 14 h.", "2024-07-15T03:00:00Z", "Europe/Paris",
     ("14 h", "2024-07-15T14+02:00", "2024-07-15"), "2024-07-15T12Z"),
    # a time the text gives in UTC stays so
    ("à 14:30 GMT", "2024-07-15T03:00:00Z", "Europe/Paris",
     ("14:30 GMT", "2024-07-15T14:30Z", "2024-07-15"), "2024-07-15T14:30Z"),
])
def test_times_of_day_resolve_in_the_source_time_zone(text, published, zone, expected, instant):
    found = find_dates(text, published, None, zone)
    assert [(d.text, d.value, d.anchor) for d in found] == [expected]
    # the moment the alert stage reads from the value (shared.timestamps.read_time)
    assert read_time(found[0].value) == read_time(instant)


def test_a_range_resolves_in_the_source_time_zone():
    found = find_dates("entre 2 h et 4 h", "2024-03-12T10:00:00Z", None, "Europe/Kyiv")
    assert [d.value for d in found] == ["2024-03-12T02+02:00/2024-03-12T04+02:00"]
    assert [read_time(v) for v in found[0].value.split("/")] == [
        read_time("2024-03-12T00Z"), read_time("2024-03-12T02Z")]


def test_without_a_known_zone_times_stay_as_written(caplog):
    assert [d.value for d in find_dates("à 14:30", "2024-07-15T23:00:00Z")] == [
        "2024-07-15T14:30"]
    found = find_dates("à 14:30", "2024-07-15T23:00:00Z", None, "Nowhere/Atlantis")
    assert [d.value for d in found] == ["2024-07-15T14:30"]
    assert "Nowhere/Atlantis" in caplog.text
