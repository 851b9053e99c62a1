"""Ukrainian and Russian word forms through pymorphy3: what an inflected name is called.

A name in these languages is declined ("в Києві", "Олега Синєгубова", "по Сумам"); the
gazetteer and the alias table know it in the nominative. ``Morphology(language)`` gives the
nominative forms a word may stand for, every parse's, most likely first: "Києві" → кий (a first
name, the dictionary's first parse), київ (the town), so the caller keeps the one a table
knows. Each parse keeps its gender and number ("Сумам" → суми, "Донецькій" → донецька), so a
phrase of an adjective and a noun agrees ("Кривому Розі" → кривий ріг).

The dictionaries (``pymorphy3-dicts-uk``, ``-ru``) load in about 0.1 s and are loaded on the
first article of their language only.
"""

from __future__ import annotations

from functools import lru_cache
from typing import NamedTuple

import pymorphy3

# Grammemes of proper names: first name, surname, patronymic, place, organisation.
PROPER = frozenset({"Name", "Surn", "Patr", "Geox", "Orgn"})
NOMINATIVE = frozenset({"nomn"})
# A declined surname back to the nominative when the dictionary does not know it, by the case
# of the first name before it (masculine): "Синєгубова" → Синєгубов, "Кулебою" → Кулеба.
SURNAME_ENDINGS = {
    "gent": (("ського", "ський"), ("ского", "ский"), ("цького", "цький"), ("ова", "ов"),
             ("ева", "ев"), ("єва", "єв"), ("іна", "ін"), ("ина", "ин"), ("енка", "енко"),
             ("ука", "ук"), ("юка", "юк"), ("ика", "ик"), ("ака", "ак"), ("ля", "ль")),
    "datv": (("ському", "ський"), ("скому", "ский"), ("ову", "ов"), ("еву", "ев"),
             ("єву", "єв"), ("іну", "ін"), ("ину", "ин"), ("енку", "енко"), ("укові", "ук"),
             ("ові", ""), ("еві", ""), ("лю", "ль")),
    "ablt": (("ським", "ський"), ("ским", "ский"), ("овим", "ов"), ("овым", "ов"),
             ("евим", "ев"), ("іним", "ін"), ("иным", "ин"), ("енком", "енко"), ("ом", "")),
}
SURNAME_ENDINGS["accs"] = SURNAME_ENDINGS["gent"]
# A word the dictionary does not know, back to a nominative it may have (a foreign place):
# "в Джидді" → Джидда, "в Анкоридже" → Анкоридж.
UNKNOWN_ENDINGS = (("ії", "ія"), ("ї", "я"), ("і", "а"), ("е", "а"), ("е", ""), ("у", ""),
                   ("і", ""), ("ом", ""), ("ові", ""), ("ах", "и"))
SURNAME_ENDINGS["loct"] = SURNAME_ENDINGS["datv"]


class Form(NamedTuple):
    """A nominative form of a word and what the parse that gave it says of the word."""

    text: str  # lower case, as the dictionary writes it
    proper: frozenset[str]  # the parse's proper-name grammemes (Name, Surn, Geox...)
    case: str | None
    gender: str | None


@lru_cache(maxsize=2)
def analyser(language: str) -> pymorphy3.MorphAnalyzer:
    return pymorphy3.MorphAnalyzer(lang=language)


class Morphology:
    """The nominative forms of words of one language; results are cached per word."""

    def __init__(self, language: str):
        self.morph = analyser(language)
        self._cache: dict[str, list[Form]] = {}

    def forms(self, word: str) -> list[Form]:
        """Every nominative ``word`` may stand for, in the dictionary's order, each once."""
        key = word.lower()
        found = self._cache.get(key)
        if found is None:
            found = self._cache[key] = self._forms(key)
            if len(self._cache) > 100_000:  # a long-running worker meets many words
                self._cache.clear()
        return found

    def _forms(self, word: str) -> list[Form]:
        seen: dict[str, Form] = {}
        for parse in self.morph.parse(word):
            tag = parse.tag
            nominative = parse.inflect(NOMINATIVE) if tag.case and tag.case != "nomn" else None
            proper = frozenset(PROPER & tag.grammemes)
            for text in (nominative.word if nominative else word, parse.normal_form):
                seen.setdefault(text, Form(text, proper, tag.case, tag.gender))
        seen.setdefault(word, Form(word, frozenset(), None, None))
        if not self.morph.word_is_known(word):  # a foreign name: "Джидді" → Джидда
            for ending, nominative in UNKNOWN_ENDINGS:
                if word.endswith(ending) and len(word) > len(ending) + 2:
                    guess = word[: len(word) - len(ending)] + nominative
                    seen.setdefault(guess, Form(guess, frozenset(), None, None))
        return list(seen.values())

    def is_proper(self, word: str, grammemes: frozenset[str] = PROPER) -> bool:
        return any(form.proper & grammemes for form in self.forms(word))

    def is_common(self, word: str) -> bool:
        """Does the dictionary know the word as an ordinary one ("Сирени", "Суми" as sums)?"""
        return any(not form.proper and self.morph.word_is_known(form.text)
                   for form in self.forms(word) if form.text != word.lower())

    def first_name(self, word: str) -> Form | None:
        """The word as a first name; in the nominative where the word may be one ("Роман"
        is also a novel, and the dictionary's first name of that spelling a genitive)."""
        forms = self.forms(word)
        name = next((f for f in forms if "Name" in f.proper), None)
        as_written = next((f for f in forms if f.text == word.lower() and f.case == "nomn"), None)
        if name is not None and as_written is not None and name.case != "nomn":
            return Form(as_written.text, name.proper, "nomn", as_written.gender)
        return name

    def surname(self, word: str, case: str | None, gender: str | None) -> str:
        """The nominative of a surname after a first name in ``case`` and ``gender``."""
        word = word.lower()
        if case in (None, "nomn"):
            return word
        agreeing = [f for f in self.forms(word) if f.case == case and f.gender == gender
                    and f.text != word]
        for form in sorted(agreeing, key=lambda f: "Surn" not in f.proper):
            return form.text
        if gender == "masc":
            for ending, nominative in SURNAME_ENDINGS.get(case, ()):
                if word.endswith(ending) and len(word) > len(ending) + 2:
                    return word[: -len(ending)] + nominative
        return word


def capitalised_like(form: str, surface: str) -> str:
    """``form`` written with the capitals of ``surface`` word by word: ("київ", "Києві") →
    Київ, ("донецька область", "Донецькій області") → Донецька область, ("івано-франківськ",
    "Івано-Франківську") → Івано-Франківськ."""
    words = []
    for word, written in zip(form.split(), surface.split(), strict=False):
        if written.isupper() and len(written) > 1:
            words.append(word.upper())
        elif written[:1].isupper():
            words.append("-".join(part[:1].upper() + part[1:] for part in word.split("-")))
        else:
            words.append(word)
    return " ".join(words)
