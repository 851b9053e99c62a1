"""Ukraine's administrative places: every oblast with its ISO code, raions, hromadas, renamed
raions, Kyiv, namesakes, and the same names found in any text."""

from __future__ import annotations

import gettext
import json
from importlib import resources

import pycountry
import pytest
from msgspec.structs import replace

from vigie.enrich.ua_admin import UkraineAdmin, romanised
from vigie.shared.geo import distance_km

# Written out from ISO 3166-2:UA, independently of the module's pycountry lookup.
OBLASTS = {
    "Вінницька область": "UA-05", "Волинська область": "UA-07", "Луганська область": "UA-09",
    "Дніпропетровська область": "UA-12", "Донецька область": "UA-14",
    "Житомирська область": "UA-18", "Закарпатська область": "UA-21",
    "Запорізька область": "UA-23", "Івано-Франківська область": "UA-26",
    "Київська область": "UA-32", "Кіровоградська область": "UA-35", "Львівська область": "UA-46",
    "Миколаївська область": "UA-48", "Одеська область": "UA-51", "Полтавська область": "UA-53",
    "Рівненська область": "UA-56", "Сумська область": "UA-59", "Тернопільська область": "UA-61",
    "Харківська область": "UA-63", "Херсонська область": "UA-65",
    "Хмельницька область": "UA-68", "Черкаська область": "UA-71", "Чернігівська область": "UA-74",
    "Чернівецька область": "UA-77",
}


@pytest.fixture(scope="module")
def ukraine(extractor) -> UkraineAdmin:
    return extractor.cleaner.ukraine  # the one the worker's cleaner builds


@pytest.fixture(scope="module")
def gazetteer(extractor):
    return extractor.cleaner.places


def shipped_states() -> list[str]:
    data = resources.files("vigie.enrich") / "data" / "ukraine_places.json"
    return [s["stateName"] for s in json.loads(data.read_text(encoding="utf-8"))["states"]]


def test_every_oblast_of_the_data_resolves_to_its_iso_code(ukraine):
    assert set(shipped_states()) == {*OBLASTS, "м. Київ"}
    for name, code in OBLASTS.items():
        place = ukraine.resolve(name)
        assert (place.kind, place.country, place.region, place.local_name) == (
            "region", "UA", code, name), name
        assert place.lat is not None and place.lon is not None
        assert place.name.endswith("Oblast")  # the gazetteer's English name: "Donetsk Oblast"


def test_an_oblast_is_the_same_place_as_in_news_written_in_french(ukraine, gazetteer):
    assert ukraine.resolve("Харківська область") == _with_local_name(
        gazetteer.resolve("oblast de Kharkiv"), "Харківська область")


def test_kyiv_city_is_the_gazetteers_kyiv(ukraine, gazetteer):
    kyiv = ukraine.resolve("м. Київ")
    assert (kyiv.name, kyiv.kind, kyiv.region, kyiv.geonames_id) == ("Kyiv", "city", "UA-30",
                                                                      703448)
    assert kyiv == _with_local_name(gazetteer.resolve("Kyiv"), "м. Київ")


def test_a_raion_lies_in_its_oblast_at_its_town(ukraine, gazetteer):
    raion = ukraine.resolve("Нікопольський район")
    assert (raion.name, raion.kind, raion.country, raion.region, raion.local_name) == (
        "Nikopolskyi raion", "district", "UA", "UA-12", "Нікопольський район")
    assert raion.geonames_id is None  # the raion is not the town
    assert _km(raion, gazetteer.resolve("Nikopol")) < 1


