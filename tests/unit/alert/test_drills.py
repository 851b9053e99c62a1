"""Drills, siren tests, exercises, commemorations and look-backs raise no alert; a real alert
told beside a past or denied drill still does (tests/data/labelled/drills.jsonl, texts written
for the purpose in French, English, Ukrainian and Russian)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from vigie.alert.matcher import Matcher
from vigie.alert.rules import Rule

ROWS = [json.loads(line) for line in (Path(__file__).resolve().parents[2] / "data" / "labelled"
                                      / "drills.jsonl").read_text(encoding="utf-8").splitlines()]
KNOWN_MISSES: dict[str, str] = {}  # id: why it is missed (none today)


def case(row):
    marks = [pytest.mark.xfail(strict=True, reason=KNOWN_MISSES[row["id"]])] \
        if row["id"] in KNOWN_MISSES else []
    return pytest.param(row, id=row["id"], marks=marks)


def assessed(shipped, make_article, row):
    return shipped.evaluate(make_article(row["text"], id=row["id"], title=row["title"],
                                         language=row["language"]))


@pytest.mark.parametrize("row", [case(row) for row in ROWS if not row["alert"]])
def test_a_drill_raises_no_alert_and_says_why(row, shipped, make_article):
    article = make_article(row["text"], id=row["id"], title=row["title"],
                           language=row["language"])
    assert shipped.evaluate(article) == []
    assert all(veto.reason.startswith("drill ") for _, veto in shipped.vetoes(article))


@pytest.mark.parametrize("row", [case(row) for row in ROWS if row["alert"]])
def test_a_real_alert_beside_a_drill_alerts(row, shipped, make_article):
    assert assessed(shipped, make_article, row)


def test_the_sets_are_large_enough():
    drills = [row for row in ROWS if not row["alert"]]
    real = [row for row in ROWS if row["alert"]]
    assert len(drills) >= 30 and len(real) >= 20
    for language in ("fr", "en", "uk", "ru"):
        assert any(r["language"] == language for r in drills)
        assert any(r["language"] == language for r in real)


def rule(**fields) -> Rule:
    return Rule(id="air", severity="critical", description="air", phrases=("alerte aérienne",),
                **{name: tuple(value) for name, value in fields.items()})


def test_the_veto_says_which_phrase_and_where():
    matcher = Matcher([rule(drill=["premier mercredi du mois"], live=["cette nuit"])])
    text = "Le premier mercredi du mois, les sirènes sonnent. L'alerte aérienne dure une minute."
    [found] = matcher.examine(text)
    assert found.matches == [] and matcher.find(text) == []
    [veto] = found.vetoed
    assert veto.match.text == "alerte aérienne" and veto.where == "paragraph"
    assert veto.reason == "drill 'premier mercredi du mois' ('premier mercredi du mois') in the " \
                          "paragraph"


@pytest.mark.parametrize(("headline", "text", "alerts"), [
    ("Exercice à Lyon", "Une alerte aérienne fictive.\nLes élèves iront aux abris.", False),
    ("Exercice à Lyon", "Une alerte aérienne a retenti cette nuit.", True),  # told as now
    ("Kyiv", "Exercice à Lyon.\nPlus tard, une alerte aérienne à Kyiv.", False),  # the lead
    ("Kyiv", "Kyiv.\nExercice à Lyon.\nUne alerte aérienne à Kyiv.", True),  # another paragraph
    ("Kyiv", "Cette nuit, exercice : une alerte aérienne.", False),  # its own sentence wins
    ("Kyiv", "Ce n'est pas un exercice : alerte aérienne.", True),  # a drill denied
    ("Kyiv", "Pas de panique. Exercice : alerte aérienne.", False),  # the denial is elsewhere
])
def test_where_a_drill_is_told(headline, text, alerts):
    matcher = Matcher([rule(drill=["exercice"], live=["cette nuit"], not_drill=["pas un"])])
    assert bool(matcher.find(text, "fr", headline)) is alerts
