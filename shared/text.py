"""Text normalisation shared by enrich and alert.

``fold_text`` lower-cases, strips accents, turns typographic apostrophes and dashes into ASCII
and collapses runs of white space, so "L’Alerte  aérienne" and "l'alerte aerienne" compare
equal. Callers that need offsets cut the original text first and fold each piece (alert's
tokenizer folds word by word).
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from urllib.parse import urlsplit

APOSTROPHES = "\u2019\u2018\u02bc\u2032\u00b4`"
DASHES = "\u2010\u2011\u2012\u2013\u2014\u2212"
# Characters whose NFKD form is not "base letter + combining marks".
SPECIAL = {"œ": "oe", "æ": "ae", "ß": "ss", "ø": "o", "ł": "l", "đ": "d"}


# C0 and C1 control characters but tab and newline (carriage returns become newlines first).
CONTROL_CHARACTERS = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")
ELLIPSIS = "…"


def strip_controls(text: str) -> str:
    """``text`` without control characters: they break logs, terminals and XML (CAP)."""
    return CONTROL_CHARACTERS.sub("", text.replace("\r\n", "\n").replace("\r", "\n"))


def shorten(text: str, limit: int) -> str:
    """``text`` cut to at most ``limit`` characters at a word boundary, with an ellipsis."""
    if len(text) <= limit:
        return text
    cut = text[:limit - len(ELLIPSIS)]
    space = cut.rfind(" ")
    if space > limit // 2:  # a word boundary not too far back; else cut inside the word
        cut = cut[:space]
    return cut.rstrip(" ,;:.-") + ELLIPSIS


def web_link(url: str | None) -> str | None:
    """``url`` if it is an absolute http(s) URL with a host, else None: the only links a
    dashboard, a subscriber or a CAP reader may be handed (no ``javascript:``, ``data:``,
    ``file:``)."""
    try:
        parts = urlsplit((url or "").strip())
    except ValueError:
        return None
    return url.strip() if parts.scheme.lower() in ("http", "https") and parts.hostname else None


def nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text)


def normalize_apostrophes(text: str) -> str:
    """’ and its look-alikes become ', one character for one, so offsets do not move."""
    return text.translate({ord(c): "'" for c in APOSTROPHES})


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


class _FoldTable(dict):
    """``str.translate`` table filled on first sight of each character: texts use a few
    hundred distinct ones, so translating is C-speed after the first articles."""

    def __missing__(self, code: int) -> str:
        self[code] = folded = _fold_char(chr(code))
        return folded


_FOLD_TABLE = _FoldTable()


def fold_text(text: str) -> str:
    """Lower case, no accents, ASCII apostrophes and dashes, single spaces, no edge spaces:
    the form under which words are compared and keyed."""
    return " ".join(text.translate(_FOLD_TABLE).split())


def digest(*parts: str, length: int = 32) -> str:
    """A stable hex id from parts (SHA-256, truncated): the same parts give the same id."""
    joined = "\x1f".join(parts).encode("utf-8")
    return hashlib.sha256(joined).hexdigest()[:length]
