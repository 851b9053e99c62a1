"""Tokens for phrase matching in French, English, Ukrainian and Russian, with offsets back
into the original text.

A text is cut into words on the original characters (so a word's span is its offset in the
text as it is), and each word is reduced to a common form, so that the forms a rule author
does not want to list all compare equal:

- Latin-script words are folded (``vigie.shared.text.fold_text``: case, accents, ligatures)
  and stemmed:

  - French elisions become their full word: ``l’alerte`` → ``le alerte``, ``qu’il`` →
    ``que il``;
  - plurals become a singular-ish stem: ``alertes`` → ``alerte``, ``raids aériens`` →
    ``raid aerien``, ``chevaux``/``cheval`` → ``cheval``, ``bateaux`` → ``bateau``,
    ``feux`` → ``feu``, ``abris`` → ``abri``; in English ``alerts`` → ``alert``;
  - an English possessive is part of its word and dropped: ``Kyiv's`` → ``kyiv``.

- Cyrillic words are replaced by their dictionary form (lemma), found by ``pymorphy3``, then
  folded: ``повітряну тривогу``, ``повітряній тривозі`` → ``повітрянии тривога`` (no suffix
  rule unites тривога and тривозі). Ukrainian and Russian share most letters, so the word
  picks its analyzer: one with ``і ї є ґ`` is Ukrainian, one with ``ы э ъ ё`` Russian;
  otherwise the first of the two dictionaries that knows the word, asking that of the
  article's language first (``cyrillic``; Ukrainian when the article is in neither). Only
  then are the Russian ``дронов`` (of ``дрон``) and the Ukrainian surname ``Дронов`` told
  apart. A rule phrase has no language, so it is keyed both ways (``phrase_keys``) and
  matches in an article of either language.

A stem is not always a dictionary form; it only has to be the same for the text and the
phrase, which holds because both go through ``normal_form``.

Tokens are joined into a *stream*: ``" le alerte aerienne | et "``. Words separated by white
space (line breaks included), hyphens, apostrophes or quote marks are adjacent; any other
punctuation puts a barrier ``|`` between them, so a phrase never spans "alerte. Aérienne".
A phrase goes through the same function, which makes its key a substring of the stream
exactly where the phrase occurs, on word boundaries (keys start and end with a space).

Speed: the text is cut at white space (``str.split``, in C) into runs such as ``l’alerte``
or ``aérienne.``; each run's stream and word spans are computed once and cached, since news
text repeats them as much as its words. Where a word is in the text, and which token a stream
offset is, are worked out only for the few the matcher hits.
"""

from __future__ import annotations

import bisect
import re
from functools import cache, cached_property, lru_cache
from itertools import accumulate

import pymorphy3

from vigie.shared.text import APOSTROPHES, DASHES, fold_text

ELIDING = frozenset(APOSTROPHES + "'")  # the mark after "l", "d", "qu"… of an elision
_APOSTROPHE = re.escape("".join(sorted(ELIDING)))
_CYRILLIC = "\u0400-\u04ff"
# Letters and digits, with combining accents in case a text is not NFC ("ʼ" is a letter to
# Unicode but an apostrophe); an apostrophe inside a Cyrillic word belongs to it (м'ясо),
# and an English possessive to the word before it (Kyiv's).
# Written as runs of letters, the rarer pieces between them, so that re scans it fast.
_LETTERS = rf"[^\W_{_APOSTROPHE}]"
WORD = re.compile(
    rf"{_LETTERS}+(?:(?:[\u0300-\u036f]+|(?<=[{_CYRILLIC}])[{_APOSTROPHE}](?=[{_CYRILLIC}]))"
    rf"{_LETTERS}*)*(?:[{_APOSTROPHE}][sS]\b)?"
)
_WORDS_AND_GAPS = re.compile(f"({WORD.pattern})")
BARRIER = "|"
QUOTES = "'\"«»“”‹›„"
# Besides white space, the characters that may sit between two words of one phrase.
JOINERS = frozenset("-" + DASHES + APOSTROPHES + QUOTES)
ELISIONS = {
    "l": "le", "d": "de", "j": "je", "m": "me", "n": "ne", "s": "se", "t": "te", "c": "ce",
    "qu": "que", "jusqu": "jusque", "lorsqu": "lorsque", "puisqu": "puisque",
    "quoiqu": "quoique",
}
CYRILLIC_LANGUAGES = ("uk", "ru")
MAX_CACHED_CHUNKS = 1 << 16  # per language: some 20 MB at most
_OWN_LETTERS = {"uk": frozenset("іїєґ"), "ru": frozenset("ыэъё")}


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
        return word[:-1]  # alertes → alerte, abris → abri, alerts → alert
    return word


@cache
def _analyzer(language: str) -> pymorphy3.MorphAnalyzer:
    """Loaded on first use (a fraction of a second each): French rules never need it."""
    return pymorphy3.MorphAnalyzer(lang=language)


