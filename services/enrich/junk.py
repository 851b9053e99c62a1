"""Classes of spans the French models tag as entities though a reader would list none of them.

- calendar: weekdays and months (French and English, ``calendar_words``), time zones and UTC
  offsets ("UTC+2", "GMT", "heure de Paris" is left to the place);
- demonyms: nationality nouns and adjectives ("Russes", "l'Ukrainien", "Britannique"), taken
  from the official languages of every country (CLDR through Babel: russe, ukrainien,
  polonais…) inflected for gender and number, and their English names (Russian, Ukrainians),
  plus ``data/demonyms.txt`` for the nationalities no language is named after (américain,
  belge…), and the plural endings of peoples;
- page chrome and units: ``data/chrome.txt`` ("Publicité", "Newsletter", "Sms", "km/h").

Each class is a set of folded keys (built once) or a pattern, so a check costs a lookup.
"""

from __future__ import annotations

import re
from functools import lru_cache
from importlib import resources

import pycountry
from babel import Locale
from babel.languages import get_official_languages

from .aliases import alias_key
from .calendar_words import MONTHS, WEEKDAYS

TIME_ZONE = re.compile(r"(?:UTC|GMT|CET|CEST|EET|EEST|MSK|HNE|HAE|TU)(?:\s?[+−-]\s?\d{1,2}(?::?\d{2})?)?",
                       re.IGNORECASE)
# "Ukrainiens", "Américaines", "Européens", "Polonaises": peoples, tagged LOC by the models.
PEOPLES = re.compile(r"[A-ZÀ-Ý][a-zà-ÿ]+(?:iens|iennes|éens|éennes|ains|aines|aises|oises)")


def _data_lines(name: str) -> list[str]:
    text = (resources.files("vigie.enrich") / "data" / name).read_text(encoding="utf-8")
    return [line.strip() for line in text.splitlines() if line.strip() and not line.startswith("#")]


def inflections(adjective: str) -> set[str]:
    """Masculine and feminine, singular and plural: ukrainien → ukrainienne(s), ukrainiens."""
    feminine = adjective if adjective.endswith("e") else adjective + (
        "ne" if adjective.endswith("en") else "e")
    forms = {adjective, feminine}
    return forms | {f if f[-1] in "sxz" else f + "s" for f in forms}


@lru_cache(maxsize=1)
def demonyms() -> frozenset[str]:
    french = Locale("fr").languages
    official = {code for country in pycountry.countries
                for code in get_official_languages(country.alpha_2)}
    adjectives = {french[code] for code in official if code in french and " " not in french[code]}
    adjectives |= set(_data_lines("demonyms.txt"))
    english = {name for code, name in Locale("en").languages.items()
               if code in official and " " not in name}  # Russian(s), Ukrainian(s)
    forms = {form for a in adjectives for form in inflections(a)} | english | {
        f"{name}s" for name in english}
    return frozenset(alias_key(form) for form in forms)


@lru_cache(maxsize=1)
def chrome() -> frozenset[str]:
    return frozenset(alias_key(line) for line in _data_lines("chrome.txt"))


CALENDAR = frozenset(alias_key(word) for word in (*MONTHS, *WEEKDAYS))


def is_calendar(word: str) -> bool:
    return alias_key(word) in CALENDAR or TIME_ZONE.fullmatch(word) is not None


def is_calendar_span(surface: str) -> bool:
    """Calendar words, time zones and numbers only: "Monday", "UTC+2", "Mardi 14"."""
    return TIME_ZONE.fullmatch(surface) is not None or all(
        is_calendar(word) or word.isdigit() for word in surface.split())


def is_demonym(surface: str) -> bool:
    return alias_key(surface) in demonyms() or PEOPLES.fullmatch(surface) is not None


def is_chrome(surface: str) -> bool:
    return alias_key(surface) in chrome()


def junk_class(surface: str) -> str | None:
    """Which class of junk a trimmed span belongs to, if any."""
    for name, test in (("calendar", is_calendar_span), ("demonym", is_demonym),
                       ("chrome", is_chrome)):
        if test(surface):
            return name
    return None
