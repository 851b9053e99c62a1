"""Text normalisation shared by enrich and alert, with offsets kept into the original text.

``fold`` lower-cases, strips accents, turns typographic apostrophes and dashes into ASCII and
collapses runs of white space, so "L’Alerte  aérienne" and "l'alerte aerienne" compare equal.
Each folded character remembers the original index it came from, so a match found in the
folded text maps back to ``text[start:end]`` exactly.
"""

from __future__ import annotations

import functools
import hashlib
import unicodedata
from dataclasses import dataclass

APOSTROPHES = "\u2019\u2018\u02bc\u2032\u00b4`"
DASHES = "\u2010\u2011\u2012\u2013\u2014\u2212"
# Characters whose NFKD form is not "base letter + combining marks".
SPECIAL = {"œ": "oe", "æ": "ae", "ß": "ss", "ø": "o", "ł": "l", "đ": "d"}


def nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text)


def normalize_apostrophes(text: str) -> str:
    """’ and its look-alikes become ', one character for one, so offsets do not move."""
    return text.translate({ord(c): "'" for c in APOSTROPHES})


# Texts use a few hundred distinct characters: fold each once, not once per occurrence.
@functools.lru_cache(maxsize=8192)
def _fold_char(char: str) -> str:
    if char in APOSTROPHES:
        return "'"
    if char in DASHES:
        return "-"
    if char.isspace():
        return " "
    lowered = char.lower()
    if lowered in SPECIAL:
        return SPECIAL[lowered]
    decomposed = unicodedata.normalize("NFKD", lowered)
    return "".join(c for c in decomposed if not unicodedata.combining(c))


@dataclass(frozen=True)
class Folded:
    """Folded text plus, for each folded character, the index of its source character."""

    text: str
    origin: tuple[int, ...]
    source_length: int

    def span(self, start: int, end: int) -> tuple[int, int]:
        """The original ``(start, end)`` of the folded slice ``[start:end]``."""
        source_end = self.origin[end] if end < len(self.origin) else self.source_length
        # A folded char that expands ("œ" → "oe") maps both halves to one source index.
        if end > start and end < len(self.origin) and self.origin[end] == self.origin[end - 1]:
            source_end = self.origin[end] + 1
        return self.origin[start], source_end


def fold(text: str) -> Folded:
    chars: list[str] = []
    origin: list[int] = []
    previous_space = True  # drop leading white space
    for index, char in enumerate(text):
        folded = _fold_char(char)
        if folded == " ":
            if previous_space:
                continue
            previous_space = True
        elif folded:
            previous_space = False
        for piece in folded:
            chars.append(piece)
            origin.append(index)
    while chars and chars[-1] == " ":
        chars.pop()
        origin.pop()
    return Folded("".join(chars), tuple(origin), len(text))


def fold_text(text: str) -> str:
    """Just the folded string, for keys and comparisons."""
    return fold(text).text


def digest(*parts: str, length: int = 32) -> str:
    """A stable hex id from parts (SHA-256, truncated): the same parts give the same id."""
    joined = "\x1f".join(parts).encode("utf-8")
    return hashlib.sha256(joined).hexdigest()[:length]