@pytest.mark.parametrize(("name", "expected", "town"), [
    ("м. Нікополь та Нікопольська територіальна громада",
     ("Nikopolska hromada", "UA-12"), "Nikopol"),
    ("Торецька територіальна громада", ("Toretska hromada", "UA-14"), "Toretsk"),
    ("Уманська територіальна громада", ("Umanska hromada", "UA-71"), "Uman"),
    # Zhashkiv is too small for GeoNames' list: its raion's town, Uman, stands for it
    ("Жашківська територіальна громада", ("Zhashkivska hromada", "UA-71"), "Uman"),
])
def test_a_hromada_lies_in_its_oblast_at_its_town_or_its_raions(ukraine, gazetteer, name,
                                                                 expected, town):
    place = ukraine.resolve(name)
    assert (place.name, place.region, place.kind, place.local_name) == (*expected, "community",
                                                                       name)
    assert _km(place, gazetteer.resolve(town, frozenset({"UA"}))) < 1


@pytest.mark.parametrize(("old", "new", "expected"), [
    ("Новомосковський район", "Самарівський район", ("Samarivskyi raion", "UA-12")),
    ("Новоград-Волинський район", "Звягельський район", ("Zviahelskyi raion", "UA-18")),
])
def test_both_names_of_a_renamed_raion_resolve_to_it(ukraine, old, new, expected):
    before, after = ukraine.resolve(old), ukraine.resolve(new)
    assert (before.name, before.region) == (after.name, after.region) == expected
    assert (before.local_name, after.local_name) == (old, new)
    assert (before.lat, before.lon) == (after.lat, after.lon) != (None, None)


def test_usual_variants_of_a_name_resolve(ukraine):
    assert ukraine.resolve("Донецька обл.").region == "UA-14"
    assert ukraine.resolve("донецька  область").region == "UA-14"
    assert ukraine.resolve("Нікопольська міська громада").name == "Nikopolska hromada"


def test_namesake_hromadas_need_their_oblast(ukraine):
    """Three hromadas are called "Покровська": the oblast named beside it decides; alone, the
    place says what is known and no more."""
    name = "Покровська територіальна громада"
    in_donetsk = ukraine.resolve(name, frozenset({"UA-14"}))
    assert (in_donetsk.region, in_donetsk.kind) == ("UA-14", "community")
    alone = ukraine.resolve(name)
    assert (alone.name, alone.kind, alone.country, alone.region, alone.lat) == (
        "Pokrovska hromada", "community", "UA", None, None)
    both_in_dnipro = ukraine.resolve(name, frozenset({"UA-12"}))  # two in that oblast
    assert both_in_dnipro.region == "UA-12"
    assert (both_in_dnipro.lat, both_in_dnipro.lon) == (
        ukraine.resolve("Дніпропетровська область").lat,
        ukraine.resolve("Дніпропетровська область").lon)


@pytest.mark.parametrize("name", ["Тестовий Регіон", "Донецьк", "Kyiv", ""])
def test_other_names_are_no_admin_place(ukraine, name):
    assert ukraine.resolve(name) is None


def test_the_romanisation_is_iso_3166_2s():
    ukrainian = pycountry.subdivisions.get(country_code="UA")
    translate = gettext.translation("iso3166-2", pycountry.LOCALES_DIR, languages=["uk"]).gettext
    assert {romanised(translate(s.name)) for s in ukrainian} == {s.name for s in ukrainian}
    assert romanised("Згурівська Ямпільська Єнакієве Кам'янське") == (
        "Zghurivska Yampilska Yenakiieve Kamianske")


def test_an_oblast_in_any_ukrainian_text_is_placed(extractor):
    """Not a channel post: a news report's "Донецька область" is found and placed, whatever
    the French model makes of it."""
    text = "Вночі ворог атакував дронами. Донецька область знову під обстрілами."
    placed = {e.name: e.place for e in extractor.extract(text) if e.place}
    assert placed["Donetsk Oblast"].region == "UA-14"
    assert placed["Donetsk Oblast"].local_name == "Донецька область"
    mention = next(e for e in extractor.extract(text) if e.name == "Donetsk Oblast").mentions[0]
    assert text[mention.start:mention.end] == "Донецька область"


def _with_local_name(place, local_name: str):
    return replace(place, local_name=local_name)


def _km(a, b) -> float:
    return distance_km(a.lat, a.lon, b.lat, b.lon)
