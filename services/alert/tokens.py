"""French-aware tokens for phrase matching, with offsets back into the original text.

A text is cut into words on the original characters (so a word's span is its offset in the
text as it is), and each word is folded (``vigie.shared.text.fold_text``: case, accents,
ligatures) and reduced to a common form, so that the forms a rule author does not want to list
all compare equal:

- elisions become their full word: ``l’alerte`` → ``le alerte``, ``qu’il`` → ``que il``;
- plurals become a singular-ish stem: ``alertes`` → ``alerte``, ``raids aériens`` →
  ``raid aerien``, ``chevaux``/``cheval`` → ``cheval``, ``bateaux`` → ``bateau``,
  ``feux`` → ``feu``, ``abris`` → ``abri``.

The stem is not a dictionary form; it only has to be the same for the text and the phrase,
which holds because both go through ``stem``.

Tokens are joined into a *stream*: ``" le alerte aerienne | et "``. Words separated by white
space (line breaks included), hyphens, apostrophes or quote marks are adjacent; any other
punctuation puts a barrier ``|`` between them, so a phrase never spans "alerte. Aérienne".
A phrase goes through the same function, which makes its key a substring of the stream
exactly where the phrase occurs, on word boundaries (keys start and end with a space).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from vigie.shared.text import APOSTROPHES, DASHES, fold_text

# Letters and digits, with combining accents in case a text is not NFC; "ʼ" is a letter to
# Unicode but an apostrophe in French text.
WORD = re.compile(rf"(?:[^\W_{re.escape(APOSTROPHES)}]|[\u0300-\u036f])+")
BARRIER = "|"
QUOTES = "'\"«»“”‹›„"
# Besides white space, the characters that may sit between two words of one phrase.
JOINERS = frozenset("-" + DASHES + APOSTROPHES + QUOTES)
ELIDING = frozenset(APOSTROPHES + "'")  # the mark after "l", "d", "qu"… of an elision
ELISIONS = {
    "l": "le", "d": "de", "j": "je", "m": "me", "n": "ne", "s": "se", "t": "te", "c": "ce",
    "qu": "que", "jusqu": "jusque", "lorsqu": "lorsque", "puisqu": "puisque",
    "quoiqu": "quoique",
}


def stem(word: str) -> str:
    """A singular-ish form of a folded word, identical for its singular and plural."""
    if len(word) <= 3:
        return word  # des, les, gaz, bus: short words are left alone
    if word.endswith("eaux") or word.endswith(("eux", "oux")):
        return word[:-1]  # bateaux → bateau, feux → feu, bijoux → bijou
    if word.endswith(("aux", "ail")):
        return word[:-3] + "al"  # chevaux → cheval, travaux/travail → traval
    if word.endswith("au") and not word.endswith("eau"):
        return word[:-2] + "al"  # tuyau → tuyal, to meet tuyaux → tuyal
    if word.endswith("s") and not word.endswith("ss"):
        return word[:-1]  # alertes → alerte, abris → abri
    return word


@dataclass(frozen=True)
class TokenStream:
    """The normalised stream of a text and, per token, its span in the original text."""

    stream: str
    spans: tuple[tuple[int, int], ...]
    positions: dict[int, int]  # stream offset of a token's first character → token index

    def token_at(self, stream_offset: int) -> int:
        return self.positions[stream_offset]


@lru_cache(maxsize=65536)
def normal_form(surface: str, before_apostrophe: bool = False) -> str:
    """The common form of one word as written (cached: news text repeats its words)."""
    word = fold_text(surface)
    return ELISIONS[word] if before_apostrophe and word in ELISIONS else stem(word)


def _joins(gap: str) -> bool:
    """True when the characters between two words keep them in one phrase."""
    return gap == " " or all(char.isspace() or char in JOINERS for char in gap)


def _normalised_words(text: str):
    """Yield (normalised word, start, end, barrier before it) over the original text."""
    previous_end = 0
    for found in WORD.finditer(text):
        start, end = found.span()
        barrier = previous_end > 0 and not _joins(text[previous_end:start])
        elided = text[end:end + 1] in ELIDING
        yield normal_form(found.group(), elided), start, end, barrier
        previous_end = end


def tokenize(text: str) -> TokenStream:
    """The token stream of ``text``; spans index ``text`` itself."""
    parts: list[str] = []
    spans: list[tuple[int, int]] = []
    positions: dict[int, int] = {}
    offset = 1  # the stream starts with a space
    for word, start, end, barrier in _normalised_words(text):
        if barrier:
            parts.append(BARRIER)
            offset += len(BARRIER) + 1
        positions[offset] = len(spans)
        parts.append(word)
        spans.append((start, end))
        offset += len(word) + 1
    stream = " " + " ".join(parts) + " " if parts else " "
    return TokenStream(stream, tuple(spans), positions)


def phrase_key(phrase: str) -> tuple[str, int]:
    """The stream form of a phrase and its number of words (0 if it has no word at all)."""
    tokens = tokenize(phrase)
    return tokens.stream, len(tokens.spans)
