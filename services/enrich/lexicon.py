"""The ordinary words of the spaCy model's language, read from the model's own package.

The model tags a headline's capitalised word as a name ("Danger", "Orage", "Échanges",
"Exténués", "Arrêter"); the cleaner asks whether the word is a noun, verb, adjective or adverb
of the language. The pipeline runs without the tagger, morphologizer and lemmatizer (a third of
the NER time, for one question a table answers), but the package ships the lemmatizer's tables,
which answer it without running anything: the lemmas it knows by part of speech
(``lemma_index``: 107,000 for French), the inflected forms that lead to them (``lemma_lookup``:
"échanges" → échanger) and its exceptions (``lemma_exc``: "soutenus" → soutenir), and the
suffix rules by which it finds the lemma of any other form ("affluences" → affluence). They are
read once (about 0.5 s) and kept as sorted arrays of string hashes (4 MB; a lookup is a few
bisections). The tables also hold names ("paris", plural of pari; "canada", a plant): the
gazetteer and the alias table have the last word on those (``EntityCleaner``).
"""

from __future__ import annotations

from array import array
from bisect import bisect_left
from functools import lru_cache
from pathlib import Path

import srsly
from spacy.strings import get_string_id
from spacy.util import get_package_path

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


def _read(tables: dict) -> Lexicon:
    index = {pos: set(words) for pos, words in tables.get("lemma_index", {}).items()}
    lemmas = set().union(*index.values())
    forms = array("Q", sorted(
        {key for key, leads_to in tables.get("lemma_lookup", {}).items()
         if any(lemma in lemmas for lemma in leads_to)}
        | {get_string_id(form) for exceptions in tables.get("lemma_exc", {}).values()
           for form in exceptions}
        | {get_string_id(lemma) for lemma in lemmas}))
    by_pos = {pos: _hashes(words) for pos, words in index.items()}
    rules = [(old, new, by_pos[pos]) for pos, pairs in tables.get("lemma_rules", {}).items()
             if pos in by_pos for old, new in pairs if old != new]
    return Lexicon(forms, rules)


@lru_cache(maxsize=2)
def lexicon_of(model: str) -> Lexicon:
    """The model's ordinary words; none where its package has no lemmatizer tables."""
    path = _tables_path(model)
    if path is None:
        return Lexicon(array("Q"), [])
    return _read(srsly.msgpack_loads(path.read_bytes()))
