"""Ukraine's administrative places by their Ukrainian names: oblast → raion → hromada.

``data/ukraine_places.json`` is the hierarchy the official air-raid alerts use (24 oblasts and
the city of Kyiv, 122 raions, 1,458 hromadas; from the public sirens dataset, MIT licence in
``data/LICENSE-ukraine_places.txt``). ``UkraineAdmin(gazetteer).resolve(name)`` gives:

- an oblast ("Донецька область") → its ``region`` Place: the ISO 3166-2 code comes from
  pycountry, whose Ukrainian translation of the subdivision names reads exactly as the
  dataset does, and the Place itself (name, point) is the one the gazetteer gives that region,
  so a news report's "oblast de Donetsk" and an alert's "Донецька область" are one place;
  "м. Київ" is the city of Kyiv (UA-30), the gazetteer's own Kyiv;
- a raion ("Нікопольський район", kind ``district``) or a hromada ("м. Нікополь та
  Нікопольська територіальна громада", "Торецька територіальна громада", kind ``community``)
  → a Place named in the national romanisation ("Nikopolskyi raion", "Toretska hromada"),
  ``region`` its oblast's code, and the point of its town where GeoNames knows it (a raion's
  town is that of its namesake hromada), else its raion's, else its oblast's.

Names are compared folded (case, apostrophes, spacing); a hromada is also found without
"територіальна" or its kind ("Нікопольська міська громада"). Two raions were renamed and
posts use either name. 73 hromada names exist in more than one oblast: the regions named
beside them decide (``named``); failing that, the Place says what is known (no region where the
oblasts differ) rather than guess.
"""

from __future__ import annotations

import gettext
import json
import re
from importlib import resources

import pycountry
from msgspec.structs import replace

from vigie.shared.messages import Place

from .aliases import alias_key
from .translit import ukrainian_latin as romanised

DATA = "ukraine_places.json"
# The dataset predates the renaming: 2024 (Novomoskovsk → Samar) and 2022 (Zviahel).
RENAMED = {"Новомосковський район": "Самарівський район",
           "Новоград-Волинський район": "Звягельський район"}
CITY = "м. "
TOWN_AND_COMMUNITY = re.compile(r"^м\.\s*(?P<town>.+?)\s+та\s+(?P<community>.+)$")
COMMUNITY_KIND = re.compile(r"\b(?:міська|селищна|сільська|територіальна)\b")
# On folded names (hyphens are spaces there): "обл.", "ТГ", "р-н".
ABBREVIATIONS = ((re.compile(r"\bобл\.?(?=\s|$)"), "область"), (re.compile(r"\bтг\b"), "громада"),
                 (re.compile(r"\bр н\b"), "район"))
ADJECTIVE_ENDINGS = ("ська", "цька", "зька", "ський", "цький", "зький")

def short_name(name: str) -> str:
    """A raion's or hromada's name as a Place name: "Нікопольський район" → "Nikopolskyi
    raion", "м. Нікополь та Нікопольська територіальна громада" → "Nikopolska hromada"."""
    match = TOWN_AND_COMMUNITY.match(name)
    words = (match.group("community") if match else name).split()
    if words[-1] == "громада":
        adjectives = [word for word in words[:-1] if not COMMUNITY_KIND.match(word)]
        return f"{romanised(' '.join(adjectives))} hromada"
    return romanised(" ".join(words))


def key(name: str) -> str:
    folded = alias_key(name)
    for pattern, full in ABBREVIATIONS:
        folded = pattern.sub(full, folded)
    return folded


def reduced_key(name: str) -> str:
    """A hromada's key without "територіальна" or its kind, and without its town."""
    match = TOWN_AND_COMMUNITY.match(" ".join(name.split()))
    return " ".join(COMMUNITY_KIND.sub(" ", key(match.group("community") if match else name))
                    .split())


def _states() -> list[dict]:
    text = (resources.files("vigie.enrich") / "data" / DATA).read_text(encoding="utf-8")
    return json.loads(text)["states"]


def _subdivisions_by_ukrainian_name() -> dict[str, object]:
    """pycountry's Ukrainian subdivisions by their Ukrainian names ("Донецька область", "Київ")."""
    ukrainian = gettext.translation("iso3166-2", pycountry.LOCALES_DIR, languages=["uk"]).gettext
    return {ukrainian(s.name): s for s in pycountry.subdivisions.get(country_code="UA")}


def admin_forms() -> set[str]:
    """Every name this module resolves as written in full, for finding them in any text.
    Light: the data file and pycountry, no gazetteer."""
    forms = {f"{CITY}{name}" if s.type == "City" else name
             for name, s in _subdivisions_by_ukrainian_name().items()}
    for state in _states():
        for district in state["districts"]:
            forms.add(district["districtName"])
            forms.update(c["communityName"] for c in district["communities"])
    return forms | set(RENAMED.values())


