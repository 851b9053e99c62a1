"""The matcher alone: which phrases of which rules a text holds, with their exact offsets."""

from __future__ import annotations

import pytest

from vigie.alert.matcher import Matcher
from vigie.alert.rules import Rule


def rule(rule_id: str = "air-raid", phrases=("alerte aérienne",), **fields) -> Rule:
    return Rule(id=rule_id, severity="critical", description=rule_id, phrases=tuple(phrases),
                **{name: tuple(value) if isinstance(value, list) else value
                   for name, value in fields.items()})


def found(matcher: Matcher, text: str, language: str | None = None) -> dict[str, list[str]]:
    """Rule id → the texts of its matches, each checked against its offsets."""
    result = {}
    for hit in matcher.find(text, language):
        for match in [*hit.matches, *hit.ends]:
            assert text[match.start:match.end] == match.text
        result[hit.rule.id] = [match.text for match in hit.matches]
    return result


def test_matches_keep_the_texts_own_spelling_and_offsets():
    text = "Lundi soir, l’ALERTE aérienne a retenti ; puis d'autres Alertes Aériennes."
    [hit] = Matcher([rule()]).find(text)
    assert [m.text for m in hit.matches] == ["ALERTE aérienne", "Alertes Aériennes"]
    assert {m.phrase for m in hit.matches} == {"alerte aérienne"}  # the phrase as written
    assert [text[m.start:m.end] for m in hit.matches] == [m.text for m in hit.matches]


def test_a_phrase_never_spans_punctuation():
    assert found(Matcher([rule()]), "Une alerte. Aérienne, elle ne l'était pas.") == {}


def test_every_rule_is_found_in_one_pass_in_rule_file_order():
    matcher = Matcher([rule("air-raid"), rule("drone", ["drone"]), rule("flood", ["crue"])])
    assert list(found(matcher, "Un drone abattu pendant l'alerte aérienne.")) == [
        "air-raid", "drone"]


def test_an_exclusion_vetoes_the_match_it_overlaps_and_only_that_one():
    matcher = Matcher([rule(exclude=["exercice d'alerte aérienne"])])
    assert found(matcher, "Un exercice d'alerte aérienne est prévu.") == {}
    assert found(matcher, "Un exercice d'alerte aérienne, puis une vraie alerte aérienne.") == {
        "air-raid": ["alerte aérienne"]}


def test_unless_vetoes_every_match_of_its_sentence_and_no_other():
    matcher = Matcher([rule(unless=["essai"])])
    assert found(matcher, "Essai des sirènes : l'alerte aérienne sera testée.") == {}
    assert found(matcher, "Hier, un essai des sirènes. Ce matin, une alerte aérienne.") == {
        "air-raid": ["alerte aérienne"]}


@pytest.mark.parametrize("between, matched", [(0, True), (2, True), (3, False)])
def test_near_counts_the_words_strictly_between(between, matched):
    matcher = Matcher([rule(near=["Kyiv"], within=2)])
    filler = " ".join(["un", "mot", "de", "plus"][:between])
    text = f"Alerte aérienne {filler} Kyiv.".replace("  ", " ")
    assert bool(found(matcher, text)) is matched


def test_a_near_term_alone_raises_nothing():
    matcher = Matcher([rule(near=["Kyiv"])])
    assert found(matcher, "Kyiv, ville de trois millions d'habitants.") == {}


def test_a_longer_match_covers_the_phrase_inside_it():
    matcher = Matcher([rule(phrases=["raid aérien", "sirènes des raids aériens"])])
    assert found(matcher, "Les sirènes des raids aériens ont retenti.") == {
        "air-raid": ["sirènes des raids aériens"]}


def test_an_end_phrase_is_reported_and_is_no_alert():
    matcher = Matcher([rule(ends=["fin de l'alerte aérienne"])])
    [hit] = matcher.find("Fin de l'alerte aérienne à 3 h 10.")
    assert hit.matches == []
    assert [m.text for m in hit.ends] == ["Fin de l'alerte aérienne"]


def test_a_cyrillic_phrase_matches_its_inflected_forms():
    matcher = Matcher([rule(phrases=["повітряна тривога"])])
    assert found(matcher, "У Києві оголошено повітряну тривогу.", "uk") == {
        "air-raid": ["повітряну тривогу"]}


def test_no_rules_find_nothing():
    assert Matcher([]).find("Alerte aérienne à Kyiv.") == []
