"""Rule files: validation errors name the rule and the field; reloads survive bad edits."""

from __future__ import annotations

import logging
import os

import pytest

from vigie.alert.evaluate import Evaluator
from vigie.alert.rules import RuleBook, RuleError, load_rules, parse_text

GOOD = """
- id: air
  severity: critical
  description: Air-raid alert
  phrases: [alerte aérienne]
"""
BASE = "id: {id}, severity: info, description: d, phrases: [alerte aérienne]"


def one(extra: str = "", **fields) -> str:
    """A one-rule file: the base rule with fields replaced or added."""
    body = BASE.format(id=fields.pop("id", "r1"))
    for name, value in fields.items():
        body = ", ".join(p for p in body.split(", ") if not p.startswith(f"{name}:"))
        body += f", {name}: {value}"
    return f"- {{{body}{', ' + extra if extra else ''}}}"


INVALID = [
    (one("colour: red"), "'r1'", "colour"),
    (one(phrases="[]"), "'r1'", "phrases"),
    (one(phrases="alerte aérienne"), "'r1'", "phrases"),
    (one(phrases="['!!!']"), "'r1'", "phrases"),
    (one(phrases="[12]"), "'r1'", "phrases"),
    (one(severity="urgent"), "'r1'", "severity"),
    (one(id="''"), "#1", "id"),
    (one(id="12"), "#1", "id"),
    (one(id="'has space'"), "'has space'", "id"),
    (one(description="''"), "'r1'", "description"),
    (one(exclude="défense aérienne"), "'r1'", "exclude"),
    (one(unless="exercice"), "'r1'", "unless"),
    (one(near="[]"), "'r1'", "near"),
    (one(within="5"), "'r1'", "within"),
    (one(near="[Kyiv]", within="'five'"), "'r1'", "within"),
    (one(near="[Kyiv]", within="-1"), "'r1'", "within"),
    (one(entities="{CITY: [Kyiv]}"), "'r1'", "entities"),
    (one(entities="{LOC: Kyiv}"), "'r1'", "entities"),
    (one(entities="[Kyiv]"), "'r1'", "entities"),
    (one(topic="'not a topic'"), "'r1'", "topic"),
    (one(places="{country: [XX]}"), "'r1'", "places"),
    (one(places="{region: [UA-99]}"), "'r1'", "places"),
    (one(places="{country: UA}"), "'r1'", "places"),
    (one(places="{town: [Kyiv]}"), "'r1'", "places"),
    (one(places="{near: {lat: 50, lon: 30}}"), "'r1'", "places"),
    (one(places="{near: {lat: 95, lon: 30, km: 10}}"), "'r1'", "places"),
    (one() + "\n" + one(), "'r1' (#2)", "id"),
    (one() + "\n- just a string", "#2", None),
]


@pytest.mark.parametrize(("text", "rule", "field"), INVALID)
def test_invalid_rule_names_rule_and_field(text, rule, field):
    with pytest.raises(RuleError) as raised:
        parse_text(text, "rules.yaml")
    assert raised.value.field == field
    assert rule in raised.value.rule
    assert f"rule {rule}" in str(raised.value)
    if field:
        assert f"field {field!r}" in str(raised.value)


def test_missing_field_is_named():
    with pytest.raises(RuleError, match="field 'description'"):
        parse_text("- {id: r1, severity: info, phrases: [a b]}")


LINES = """\
- id: air
  severity: critical
  description: Air-raid alert
  phrases:
    - alerte aérienne
    - "!!!"
- id: near
  severity: info
  description: d
  phrases: [frappe]
  places:
    country: [UA]
    near: {lat: 50.4, lon: 30.5, km: 0}
- id: air
  severity: info
  description: d
  phrases: [frappe]
"""


NO_PUNCTUATION, POSITIVE_RADIUS = ('"!!!"', "alerte"), ("km: 0", "km: 5")


