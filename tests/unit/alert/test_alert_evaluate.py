"""Evaluation: seeds, deterministic ids, snippets, offsets, latency, topics."""

from __future__ import annotations

import datetime as dt
import unicodedata
from pathlib import Path

import pytest

from vigie.alert.evaluate import Evaluator
from vigie.alert.rules import RuleBook
from vigie.alert.snippet import snippet
from vigie.shared.messages import Alert, Entity, Match, Mention, Place, decode, encode

SEEDS = Path(__file__).resolve().parents[3] / "seeds"
SEED_RULES = {
    "000": {"air-raid", "ballistic-missile"},
    "001": {"air-raid", "ballistic-missile"},
    "002": {"ballistic-missile"},
    "003": {"air-raid", "glide-bomb"},
    "004": set(),
}
SEED_PHRASINGS = {
    "000": ["alerte aérienne", "missiles balistiques"],
    "001": ["alerte aérienne", "missiles balistiques"],
    "002": ["missiles balistiques"],
    "003": ["sirènes des raids aériens", "bombe planante", "bombe planée"],
    "004": ["défense aérienne"],
}
STORY = "Une alerte aérienne a retenti à Kyiv. Les habitants ont dû rejoindre les abris."


def seed_text(prefix: str) -> str:
    (path,) = SEEDS.glob(f"{prefix}_*.txt")
    return path.read_text(encoding="utf-8")


@pytest.mark.parametrize("prefix", sorted(SEED_PHRASINGS))
def test_seeds_contain_the_phrasings_the_rules_rely_on(prefix):
    for phrasing in SEED_PHRASINGS[prefix]:
        assert phrasing in seed_text(prefix)


@pytest.mark.parametrize("prefix", sorted(SEED_RULES))
def test_seed_alerts(prefix, shipped, make_article):
    text = seed_text(prefix)
    alerts = [alert for alert, _ in shipped.evaluate(make_article(text, id=prefix))]
    assert {alert.rule.id for alert in alerts} == SEED_RULES[prefix]
    for alert in alerts:
        assert alert.matches and "«" in alert.snippet
        assert all(text[m.start:m.end] == m.text for m in alert.matches)


def alert_ids(evaluator, article) -> dict[str, str]:
    return {alert.rule.id: alert.id for alert, _ in evaluator.evaluate(article)}


def test_redelivery_and_duplicates_share_the_alert_id(shipped, make_article):
    first = make_article(STORY, id="a1")
    ids = alert_ids(shipped, first)
    assert ids and ids == alert_ids(shipped, first)
    exact = make_article(STORY, id="a2", duplicate_of="a1")
    near = make_article(STORY.replace("Kyiv", "Kiev") + " Mise à jour.", id="a3",
                        near_duplicate_of="a1")
    other_feed = make_article("ALERTES AÉRIENNES à Kyiv ! Il faut rejoindre\nles abris.",
                              id="a4", near_duplicate_of="a1")
    for duplicate in (exact, near, other_feed):
        assert alert_ids(shipped, duplicate) == ids
        assert {a.story_id for a, _ in shipped.evaluate(duplicate)} == {"a1"}


def test_a_near_duplicate_with_other_phrases_counts_as_new_information(shipped, make_article):
    ids = alert_ids(shipped, make_article(STORY, id="a1"))
    shorter = make_article("Alerte aérienne à Kyiv.", id="a5", near_duplicate_of="a1")
    assert alert_ids(shipped, shorter)["air-raid"] != ids["air-raid"]


def test_other_stories_and_rules_get_other_ids(shipped, make_article):
    ids = alert_ids(shipped, make_article(STORY, id="a1"))
    assert alert_ids(shipped, make_article(STORY, id="b1")) != ids
    both = alert_ids(shipped, make_article(STORY + " Missiles balistiques.", id="a1"))
    assert both["air-raid"] != both["ballistic-missile"]


def test_an_update_alerts_again_only_with_new_phrases(shipped, make_article):
    ids = alert_ids(shipped, make_article(STORY, id="a1"))
    reworded = make_article(STORY + " Une deuxième alerte aérienne a suivi.", id="a1",
                            revision="r2", title="Nouveau titre")
    assert alert_ids(shipped, reworded) == ids
    new_phrase = make_article(STORY + " Un raid aérien a suivi.", id="a1", revision="r3")
    assert alert_ids(shipped, new_phrase)["air-raid"] != ids["air-raid"]


def test_alert_fields(shipped, make_article, make_entity):
    now = dt.datetime(2025, 8, 22, 14, 3, 7, 250_000, tzinfo=dt.timezone.utc)
    found = make_article(STORY, entities=[make_entity("Kyiv", "LOC")])
    ((alert, topic),) = shipped.evaluate(found, now=now)
    assert topic is None
    assert alert.rule.id == "air-raid" and alert.rule.severity == "critical"
    assert alert.article.id == "a1" and alert.article.source.name == "AFP"
    assert alert.article.title == found.title and alert.article.url == found.url
    assert [(m.phrase, m.text) for m in alert.matches] == [
        ("alerte aérienne", "alerte aérienne"), ("rejoindre les abris", "rejoindre les abris"),
    ]
    assert alert.snippet == "Une «alerte aérienne» a retenti à Kyiv."
    assert alert.entities == found.entities and alert.dates == found.dates
    assert alert.detected_at == "2025-08-22T14:03:07.250Z"
    assert alert.latency_ms == 250.0
    assert decode(encode(alert), Alert) == alert


