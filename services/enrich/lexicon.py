"""The ordinary words of the spaCy model's language, read from the model's own package.

The model tags a headline's capitalised word as a name ("Danger", "Orage", "Échanges",
"Exténués", "Arrêter"); the cleaner asks whether the word is a noun, verb, adjective or adverb
of the language. The pipeline runs without the tagger, morphologizer and lemmatizer (a third of
the NER time, for one question a table answers), but the package ships the lemmatizer's tables,
which answer it without running anything: the lemmas it knows by part of speech
(``lemma_index``: 107,000 for French), the inflected forms it knows (``lemma_lookup``:
"échanges" → échanger) and its exceptions (``lemma_exc``: "soutenus" → soutenir), and the
suffix rules by which it finds the lemma of any other form ("affluences" → affluence). They are
read once, as a stream (about 1 s), and kept as sorted arrays of string hashes (4 MB; a lookup
is a few bisections). The tables also hold names ("paris", plural of pari; "canada", a plant): the
gazetteer and the alias table have the last word on those (``EntityCleaner``).
"""

from __future__ import annotations

from array import array
from bisect import bisect_left
from collections.abc import Iterator
from functools import lru_cache
from pathlib import Path

from spacy.strings import get_string_id
from spacy.util import get_package_path
from srsly.msgpack import Unpacker

TABLES = Path("lemmatizer") / "lookups" / "lookups.bin"
Rules = list[tuple[str, str, array]]  # (old suffix, new suffix, the lemmas of that part of speech)


def _hashes(words) -> array:
    return array("Q", sorted({get_string_id(word) for word in words}))


def _holds(hashes: array, word: str) -> bool:
    key = get_string_id(word)
    at = bisect_left(hashes, key)
    return at < len(hashes) and hashes[at] == key


class Lexicon:
    """``word in lexicon``: is the word, in lower case, a form of a lemma the tables know."""

    def __init__(self, forms: array, rules: Rules):
        self._forms, self._rules = forms, rules

    def __contains__(self, word: str) -> bool:
        word = word.lower()
        return _holds(self._forms, word) or any(
            word.endswith(old) and _holds(lemmas, word[:len(word) - len(old)] + new)
            for old, new, lemmas in self._rules)


def _tables_path(model: str) -> Path | None:
    try:
        package = get_package_path(model)
    except ImportError:  # a model given by path, or not installed
        return None
    return next((d / TABLES for d in package.iterdir() if (d / TABLES).is_file()), None)


def _keys(unpacker: Unpacker) -> Iterator:
    """The keys of the map that comes next, its values skipped (read as a stream: the whole
    tables would take 180 MB for a moment)."""
    for _ in range(unpacker.read_map_header()):
        yield unpacker.unpack()
        unpacker.skip()


def _read(unpacker: Unpacker) -> Lexicon:
    """Every form of ``lemma_lookup`` and ``lemma_exc`` (all words of the language, whatever
    their lemma), every lemma of ``lemma_index``, and the suffix rules per part of speech."""
    forms: set[int] = set()
    index: dict[int, array] = {}
    rules: dict[int, list] = {}
    for _ in range(unpacker.read_map_header()):
        table = unpacker.unpack()
        if table == "lemma_lookup":
            forms.update(_keys(unpacker))  # already string hashes
        elif table == "lemma_exc":
            for _ in range(unpacker.read_map_header()):
                unpacker.skip()  # the part of speech
                forms.update(map(get_string_id, _keys(unpacker)))
        elif table == "lemma_index":
            index = {pos: _hashes(lemmas) for pos, lemmas in unpacker.unpack().items()}
        elif table == "lemma_rules":
            rules = unpacker.unpack()
        else:
            unpacker.skip()
    forms.update(key for lemmas in index.values() for key in lemmas)
    return Lexicon(array("Q", sorted(forms)), [
        (old, new, index[pos]) for pos, pairs in rules.items() if pos in index
        for old, new in pairs if old != new])


@lru_cache(maxsize=2)
def lexicon_of(model: str) -> Lexicon:
    """The model's ordinary words; none where its package has no lemmatizer tables."""
    path = _tables_path(model)
    if path is None:
        return Lexicon(array("Q"), [])
    with path.open("rb") as tables:
        return _read(Unpacker(tables, raw=False, strict_map_key=False))
