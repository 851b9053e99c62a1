"""Entities of Ukrainian, Russian and English articles: each language's own analyser."""

from __future__ import annotations

import pytest

from vigie.enrich.enricher import Enricher
from vigie.enrich.entities import EntityCleaner, Found
from vigie.shared.messages import RawArticle, Source


@pytest.fixture(scope="module")
def cleaner() -> EntityCleaner:
    return EntityCleaner()


def entities(cleaner: EntityCleaner, language: str, text: str) -> dict:
    found = cleaner.entities(text, Found([], [], language))
    for entity in found:
        assert all(text[m.start:m.end] == m.text for m in entity.mentions)
    return {entity.name: entity for entity in found}


@pytest.mark.parametrize(("language", "text", "name", "kind", "region", "local"), [
    ("uk", "Повітряна тривога в Києві.", "Kyiv", "city", "UA-30", "Київ"),
    ("uk", "Вибухи пролунали у Харкові.", "Kharkiv", "city", "UA-63", "Харків"),
    ("uk", "Удар по Дніпру завдали вранці.", "Dnipro", "city", "UA-12", "Дніпро"),
    ("uk", "Ракета влучила в готель у Кривому Розі.", "Kryvyi Rih", "city", "UA-12",
     "Кривий Ріг"),
    ("ru", "Взрывы прогремели в Одессе.", "Odesa", "city", "UA-51", "Одесса"),
    ("ru", "Удары по Сумам продолжаются.", "Sumy", "city", "UA-59", "Сумы"),
    ("uk", "Тривога в Донецька область", "Donetsk Oblast", "region", "UA-14",
     "Донецька область"),
    ("uk", "Обстріл у Донецькій області.", "Donetsk Oblast", "region", "UA-14",
     "Донецька область"),
    ("ru", "Тревога объявлена в Харьковской области.", "Kharkiv Oblast", "region", "UA-63",
     "Харьковская область"),
    ("uk", "Сирени лунали на Сумщині.", "Sumy Oblast", "region", "UA-59", "Сумщина"),
    ("uk", "Харківщина без світла.", "Kharkiv Oblast", "region", "UA-63", "Харківщина"),
    ("en", "Drones struck the Kharkiv region overnight.", "Kharkiv Oblast", "region", "UA-63",
     "Kharkiv region"),
    ("en", "Shelling hit Kharkiv Oblast.", "Kharkiv Oblast", "region", "UA-63",
     "Kharkiv Oblast"),
    # Ukraine's raions and hromadas (ua_admin), inflected in a news text, not a channel post
    ("uk", "Пошкоджено лінію у Нікопольському районі.", "Nikopolskyi raion", "district",
     "UA-12", "Нікопольський район"),
    ("uk", "Дрони атакували Марганецьку міську громаду.", "Marhanetska hromada", "community",
     "UA-12", "Марганецька міська громада"),
])
def test_places_in_every_form_get_their_canonical_name(cleaner, language, text, name, kind,
                                                       region, local):
    place = entities(cleaner, language, text)[name].place
    assert (place.kind, place.region, place.local_name) == (kind, region, local)


def test_oblasts_listed_before_their_shared_noun(cleaner):
    found = entities(cleaner, "uk", "Відключення у Львівській, Волинській та Рівненській "
                                    "областях.")
    assert {"Lviv Oblast", "Volyn Oblast", "Rivne Oblast"} <= set(found)
    found = entities(cleaner, "en", "Airfields in the Murmansk and Irkutsk regions were hit.")
    assert {"Murmansk Oblast", "Irkutsk Oblast"} <= set(found)


@pytest.mark.parametrize(("language", "text", "name"), [
    ("uk", "Партнери висловили підтримку Зеленському.", "Volodymyr Zelensky"),
    ("ru", "Позиция Зеленского не изменилась.", "Volodymyr Zelensky"),
    ("uk", "Заяву Олега Синєгубова поширили ввечері.", "Oleh Syniehubov"),
    ("uk", "Міністр енергетики Герман Галущенко закликав економити.", "Herman Halushchenko"),
    ("ru", "Губернатор Александр Гусев сообщил о пожаре.", "Aleksandr Gusev"),
    ("ru", "Генштаб ВСУ сообщил о боях.", "General Staff of the Armed Forces of Ukraine"),
    ("uk", "Рішення Верховної Ради оприлюднили.", "Verkhovna Rada"),
    ("en", "Kharkiv Mayor Ihor Terekhov said a warehouse was burning.", "Ihor Terekhov"),
    ("en", "Explosions were heard, Tymur Tkachenko, head of the city administration, said.",
     "Tymur Tkachenko"),
])
def test_people_and_institutions_in_their_canonical_form(cleaner, language, text, name):
    assert name in entities(cleaner, language, text)


@pytest.mark.parametrize(("language", "text"), [
    ("uk", "Повітряна тривога триває. Сирени лунали всю ніч. Суми виплат зросли."),
    ("ru", "Воздушная тревога объявлена. Сирены звучали всю ночь."),
    ("en", "Most were aimed at energy facilities. Russian drones and Shahed missiles flew."),
    ("de", "Die Regierung hat am Montag beschlossen, mehr Geld auszugeben."),
])
def test_common_words_are_never_entities(cleaner, language, text):
    assert entities(cleaner, language, text) == {}


def test_a_language_without_an_analyser_gets_places_and_known_names_only(cleaner):
    found = entities(cleaner, "de", "Bundeskanzler Friedrich Merz traf Wolodymyr Selenskyj "
                                    "in Berlin und sprach mit Hans Müller.")
    assert set(found) == {"Friedrich Merz", "Berlin"}


def test_the_capital_only_where_the_country_is_clear(cleaner):
    found = entities(cleaner, "en", "An alert sounded in Kharkiv. Drones also reached the "
                                    "capital.")
    assert [m.text for m in found["Kyiv"].mentions] == ["the capital"]
    found = entities(cleaner, "uk", "Росія атакувала Харків і столицю.")
    assert "Kyiv" not in found  # Russia and Ukraine: which capital is meant is not clear


def article(text: str, **fields) -> RawArticle:
    return RawArticle(id="a", revision="1", text=text, source=Source(kind="feed"),
                      fetched_at="2025-08-22T10:00:00Z", ingested_at="2025-08-22T10:00:00Z",
                      **fields)


def test_the_french_model_reads_only_french_and_is_loaded_only_for_it():
    enricher = Enricher()
    analyses = enricher.enrich([article("Повітряна тривога в Києві та на Харківщині.")])
    assert analyses[0].language == "uk"
    assert {e.name for e in analyses[0].entities} == {"Kyiv", "Kharkiv Oblast"}
    assert enricher._extractor is None  # no French article: the spaCy model never loaded


def test_found_in_french_goes_through_the_model(enricher):
    found = enricher.find(["Une frappe russe a touché Kharkiv jeudi, selon Volodymyr Zelensky.",
                           "Russian drones struck Kharkiv overnight."])
    assert found[0].language == "fr" and found[0].model
    assert found[1] == Found([], [], "en")
