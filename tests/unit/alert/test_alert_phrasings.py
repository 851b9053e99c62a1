"""French phrasings that must, and must not, raise an alert."""

from __future__ import annotations

import pytest

from vigie.alert.evaluate import Evaluator
from vigie.alert.rules import parse_text

RULES = """
- id: air
  severity: critical
  description: Air-raid alert
  phrases: [alerte aérienne, raid aérien, sirènes d'alerte]
  exclude: [exercice d'alerte aérienne, défense aérienne]
- id: missile
  severity: critical
  description: Ballistic missiles
  phrases: [missile balistique]
- id: shelter
  severity: warning
  description: Shelters
  phrases: [se réfugier dans les abris]
- id: plurals
  severity: info
  description: -al/-aux, -eau/-eaux, s/x
  phrases: [cheval blessé, bateau coulé, feu de forêt, tuyau percé]
- id: sirens
  severity: warning
  description: Sirens near an alert word
  phrases: [sirène]
  near: [alerte, raid]
  within: 3
  exclude: [sirènes d'alerte]
- id: kyiv
  severity: info
  description: Strikes in Kyiv
  phrases: [frappe]
  entities: {LOC: [Kyiv, Kharkiv]}
- id: drone
  severity: warning
  description: Shahed drones
  phrases: [Shahed]
"""

KYIV = [("Kyiv", "LOC")]

CASES = [
    # accents, case, elisions, apostrophes
    ("Une alerte aérienne a retenti.", None, {"air"}),
    ("Alertes aériennes dans tout le pays", None, {"air"}),
    ("ALERTE AERIENNE", None, {"air"}),
    ("l’alerte aerienne est levée", None, {"air"}),
    ("l'alerte aérienne", None, {"air"}),
    ("L\u02bcALERTE AÉRIENNE", None, {"air"}),
    ("les sirènes d’alerte hurlent", None, {"air"}),
    ("les sirènes d'alerte hurlent", None, {"air"}),
    ("une sirène d\u2018alerte", None, {"air"}),
    # plurals
    ("Raids aériens sur la capitale", None, {"air"}),
    ("un raid aérien", None, {"air"}),
    ("deux missiles balistiques", None, {"missile"}),
    ("Missile Balistique", None, {"missile"}),
    ("des chevaux blessés", None, {"plurals"}),
    ("un cheval blessé", None, {"plurals"}),
    ("trois bateaux coulés", None, {"plurals"}),
    ("des feux de forêt", None, {"plurals"}),
    ("les tuyaux percés", None, {"plurals"}),
    ("des Shaheds abattus", None, {"drone"}),
    # white space, line breaks, hyphens, quotes inside a phrase
    ("alerte\naérienne", None, {"air"}),
    ("alerte  \n\t  aérienne", None, {"air"}),
    ("se réfugier dans les\r\nabris", None, {"shelter"}),
    ("SE RÉFUGIER DANS LES ABRIS", None, {"shelter"}),
    ("alerte-aérienne", None, {"air"}),
    ("une «alerte aérienne»", None, {"air"}),
    ("un drone Shahed-136", None, {"drone"}),
    # near misses
    ("la défense aérienne ukrainienne", None, set()),
    ("une compagnie aérienne low cost", None, set()),
    ("Malgré l’alerte, la visite continue", None, set()),
    ("l'alerte", None, set()),
    ("une alerte aux inondations aérienne", None, set()),
    ("alerte. Aérienne", None, set()),
    ("alerte, aérienne", None, set()),
    ("alerte aérien", None, set()),
    ("un missile, balistique", None, set()),
    ("le bouclier antimissile balistique", None, set()),
    # word boundaries
    ("alerteaérienne", None, set()),
    ("alerte aériennement", None, set()),
    ("un raide aérien", None, set()),
    ("Shahedi", None, set()),
    ("MaShahed", None, set()),
    # exclusions veto the overlapping match only
    ("un exercice d’alerte aérienne à l’école", None, set()),
    ("Exercices d'alertes aériennes", None, set()),
    ("un exercice d'alerte aérienne, puis un raid aérien", None, {"air"}),
    # proximity
    ("les sirènes de l'alerte", None, {"sirens"}),
    ("les sirènes, puis une alerte", None, {"sirens"}),
    ("les sirènes du port retentissent pour la fête, loin de toute alerte", None, set()),
    ("le chant des sirènes", None, set()),
    ("les sirènes d'alerte", None, {"air"}),  # the sirens rule excludes what air reports
    # entity conditions
    ("une frappe a touché un immeuble", KYIV, {"kyiv"}),
    ("des frappes sur un immeuble", [("Kharkiv", "LOC")], {"kyiv"}),
    ("une frappe a touché un immeuble", [("Lviv", "LOC")], set()),
    ("une frappe a touché un immeuble", [("Kyiv", "PER")], set()),
    ("une frappe a touché un immeuble", None, set()),
    ("une frappe", [("Lviv", "LOC"), ("Kyiv", "LOC")], {"kyiv"}),
    # several rules at once
    ("Alerte aérienne : missiles balistiques en approche", None, {"air", "missile"}),
]


class _Fixed:
    rules = parse_text(RULES)


EVALUATOR = Evaluator(_Fixed())


@pytest.mark.parametrize(("text", "entities", "expected"), CASES)
def test_phrasing(text, entities, expected, make_article, make_entity):
    found = make_article(text, entities=[make_entity(*e) for e in entities or []])
    alerts = [alert for alert, _ in EVALUATOR.evaluate(found)]
    assert {alert.rule.id for alert in alerts} == expected
    for alert in alerts:
        for match in alert.matches:
            assert text[match.start:match.end] == match.text


def test_the_table_is_large_enough():
    assert len(CASES) >= 40
    assert sum(1 for *_, expected in CASES if expected) >= 20
    assert sum(1 for *_, expected in CASES if not expected) >= 20
