"""Drills told as such: a match that reports a drill, a siren test, an exercise, a
commemoration or a look back is vetoed, and the veto says why.

A rule's ``unless`` and ``drill`` phrases mark a drill. A phrase, end or continue hit is
vetoed when

- an ``unless`` or ``drill`` hit is in its own sentence ("Essai des sirènes : l'alerte
  aérienne sera testée"): what a sentence says of itself wins over anything else;
- or, its sentence holding none of the rule's ``live`` phrases ("cette nuit", "right now":
  told as happening now), a ``drill`` hit is in its paragraph (a line of the text), in the
  headline or in the lead (the first paragraph): the notice of a monthly siren test says "le
  premier mercredi du mois" a sentence or a paragraph before "les sirènes résonneront".

A drill or unless hit at most ``NOT_DRILL_WITHIN`` words after one of the rule's ``not_drill``
phrases in its sentence counts as none: "ce n'est pas un exercice" denies a drill, "comme lors
de l'exercice de mars" and "a week after the siren test" recall a past one; neither makes the
real alert told in the same sentence a drill.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass
from typing import Literal

from vigie.shared.messages import Match

from .snippet import sentence_ends
from .tokens import TokenStream

DRILL_ROLES = ("unless", "drill")
NOT_DRILL_WITHIN = 4  # "pas un exercice", "after the city's civil defence exercise"
Where = Literal["sentence", "paragraph", "headline", "lead"]


@dataclass(frozen=True)
class Veto:
    """A match that would have counted, its role (phrase, end or continue), the drill phrase
    that vetoed it (as the rule writes it and as the text says it) and where that was."""

    match: Match
    role: str
    drill: str
    seen: str
    where: Where

    @property
    def reason(self) -> str:
        return f"drill {self.drill!r} ({self.seen!r}) in the {self.where}"


class Drills:
    """The drill hits of one rule in one article, and the veto they give each hit."""

    def __init__(self, text: str, tokens: TokenStream, hits: list, headline: TokenStream | None,
                 headline_hits: list):
        self.text, self.tokens = text, tokens
        self._sentence_ends: list[int] = []
        self.drills = self._actual(hits, self._sentence_of)
        self.live = [hit for hit in hits if hit.role == "live"]
        titled = [hit for hit in self._actual(headline_hits, lambda token: 0)
                  if hit.role == "drill"]
        self.headline = (headline.text[headline.span(titled[0].first)[0]:
                                       headline.span(titled[0].last)[1]]
                         if titled and headline else None)

    def veto(self, hit) -> tuple[str, str, Where] | None:
        """(drill phrase, its words, where) when ``hit`` is told as a drill, else None."""
        if not self.drills and self.headline is None:
            return None
        sentence = self._sentence_of(hit.first)
        for drill in self.drills:
            if self._sentence_of(drill.first) == sentence:
                return self._said(drill, "sentence")
        if any(self._sentence_of(live.first) == sentence for live in self.live):
            return None
        contexts = [drill for drill in self.drills if drill.role == "drill"]
        paragraph = self._paragraph_of(hit.first)
        for drill in contexts:
            if self._paragraph_of(drill.first) == paragraph:
                return self._said(drill, "paragraph")
        if self.headline is not None:
            return self.headline, self.headline, "headline"
        lead = self.text.count("\n", 0, len(self.text) - len(self.text.lstrip()))
        for drill in contexts:
            if self._paragraph_of(drill.first) == lead:
                return self._said(drill, "lead")
        return None

    @staticmethod
    def _actual(hits: list, sentence_of) -> list:
        """The drill and unless hits that no ``not_drill`` phrase just before denies."""
        denials = [hit for hit in hits if hit.role == "not_drill"]
        return sorted((hit for hit in hits if hit.role in DRILL_ROLES and not any(
            denial.first <= hit.first and hit.gap(denial) <= NOT_DRILL_WITHIN
            and sentence_of(denial.first) == sentence_of(hit.first) for denial in denials)),
            key=lambda hit: hit.first)

    def _said(self, drill, where: Where) -> tuple[str, str, Where]:
        start, end = self.tokens.span(drill.first)[0], self.tokens.span(drill.last)[1]
        return drill.phrase, self.text[start:end], where

    def _sentence_of(self, token: int) -> int:
        if not self._sentence_ends:  # found on first use: most articles have no drill word
            self._sentence_ends = [*sentence_ends(self.text, 0, len(self.text)),
                                   len(self.text) + 1]
        return bisect.bisect_right(self._sentence_ends, self.tokens.span(token)[0])

    def _paragraph_of(self, token: int) -> int:
        return self.text.count("\n", 0, self.tokens.span(token)[0])
