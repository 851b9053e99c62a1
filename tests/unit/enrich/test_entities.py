from __future__ import annotations

import re

import pytest

from vigie.enrich.entities import EntityExtractor

EXPECTED = {
    "000": {"Mark Rutte", "Volodymyr Zelensky", "Kyiv", "NATO", "Russia", "Ukraine"},
    "001": {"Mark Rutte", "Volodymyr Zelensky", "Kyiv", "NATO", "Moscow", "Russia", "Crimea"},
    "002": {"Mark Rutte", "Volodymyr Zelensky", "Odesa", "Sumy", "Kyiv", "NATO",
            "Donald Trump", "Turkey", "Black Sea"},
    "003": {"Mark Rutte", "Volodymyr Zelensky", "Kyiv", "NATO", "Kharkiv", "Russia"},
    "004": {"Volodymyr Zelensky", "Brussels", "NATO", "Kyiv", "Jens Stoltenberg",
            "Lloyd Austin", "Alexander De Croo", "Moscow"},
}
LABELS = {"Mark Rutte": "PER", "Volodymyr Zelensky": "PER", "Jens Stoltenberg": "PER",
          "Lloyd Austin": "PER", "Kyiv": "LOC", "Odesa": "LOC", "Sumy": "LOC",
          "Kharkiv": "LOC", "Brussels": "LOC", "NATO": "ORG"}
RAW_FORMS = {"Kiev", "Odessa", "OTAN", "Otan", "Zelensky", "Zelenskyy", "Rutte", "Bruxelles",
             "Stoltenberg", "Soumy", "Russie", "Photo AFP"}
ELISION = re.compile(r"^(?:[ldjmnstc]|qu|jusqu|lorsqu|puisqu)['’]", re.IGNORECASE)


@pytest.mark.parametrize("seed", sorted(EXPECTED))
def test_reader_entities_appear_under_canonical_names(seed_entities, seed):
    names = {entity.name for entity in seed_entities[seed]}
    assert EXPECTED[seed] <= names


@pytest.mark.parametrize("seed", sorted(EXPECTED))
def test_raw_forms_are_folded_away(seed_entities, seed):
    names = {entity.name for entity in seed_entities[seed]}
    assert not names & RAW_FORMS


def test_one_label_per_entity_and_the_right_one(seed_entities):
    for entities in seed_entities.values():
        names = [entity.name for entity in entities]
        assert len(names) == len(set(names))
        for entity in entities:
            assert entity.label == LABELS.get(entity.name, entity.label)
            assert entity.count == len(entity.mentions)


def test_mentions_point_into_the_text_without_elisions(seeds, seed_entities):
    for seed, entities in seed_entities.items():
        text = seeds[seed].text
        for mention in (m for entity in entities for m in entity.mentions):
            assert text[mention.start:mention.end] == mention.text
            assert not ELISION.match(mention.text), mention.text
            assert len(mention.text) > 2, mention.text
            assert any(word[0].isupper() for word in mention.text.split()), mention.text


def test_surname_and_variant_mentions_count_for_the_full_name(seed_entities):
    rutte = next(e for e in seed_entities["003"] if e.name == "Mark Rutte")
    assert {"Rutte", "Mark Rutte"} <= {m.text for m in rutte.mentions}
    zelensky = next(e for e in seed_entities["003"] if e.name == "Volodymyr Zelensky")
    assert {"Zelensky", "Zelenskyy", "Volodymyr Zelenskyy"} <= {m.text for m in zelensky.mentions}


def test_surname_takes_the_full_name_found_in_the_same_article(extractor):
    text = ("Camille Dubreuil a présenté son plan à Lyon. Selon Dubreuil, la ville sera prête "
            "et Dubreuil a promis des résultats.")
    names = {e.name: e.count for e in extractor.extract(text)}
    assert names.get("Camille Dubreuil") == 3 and "Dubreuil" not in names


def test_photo_credits_and_fragments_are_dropped(extractor):
    text = "Mark Rutte (Photo AFP)\n\nS’il arrive, c’est qu’il l’a promis à l’OTAN et à Kiev."
    names = {entity.name for entity in extractor.extract(text)}
    assert {"Mark Rutte", "NATO", "Kyiv"} <= names
    assert not names & {"Photo AFP", "AFP", "Agence France-Presse", "S’", "c’", "qu’"}


