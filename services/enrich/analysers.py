"""Which analyser reads an article's names: the one that knows its language.

- the spaCy model (``VIGIE_ENRICH_MODEL``, French by default) reads the articles of its own
  language only, in the model process (``entities.EntityExtractor``);
- Ukrainian and Russian: pymorphy3's dictionaries with the alias table, the gazetteer and
  Ukraine's oblasts, raions and hromadas (``slavic``, ``ua_admin``);
- English: the tables and English's own cues (``english``);
- any other language: the places and known names of the tables, nothing guessed
  (``names.KnownNames``).

Each analyser is made on the first article of its language, so a worker reading only French
never loads a Ukrainian dictionary.
"""

from __future__ import annotations

from typing import Protocol

from .aliases import AliasTable
from .english import EnglishAnalyser
from .mentions import Span
from .names import KnownNames
from .places import Gazetteer
from .slavic import SlavicAnalyser
from .ua_admin import UkraineAdmin

SLAVIC = ("uk", "ru")


def model_language(model: str) -> str:
    """The language of a spaCy pipeline by spaCy's naming: fr_core_news_sm → fr."""
    return model.replace("-", "_").split("_", 1)[0]


class Analyser(Protocol):
    def spans(self, text: str) -> list[Span]: ...


class Analysers:
    """The analyser of each language other than the model's, made on first use."""

    def __init__(self, aliases: AliasTable, places: Gazetteer,
                 ukraine: UkraineAdmin | None = None):
        self.known = KnownNames(aliases, places, ukraine)
        self._by_language: dict[str, Analyser] = {}

    def __call__(self, language: str) -> Analyser:
        analyser = self._by_language.get(language)
        if analyser is None:
            analyser = self._by_language[language] = self._make(language)
        return analyser

    def _make(self, language: str) -> Analyser:
        if language in SLAVIC:
            return SlavicAnalyser(language, self.known)
        if language == "en":
            return EnglishAnalyser(self.known)
        return self.known
