"""Junk by class (calendar, demonyms, page chrome), bylines and agencies."""

from __future__ import annotations

import pytest

from vigie.enrich.junk import junk_class

CALENDAR = ["Lundi", "dimanche", "Mars", "Décembre", "Monday", "September", "UTC+2", "GMT",
            "UTC", "CEST", "GMT+3", "Mardi 14"]
DEMONYMS = ["Russes", "Ukrainiens", "Ukrainienne", "Britannique", "Américaines", "Européens",
            "Polonais", "Allemande", "Kazakh", "Belges", "Israélien", "Chinoises", "Russe"]
CHROME = ["Publicité", "Newsletter", "Sms", "Abonnez-vous", "Lire aussi", "Photo", "km/h", "KO"]
NAMES = ["Kyiv", "Marine Le Pen", "Reuters", "Mars Petcare Ukraine", "Dimanche Mbappé",
         "Vladimir Poutine", "Corse", "Roman", "Romain Grosjean", "Mariupol"]


@pytest.mark.parametrize("word", CALENDAR)
def test_calendar_words_and_time_zones(word):
    assert junk_class(word) == "calendar"


@pytest.mark.parametrize("word", DEMONYMS)
def test_nationality_nouns_and_adjectives(word):
    assert junk_class(word) == "demonym"


@pytest.mark.parametrize("word", CHROME)
def test_page_chrome_and_units(word):
    assert junk_class(word) == "chrome"


@pytest.mark.parametrize("name", NAMES)
def test_names_are_no_junk(name):
    assert junk_class(name) is None


def names_of(extractor, text: str) -> dict[str, str]:
    return {entity.name: entity.label for entity in extractor.extract(text)}


def test_junk_classes_leave_the_extracted_entities(extractor):
    text = ("Les Russes ont frappé Kharkiv lundi à 3 h (UTC+2), a indiqué le maire Ihor Terekhov. "
            "Les Ukrainiens ont riposté.\nPublicité\nNewsletter\nRecevez nos alertes par Sms.")
    names = names_of(extractor, text)
    assert {"Kharkiv", "Ihor Terekhov"} <= set(names)
    assert not set(names) & {"Russes", "Ukrainiens", "Russians", "UTC+2", "Publicité",
                             "Newsletter", "Sms", "Recevez"}


@pytest.mark.parametrize("byline", [
    "Reportage Jeanne Martin", "Par Jeanne Martin", "Envoyée spéciale Jeanne Martin",
    "De notre envoyée spéciale Jeanne Martin", "Correspondante Jeanne Martin",
])
def test_a_bylines_role_is_not_part_of_the_name(extractor, byline):
    text = f"{byline}\n\nLe Premier ministre a présenté mardi le budget à l'Assemblée nationale."
    names = names_of(extractor, text)
    assert names.get("Jeanne Martin") == "PER", names
    assert not [n for n in names if "Jeanne" in n and n != "Jeanne Martin"]


def test_correspondent_at_a_place_gives_the_place(extractor):
    names = names_of(extractor, "Correspondante à Kyiv\n\nLes sirènes ont retenti toute la nuit.")
    assert "Correspondante à Kyiv" not in names and "Correspondante" not in names


@pytest.mark.parametrize("text, agency", [
    ("Le gouvernement a démissionné, selon l'AFP.", "Agence France-Presse"),
    ("Berlin (dpa) – Le chancelier a reçu son homologue.", "Deutsche Presse-Agentur"),
    ("Rome (ANSA) – Le Sénat a voté la réforme.", "ANSA"),
    ("Madrid (EFE) – La banque a annoncé un rachat.", "EFE"),
    ("Bruxelles (Belga) – Un incendie a éclaté.", "Belga"),
    ("Selon l'agence Ukrinform, trois drones ont été abattus.", "Ukrinform"),
    ("L'agence Interfax rapporte que le taux a été relevé.", "Interfax"),
    ("L'agence TASS affirme que le dépôt a été détruit.", "TASS"),
    ("Selon RIA Novosti, la production a baissé.", "RIA Novosti"),
    ("Astana (AP) – Le président a limogé son gouvernement.", "Associated Press"),
    ("Le ministre l'a confirmé à Reuters.", "Reuters"),
])
def test_news_agencies_are_organisations(extractor, text, agency):
    assert names_of(extractor, text).get(agency) == "ORG"


def test_spellings_of_one_person_are_one_entity(extractor):
    text = ("Le gouverneur Serhiy Lyssak a fait état de deux blessés à Nikopol. Selon Serhiy Lysak, "
            "une école a été touchée. Le maire de Kiev, Vitali Klitschko, a réagi ; Vitaliy Klychko "
            "a appelé à la prudence.")
    entities = {e.name: e for e in extractor.extract(text)}
    assert entities["Serhiy Lysak"].count == 2 and "Serhiy Lyssak" not in entities
    assert entities["Vitali Klitschko"].count == 2 and "Vitaliy Klychko" not in entities


def test_an_unknown_french_spelling_takes_the_english_one(extractor):
    text = "Le ministre des Finances, Anton Silouanov, a reconnu que l'inflation dépassait les prévisions."
    names = names_of(extractor, text)
    assert names.get("Anton Siluanov") == "PER" and "Finances" not in names


def test_the_word_before_gives_the_label(extractor):
    names = names_of(extractor, "L'entreprise Naftogaz a été visée. La tempête Herminia approche.")
    assert names.get("Naftogaz") == "ORG" and names.get("Herminia") == "MISC"


def test_role_nouns_go_before_a_name_only(extractor):
    names = names_of(extractor, "La présidente du Conseil Giorgia Meloni a écrit au Conseil de "
                                "l'Europe. Le chef de l'État a reçu le maire de la Ville.")
    assert names.get("Giorgia Meloni") == "PER" and names.get("Council of Europe") == "ORG"
    assert not set(names) & {"Conseil", "État", "Ville", "Conseil Giorgia Meloni"}


def test_a_known_name_the_model_cut_short_keeps_its_bounds(extractor):
    names = names_of(extractor, "La France insoumise a déposé une motion. Le Pentagone a réagi.")
    assert names.get("La France insoumise") == "ORG" and names.get("Pentagon") == "ORG"
    assert "France" not in names