class UkraineAdmin:
    """The index of Ukraine's oblasts, raions and hromadas; ``resolve`` names one."""

    def __init__(self, gazetteer) -> None:
        self.gazetteer = gazetteer
        self._exact: dict[str, list[Place]] = {}
        self._reduced: dict[str, list[Place]] = {}
        subdivisions = _subdivisions_by_ukrainian_name()
        self._regions = regions = {}
        for name, subdivision in subdivisions.items():
            regions[subdivision.code] = self._region(subdivision)
            self._add(regions[subdivision.code],
                      [f"{CITY}{name}" if subdivision.type == "City" else name])
        for state in _states():
            name = state["stateName"].removeprefix(CITY)
            if name not in subdivisions:
                raise ValueError(f"{DATA}: {state['stateName']!r} is no subdivision of UA")
            oblast = regions[subdivisions[name].code]
            # A town that names its own hromada is no other hromada's town, whatever former
            # names GeoNames gives it (Zaporizhzhia was Oleksandrivsk).
            towns = [m.group("town") for d in state["districts"] for c in d["communities"]
                     if (m := TOWN_AND_COMMUNITY.match(c["communityName"]))]
            taken = {t.geonames_id for t in (self._town([n], oblast.region) for n in towns) if t}
            for district in state["districts"]:
                self._add_district(district, oblast, taken)

    def _region(self, subdivision) -> Place:
        """The gazetteer's Place of an ISO 3166-2 subdivision, else one from pycountry."""
        place = self.gazetteer.resolve(subdivision.name, frozenset({"UA"}))
        if place is not None and place.region == subdivision.code:
            return place
        kind = "city" if subdivision.type == "City" else "region"
        return Place(name=subdivision.name, kind=kind, country="UA", region=subdivision.code)

    def _add(self, place: Place, names: list[str]) -> None:
        for name in names:
            for index, form in ((self._exact, key(name)), (self._reduced, reduced_key(name))):
                places = index.setdefault(form, [])
                if place not in places:
                    places.append(place)

    def _add_district(self, district: dict, oblast: Place, taken: set[int]) -> None:
        current = RENAMED.get(district["districtName"], district["districtName"])
        communities = [c["communityName"] for c in district["communities"]]
        town = self._town([_centre(current, communities), *_adjective_towns(current)],
                          oblast.region)
        point = (town.lat, town.lon) if town else (oblast.lat, oblast.lon)
        raion = Place(name=short_name(current), kind="district", country="UA",
                      region=oblast.region, lat=point[0], lon=point[1])
        self._add(raion, [district["districtName"], current])
        for community in communities:
            match = TOWN_AND_COMMUNITY.match(community)
            town = (self._town([match.group("town")], oblast.region) if match else
                    self._town(_adjective_towns(community), oblast.region, taken))
            lat, lon = (town.lat, town.lon) if town else point
            self._add(Place(name=short_name(community), kind="community", country="UA",
                            region=oblast.region, lat=lat, lon=lon), [community])

    def _town(self, names: list[str | None], region: str,
              taken: set[int] = frozenset()) -> Place | None:
        """The largest GeoNames town of the oblast ``region`` called by one of ``names``,
        except those ``taken``."""
        for name in filter(None, names):
            towns = [c for c in self.gazetteer.candidates(name) if c.place.kind == "city"
                     and c.place.region == region and c.place.geonames_id not in taken]
            if towns:
                return max(towns, key=lambda c: c.population).place
        return None

    def knows(self, name: str) -> bool:
        """Is ``name`` (written in full, nominative) one of these places."""
        return key(name) in self._exact or reduced_key(name) in self._reduced

    def resolve(self, name: str, named: frozenset[str] = frozenset()) -> Place | None:
        """The place ``name`` means (written in full, nominative), ``local_name`` set; among
        namesakes, the one in a region of ``named`` (ISO 3166-2 codes)."""
        places = self._exact.get(key(name)) or self._reduced.get(reduced_key(name))
        if not places:
            return None
        local = " ".join(name.split())
        inside = [p for p in places if p.region in named] or places
        if len(inside) == 1:
            return replace(inside[0], local_name=local)
        regions = {p.region for p in inside}
        oblast = self._regions.get(regions.pop()) if len(regions) == 1 else None
        return Place(name=inside[0].name, kind=inside[0].kind, country="UA",
                     region=oblast and oblast.region, lat=oblast and oblast.lat,
                     lon=oblast and oblast.lon, local_name=local)


def _centre(raion: str, communities: list[str]) -> str | None:
    """A raion's town: that of the hromada of the same adjective ("Нікопольський район" →
    "м. Нікополь та Нікопольська територіальна громада" → Нікополь)."""
    stem = raion.split()[0].removesuffix("ий")
    for community in communities:
        match = TOWN_AND_COMMUNITY.match(community)
        if match and match.group("community").split()[0].removesuffix("а") == stem:
            return match.group("town")
    return None


def _adjective_towns(name: str) -> list[str]:
    """The town names the adjective of a raion or hromada may come from: "Торецька" →
    Торецьк, "Уманська" → Умань, "Вінницька" → Вінниця, "Сумська" → Суми (to be checked
    against GeoNames, in the oblast)."""
    adjective = name.split()[0]
    ending = next((e for e in ADJECTIVE_ENDINGS if adjective.endswith(e)), None)
    if ending is None:
        return []
    stem = adjective[: -len(ending)]
    base = adjective[: -len(ending) + 3]  # "Торецьк", "Уманськ"
    consonant = ending[0]  # с, ц or з: the town's own last consonant before the suffix
    return [base, stem, stem + "ь", stem + "и", stem + "а", stem + "я", stem + consonant + "я",
            stem + consonant + "а", stem + "е"]