@pytest.mark.parametrize(("fixes", "line", "field", "says"), [
    ((), 6, "phrases", "'!!!' is not a phrase with at least one word"),
    ((NO_PUNCTUATION,), 13, "places", "near: expected {lat, lon, km} with a positive radius"),
    ((NO_PUNCTUATION, POSITIVE_RADIUS), 14, "id", "duplicate id, already used by rule #1"),
])
def test_an_error_names_the_file_and_the_line(fixes, line, field, says):
    text = LINES
    for old, new in fixes:
        text = text.replace(old, new)
    with pytest.raises(RuleError) as raised:
        parse_text(text, "rules.yaml")
    assert (raised.value.source, raised.value.line, raised.value.field) == (
        "rules.yaml", line, field)
    assert f"rules.yaml, line {line}, rule " in str(raised.value) and says in str(raised.value)


@pytest.mark.parametrize("text", ["rules: []", "- [unclosed", "just text"])
def test_a_file_that_is_not_a_list_of_rules_is_rejected(text):
    with pytest.raises(RuleError, match="rules.yaml"):
        parse_text(text, "rules.yaml")


def test_valid_rule_is_loaded_with_defaults(write_rules):
    (rule,) = load_rules(write_rules(one(near="[Kyiv]", entities="{LOC: [Kyïv]}")))
    assert (rule.id, rule.severity, rule.phrases) == ("r1", "info", ("alerte aérienne",))
    assert rule.within == 10 and rule.topic is None and rule.entities == {"LOC": {"kyiv"}}


def test_shipped_rules_are_valid(shipped):
    ids = {rule.id for rule in shipped.rulebook.rules}
    assert {"air-raid", "ballistic-missile", "glide-bomb", "attack-drones"} <= ids


def test_invalid_file_at_start_is_fatal(write_rules):
    with pytest.raises(RuleError, match="severity"):
        RuleBook(write_rules(one(severity="loud")))
    with pytest.raises(RuleError, match="cannot read"):
        RuleBook(write_rules(GOOD).with_name("missing.yaml"))


def edit(path, text: str) -> None:
    """Rewrite the file and move its mtime on, as a later save would."""
    stat = path.stat()
    path.write_text(text, encoding="utf-8")
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))


def test_reload_picks_up_a_change(write_rules):
    path = write_rules(GOOD)
    book = RuleBook(path)
    assert not book.reload_if_changed()
    edit(path, GOOD + one(id="missile").replace("alerte aérienne", "missile balistique"))
    assert book.reload_if_changed()
    assert [rule.id for rule in book.rules] == ["air", "missile"]
    assert book.generation == 2
    assert not book.reload_if_changed()


def test_touching_without_changing_content_does_not_reload(write_rules):
    path = write_rules(GOOD)
    book = RuleBook(path)
    edit(path, GOOD)
    assert not book.reload_if_changed()
    assert book.generation == 1


def test_a_bad_edit_keeps_the_old_rules_and_is_logged_once(write_rules, caplog):
    path = write_rules(GOOD)
    book = RuleBook(path)
    edit(path, GOOD + one(severity="loud"))
    with caplog.at_level(logging.ERROR, logger="vigie.alert.rules"):
        assert not book.reload_if_changed()
        edit(path, GOOD + one(severity="loud"))
        assert not book.reload_if_changed()
    errors = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert len(errors) == 1 and "severity" in errors[0].getMessage()
    assert [rule.id for rule in book.rules] == ["air"]
    assert book.last_error is not None and book.last_error.field == "severity"
    edit(path, GOOD + one(severity="warning"))
    assert book.reload_if_changed()
    assert [rule.id for rule in book.rules] == ["air", "r1"] and book.last_error is None


def test_a_deleted_file_keeps_the_old_rules(write_rules):
    path = write_rules(GOOD)
    book = RuleBook(path)
    path.unlink()
    assert not book.reload_if_changed()
    assert [rule.id for rule in book.rules] == ["air"]


def test_evaluator_uses_reloaded_rules(write_rules, make_article):
    path = write_rules(GOOD)
    evaluator = Evaluator(RuleBook(path))
    missile = make_article("Deux missiles balistiques ont frappé Soumy.")
    assert evaluator.evaluate(missile) == []
    edit(path, GOOD.replace("alerte aérienne", "missile balistique"))
    assert evaluator.rulebook.reload_if_changed()
    assert [alert.rule.id for alert, _ in evaluator.evaluate(missile)] == ["air"]