def _language_of(word: str, cyrillic: str) -> str:
    """Whose word it is: told by its letters, else by the first dictionary that knows it,
    ``cyrillic`` first (which also guesses the words neither knows: Шахеди)."""
    for language, letters in _OWN_LETTERS.items():
        if not letters.isdisjoint(word):
            return language
    other = "ru" if cyrillic == "uk" else "uk"
    known = [lang for lang in (cyrillic, other) if _analyzer(lang).word_is_known(word)]
    return known[0] if known else cyrillic


@lru_cache(maxsize=1 << 16)
def lemma(word: str, cyrillic: str = "uk") -> str:
    """The dictionary form of a lower-case Cyrillic word (cached: parsing takes tens of µs)."""
    word = word.replace("\u02bc", "'").replace("\u2019", "'")
    return _analyzer(_language_of(word, cyrillic)).parse(word)[0].normal_form


def normal_form(surface: str, gap_after: str = "", cyrillic: str = "uk") -> str:
    """The common form of one word as written, given the characters after it (an apostrophe
    there makes an elision)."""
    if "\u0400" <= surface[0] <= "\u04ff":
        return fold_text(lemma(surface.lower(), cyrillic))
    word = fold_text(surface)
    if word.endswith("'s"):
        return stem(word[:-2])  # Kyiv's → kyiv, alert's → alert
    return ELISIONS[word] if gap_after[:1] in ELIDING and word in ELISIONS else stem(word)


def _joins(gap: str) -> bool:
    """True when the characters between two words keep them in one phrase."""
    return all(char in JOINERS for char in gap)


def _chunk(chunk: str, cyrillic: str) -> tuple[str, tuple[tuple[int, int], ...]]:
    """The stream of a run of text without white space (a word with its punctuation, or a
    few words joined by hyphens or apostrophes: "l’alerte", "(AFP)", "Shahed-136,") and its
    words' spans in it. Each token and barrier comes after one space: " le alerte |"."""
    parts = _WORDS_AND_GAPS.split(chunk)  # gap, word, gap, word, …, gap
    stream, spans, offset = [], [], 0
    for index, part in enumerate(parts):
        if index % 2:
            stream.append(" " + normal_form(part, parts[index + 1], cyrillic))
            spans.append((offset, offset + len(part)))
        elif not _joins(part):
            stream.append(" " + BARRIER)
        offset += len(part)
    return "".join(stream), tuple(spans)


class _Chunks(dict):
    """``_chunk`` of each run, for one ``cyrillic`` language: news text repeats its runs as
    much as its words, and a dict lookup is the cheapest cache there is (half the cost of an
    ``lru_cache`` call); it empties when full, to stay bounded."""

    def __init__(self, cyrillic: str):
        super().__init__()
        self.cyrillic = cyrillic

    def __missing__(self, chunk: str):
        if len(self) >= MAX_CACHED_CHUNKS:
            self.clear()
        self[chunk] = found = _chunk(chunk, self.cyrillic)
        return found


_CHUNKS = {language: _Chunks(language) for language in CYRILLIC_LANGUAGES}


class TokenStream:
    """The normalised stream of a text and where its words are in the original text."""

    def __init__(self, text: str, cyrillic: str = "uk"):
        self.text = text
        pieces = list(map(_CHUNKS[cyrillic].__getitem__, text.split()))
        streams, self._spans = zip(*pieces, strict=True) if pieces else ((), ())
        self.stream = "".join(streams) + " "

    @cached_property
    def _firsts(self) -> list[int]:
        """The index of each chunk's first token; the last one is the number of tokens."""
        return list(accumulate(map(len, self._spans), initial=0))

    def __len__(self) -> int:
        return self._firsts[-1]

    def _chunk_start(self, chunk: int) -> int:
        """Where a chunk starts in the text: splitting off the chunks before it leaves the
        text from there on (in C; only an article with hits needs it)."""
        return len(self.text) - len(self.text.split(maxsplit=chunk)[-1])

    def span(self, token: int) -> tuple[int, int]:
        """The (start, end) of a token's word in the text."""
        chunk = bisect.bisect_right(self._firsts, token) - 1  # a chunk with words in it
        start, end = self._spans[chunk][token - self._firsts[chunk]]
        offset = self._chunk_start(chunk)
        return offset + start, offset + end

    def token_at(self, stream_offset: int) -> int:
        """The index of the token starting at ``stream_offset``: every token and barrier
        before it comes after one space."""
        before = self.stream.count(" ", 0, stream_offset)
        return before - self.stream.count(BARRIER, 0, stream_offset) - 1


def tokenize(text: str, cyrillic: str = "uk") -> TokenStream:
    """The token stream of ``text``; spans index ``text`` itself. ``cyrillic``: the language
    asked first about a Cyrillic word both dictionaries know."""
    return TokenStream(text, cyrillic)


@lru_cache(maxsize=4096)
def phrase_key(phrase: str, cyrillic: str = "uk") -> tuple[str, int]:
    """The stream form of a phrase and its number of words (0 if it has no word at all)."""
    tokens = tokenize(phrase, cyrillic)
    return tokens.stream, len(tokens)


def phrase_keys(phrase: str) -> set[tuple[str, int]]:
    """The keys of a phrase as either Cyrillic language would read it: usually one."""
    return {phrase_key(phrase, language) for language in CYRILLIC_LANGUAGES}
