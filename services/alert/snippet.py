"""The sentence that says it: a snippet around a match, the matches in it marked «…»."""

from __future__ import annotations

import re

from vigie.shared.messages import Match

# A sentence ends at . ! ? … followed by white space, or at a line break.
SENTENCE_END = re.compile(r"[.!?…]+[»”\"']?(?=\s)|\n")
# "MM. Rutte et Zelensky", "J. Biden": a period after these does not end a sentence.
ABBREVIATION = re.compile(r"(?:\b[A-Z]|\bMM|\bMmes?|\bMlle|\bDr|\bPr|\bSt|\bcf|\betc)\.$")
MAX_CHARS = 400


def sentence_ends(text: str, start: int, stop: int):
    for found in SENTENCE_END.finditer(text, start, stop):
        if not ABBREVIATION.search(text, max(0, found.start() - 5), found.start() + 1):
            yield found.end()


def sentence_bounds(text: str, start: int, end: int) -> tuple[int, int]:
    """The ``(start, end)`` of the sentence holding ``text[start:end]``."""
    begin = max(sentence_ends(text, 0, start), default=0)
    finish = next(sentence_ends(text, end, len(text)), len(text))
    return begin, finish


def _clip(begin: int, finish: int, match: Match) -> tuple[int, int]:
    """Keep a long sentence readable: at most MAX_CHARS, centred on the match."""
    if finish - begin <= MAX_CHARS:
        return begin, finish
    room = max(0, MAX_CHARS - (match.end - match.start)) // 2
    begin = max(begin, match.start - room)
    return begin, min(finish, max(match.end + room, begin + MAX_CHARS))


def snippet(text: str, matches: list[Match]) -> str:
    """The sentence of the first match, every match inside it marked «…», on one line."""
    if not matches:
        return ""
    first = min(matches, key=lambda m: m.start)
    sentence_begin, sentence_end = sentence_bounds(text, first.start, first.end)
    begin, finish = _clip(sentence_begin, sentence_end, first)
    pieces, cursor = [], begin
    for match in sorted(matches, key=lambda m: m.start):
        if match.start >= cursor and match.end <= finish:
            pieces += [text[cursor:match.start], "«", match.text, "»"]
            cursor = match.end
    pieces.append(text[cursor:finish])
    body = " ".join("".join(pieces).split())
    return ("…" if begin > sentence_begin else "") + body + ("…" if finish < sentence_end else "")
