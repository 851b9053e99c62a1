"""Names found without a model: capitalised words looked up in the alias table and gazetteer.

The analysers of languages other than French (``analysers``) share this: the text is cut into
words (``words``), runs of capitalised words are the candidates (a name never spans
punctuation or a line break), and the longest stretch of a run that the alias table, the
gazetteer or Ukraine's admin places know is a name (``KnownNames.scan``), possibly followed
by a few lower-case words ("Kharkiv region", "Донецькій області", "Чорному морі"). A
language that declines names passes the nominative forms of each word (``morphology``); the
others pass the word itself.

What this finds is only what the tables know: a language with no model of its own gets its
places and known names, and nothing guessed (``KnownNames.spans``).
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable, Sequence
from typing import NamedTuple

from .aliases import AliasTable
from .mentions import Span
from .morphology import capitalised_like
from .places import Gazetteer
from .ua_admin import UkraineAdmin

WORD = re.compile(r"[^\W\d_]+(?:[-'’ʼ][^\W\d_]+)*")
SENTENCE_END = re.compile(r"[.!?…:;\n]")
GAP_IN_A_NAME = re.compile(r"[ \u00a0]+")
MAX_WORDS = 5  # the longest name looked up, lower-case words after it included
MAX_TRAILING = 2  # lower-case words a name may end with ("oblast", "области", "морі")
MAX_PHRASES = 64  # nominative combinations tried per stretch of words
SMALL_TOWN = 100_000  # a single word that only an alternate name of a smaller town fits is no place


class Word(NamedTuple):
    start: int
    end: int
    text: str
    initial: bool  # first word of a sentence or line: its capital says nothing

    @property
    def capitalised(self) -> bool:
        return self.text[:1].isupper()


def words(text: str) -> list[Word]:
    found: list[Word] = []
    previous_end = 0
    for match in WORD.finditer(text):
        initial = not found or SENTENCE_END.search(text, previous_end, match.start()) is not None
        found.append(Word(match.start(), match.end(), match.group(), initial))
        previous_end = match.end()
    return found


def joined(text: str, left: Word, right: Word) -> bool:
    """Are two words parts of one name: only spaces between them."""
    return GAP_IN_A_NAME.fullmatch(text, left.end, right.start) is not None


class Known(NamedTuple):
    label: str
    name: str  # the form the tables know (nominative), as the text capitalises it


FormsOf = Callable[[Word], Sequence[str]]


def same_form(word: Word) -> Sequence[str]:
    return (word.text,)


class KnownNames:
    """Stretches of capitalised words that the alias table, the gazetteer or Ukraine's
    admin places (``ua_admin``: "Нікопольський район") know."""

    def __init__(self, aliases: AliasTable, places: Gazetteer,
                 ukraine: UkraineAdmin | None = None):
        self.aliases, self.places, self.ukraine = aliases, places, ukraine

    def known(self, phrase: str, single: bool) -> Known | None:
        entry = self.aliases.lookup(phrase)
        if entry is not None:
            return Known(entry.label or "MISC", phrase)
        if self.ukraine is not None and self.ukraine.knows(phrase):
            return Known("LOC", phrase)
        candidates = self.places.candidates(phrase)
        if single:  # a lone word: GeoNames' alternate names hold surnames and common words
            candidates = [c for c in candidates if c.primary or c.population >= SMALL_TOWN]
        return Known("LOC", phrase) if candidates else None

    def lookup(self, stretch: Sequence[Word], forms_of: FormsOf) -> Known | None:
        """The first nominative phrase of ``stretch`` the tables know."""
        surface = " ".join(w.text for w in stretch)
        choices = [forms_of(w) for w in stretch]
        for combination in itertools.islice(itertools.product(*choices), MAX_PHRASES):
            phrase = " ".join(combination)
            found = self.known(phrase, single=len(stretch) == 1)
            if found is not None:
                return Known(found.label, capitalised_like(phrase, surface))
        return None

    def scan(self, text: str, all_words: list[Word], forms_of: FormsOf = same_form,
             accept: Callable[[Word, Known], bool] | None = None
             ) -> tuple[list[Span], list[list[Word]]]:
        """The known names of the text, and the runs of capitalised words left unknown."""
        spans: list[Span] = []
        unknown: list[list[Word]] = []
        index = 0
        while index < len(all_words):
            if not all_words[index].capitalised:
                index += 1
                continue
            run_end = _run_end(text, all_words, index)
            found = self._longest(text, all_words, index, run_end, forms_of)
            if found is None or (accept is not None and not accept(all_words[index], found[1])):
                unknown_end = index + 1
                while unknown_end < run_end and not self._longest(
                        text, all_words, unknown_end, run_end, forms_of):
                    unknown_end += 1
                unknown.append(all_words[index:unknown_end])
                index = unknown_end
                continue
            end, known = found
            spans.append(Span(all_words[index].start, all_words[end - 1].end, known.label,
                              known.name))
            index = end
        return spans, unknown

    def _longest(self, text: str, all_words: list[Word], start: int, run_end: int,
                 forms_of: FormsOf) -> tuple[int, Known] | None:
        """(end, name) of the longest known stretch from ``start``: within the run of
        capitals, plus up to ``MAX_TRAILING`` lower-case words right after it."""
        limit = min(len(all_words), start + MAX_WORDS, run_end + MAX_TRAILING)
        while limit > run_end and not all(
                joined(text, all_words[i - 1], all_words[i]) for i in range(run_end, limit)):
            limit -= 1
        for end in range(limit, start, -1):
            known = self.lookup(all_words[start:end], forms_of)
            if known is not None:
                return end, known
        return None

    def spans(self, text: str) -> list[Span]:
        """The known names only: for a language without an analyser of its own."""
        return self.scan(text, words(text))[0]


def _run_end(text: str, all_words: list[Word], start: int) -> int:
    end = start + 1
    while (end < len(all_words) and all_words[end].capitalised
           and joined(text, all_words[end - 1], all_words[end])):
        end += 1
    return end