def test_the_rule_topic_comes_with_the_alert(evaluator_for, make_article):
    evaluator = evaluator_for("""
        - {id: kyiv, severity: info, description: d, phrases: [alerte aérienne],
           topic: alerts.kyiv}
        - {id: all, severity: info, description: d, phrases: [alerte aérienne]}
    """)
    routed = [(alert.rule.id, topic) for alert, topic in evaluator.evaluate(make_article(STORY))]
    assert routed == [("kyiv", "alerts.kyiv"), ("all", None)]


def test_a_covered_match_is_reported_once(shipped, make_article):
    text = "Les sirènes des raids aériens ont retenti."
    ((alert, _),) = shipped.evaluate(make_article(text))
    assert [m.text for m in alert.matches] == ["sirènes des raids aériens"]


def marked(text: str, *surfaces: str) -> str:
    matches = [Match(phrase=s, text=s, start=text.index(s), end=text.index(s) + len(s))
               for s in surfaces]
    return snippet(text, matches)


def test_snippet_is_the_sentence_of_the_first_match():
    text = "Calme à Lviv. Puis une alerte aérienne à Kyiv ! Fin de la journée."
    assert marked(text, "alerte aérienne") == "Puis une «alerte aérienne» à Kyiv !"


def test_snippet_marks_every_match_of_the_sentence_on_one_line():
    text = "Titre\nUne alerte\naérienne et des missiles balistiques. Ensuite, le calme."
    assert marked(text, "missiles balistiques", "alerte\naérienne") == (
        "Une «alerte aérienne» et des «missiles balistiques».")


def test_a_long_sentence_is_clipped_around_the_match():
    text = "mot " * 300 + "une alerte aérienne " + "mot " * 300 + "."
    result = marked(text, "alerte aérienne")
    assert "«alerte aérienne»" in result and len(result) <= 410
    assert result.startswith("…") and result.endswith("…")


def test_no_match_no_snippet():
    assert snippet("Rien.", []) == ""


def test_a_malformed_ingest_time_does_not_stop_the_alert(shipped, make_article):
    ((alert, _),) = shipped.evaluate(make_article(STORY, ingested_at="not a time"))
    assert alert.latency_ms == 0.0


def test_abbreviations_do_not_end_the_sentence():
    text = "Une alerte aérienne a suivi la conférence de MM. Rutte et Zelensky. Fin."
    assert marked(text, "alerte aérienne") == (
        "Une «alerte aérienne» a suivi la conférence de MM. Rutte et Zelensky.")


TRANSFORMS = {
    "upper": str.upper,
    "nfd": lambda text: unicodedata.normalize("NFD", text),
    "typographic apostrophes": lambda text: text.replace("'", "\u2019"),
    "line breaks": lambda text: text.replace(" ", "\n  "),
}


@pytest.mark.parametrize("transform", sorted(TRANSFORMS))
@pytest.mark.parametrize("prefix", sorted(SEED_RULES))
def test_surface_changes_keep_alerts_and_exact_offsets(prefix, transform, shipped, make_article):
    text = TRANSFORMS[transform](seed_text(prefix))
    alerts = [alert for alert, _ in shipped.evaluate(make_article(text))]
    assert {alert.rule.id for alert in alerts} == SEED_RULES[prefix]
    for alert in alerts:
        assert all(text[m.start:m.end] == m.text for m in alert.matches)


def placed(name: str, **where) -> Entity:
    return Entity(name=name, label="LOC", count=1, mentions=[Mention(text=name, start=0, end=0)],
                  place=Place(name=name, kind="city", **where))


KYIV = placed("Kyiv", country="UA", region="UA-30", lat=50.4547, lon=30.5238)
KHARKIV = placed("Kharkiv", country="UA", region="UA-63", lat=49.9818, lon=36.2548)
PARIS = placed("Paris", country="FR", region="FR-IDF", lat=48.8534, lon=2.3488)


@pytest.mark.parametrize(("places", "entities", "alerts"), [
    ("{country: [UA]}", [KYIV], True),
    ("{country: [ua]}", [PARIS, KHARKIV], True),
    ("{country: [UA]}", [PARIS], False),
    ("{region: [UA-63]}", [KYIV], False),
    ("{region: [UA-63]}", [KHARKIV], True),
    ("{near: {lat: 50.45, lon: 30.52, km: 50}}", [KYIV], True),  # the centre of Kyiv
    ("{near: {lat: 50.45, lon: 30.52, km: 50}}", [KHARKIV], False),  # 410 km away
    ("{country: [FR], near: {lat: 50.45, lon: 30.52, km: 50}}", [KHARKIV], False),
    ("{country: [UA]}", [], False),
])
def test_a_rule_may_require_a_place(write_rules, make_article, places, entities, alerts):
    rules = write_rules(f"""
        - id: raid
          severity: critical
          description: Air raid
          phrases: [alerte aérienne]
          places: {places}
        """)
    found = Evaluator(RuleBook(rules)).evaluate(make_article(STORY, entities=entities))
    assert bool(found) is alerts


SIREN_TEST = (
    "Comme chaque premier mercredi du mois, les sirènes du réseau d’alerte retentiront à midi "
    "pour leur essai mensuel. Ce signal d’exercice n’annonce pas une alerte aérienne : la "
    "population n’a pas à rejoindre les abris."
)


def test_a_siren_test_raises_no_air_raid_alert(shipped, make_article):
    assert shipped.evaluate(make_article(SIREN_TEST)) == []


def test_unless_vetoes_only_its_own_sentence(shipped, make_article):
    text = ("L’exercice de la semaine dernière était annoncé. Une alerte aérienne a retenti à "
            "Kyiv cette nuit.")
    assert [alert.rule.id for alert, _ in shipped.evaluate(make_article(text))] == ["air-raid"]