def test_user_alias_file_extends_and_overrides(tmp_path):
    user = tmp_path / "aliases.yaml"
    user.write_text("Kryvyi Rih Metallurgical Plant:\n  label: ORG\n  aliases: [KMP]\n"
                    "Kiev-Capital:\n  label: LOC\n  aliases: [Kiev]\n", encoding="utf-8")
    extractor = EntityExtractor("fr_core_news_sm", aliases_path=user)
    assert extractor.aliases.lookup("Kiev").name == "Kiev-Capital"
    assert extractor.aliases.lookup("kmp").name == "Kryvyi Rih Metallurgical Plant"
    assert extractor.aliases.lookup("Kyïv") is None  # places are not aliases
    (kiev,) = [e for e in extractor.extract("Une alerte à Kiev.") if e.label == "LOC"]
    assert kiev.name == "Kiev-Capital" and kiev.place.name == "Kyiv"  # the user's name wins


def test_extract_many_keeps_order_and_handles_empty_text(extractor):
    found = extractor.extract_many(["", "Emmanuel Macron était à Bruxelles.", "rien"])
    assert found[0] == [] and found[2] == []
    assert {"Emmanuel Macron", "Brussels"} <= {entity.name for entity in found[1]}


def _by_name(extractor, text: str) -> dict[str, object]:
    return {entity.name: entity for entity in extractor.extract(text)}


def test_ordinary_words_of_a_headline_are_no_names(extractor):
    text = ("Orage : la Gironde en vigilance orange\n\nAlerte rouge levée. Exténués, les "
            "habitants de Tours attendent les secours. Danger et Capture ont été annulés à "
            "Bordeaux. Élisabeth Borne a réuni les préfets mardi, et Borne a promis des renforts.")
    entities = extractor.extract(text)
    found = {entity.name: entity for entity in entities}
    assert not found.keys() & {"Orage", "Exténués", "Danger", "Alerte rouge", "Capture"}
    assert found["Tours"].label == found["Bordeaux"].label == "LOC"  # names, whatever the lexicon
    assert "Gironde" in found  # what follows a headline's colon
    mentions = {mention.text for entity in entities for mention in entity.mentions}
    assert "Borne" in mentions  # an ordinary word, but it ends the name found in full


def test_newspapers_and_credit_lines_are_organisations_not_places(extractor):
    text = ("Par Julien Ferrand (Le Courrier de Toulon)\n\nLe conseil municipal de La Seyne-sur-Mer "
            "a voté mercredi la rénovation du port. Selon Nice-Matin, le chantier commencera au "
            "printemps.\n\n© Le Télégramme")
    found = _by_name(extractor, text)
    for newspaper in ("Le Courrier de Toulon", "Nice-Matin", "Le Télégramme"):
        assert found[newspaper].label == "ORG" and found[newspaper].place is None
    assert found["Julien Ferrand"].label == "PER"
    assert not found.keys() & {"Toulon", "Nice"}
    assert found["La Seyne-sur-Mer"].place.country == "FR"


def test_a_byline_s_place_and_a_dateline_s_agency_are_kept(extractor):
    found = _by_name(extractor, "Par Olga Martynenko, correspondante à Kyiv\n\nToulon (AFP) - Deux "
                                "frégates ont quitté la rade de Toulon mercredi.")
    assert found["Olga Martynenko"].label == "PER" and "Kyiv" in found
    assert found["Toulon"].place.country == "FR"
    assert found["Agence France-Presse"].label == "ORG"  # not "AFP) - Deux"


@pytest.mark.parametrize(("text", "town"), [
    ("Un avion a dû faire demi-tour jeudi peu après son décollage de Roissy. L'appareil s'est "
     "posé à l'aéroport Charles-de-Gaulle.", "Roissy-en-France"),
    ("À Roissy, une école a été évacuée lundi matin. Les élèves ont été accueillis dans un "
     "gymnase de Pontault-Combault, la commune voisine.", "Roissy-en-Brie"),
    ("À Vienne, le théâtre antique a rouvert samedi. La ville, au sud de Lyon, attend des "
     "concerts.", "Vienne"),
])
def test_a_town_with_a_famous_namesake_is_the_one_beside_the_article_s_places(
        extractor, text, town):
    places = {e.place.name: e.place for e in extractor.extract(text) if e.place}
    assert town in places and places[town].country == "FR"
    assert not places.keys() & {"Vienna", "Roissy-en-Brie" if town != "Roissy-en-Brie"
                                else "Roissy-en-France"}
