from __future__ import annotations

import pytest

from vigie.enrich.dates import find_dates, published_date

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
