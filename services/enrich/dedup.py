"""Exact and near-duplicate detection: signatures per article, and an index over a mapping.

``signatures(text)`` gives ``Hashes``:
- ``exact``: hex SHA-256 of the folded text (lower case, no accents, ASCII apostrophes,
  white space collapsed), so re-spaced or re-cased copies are exact duplicates;
- ``near``: a MinHash of the word 3-shingles of the folded text, 64 permutations, written
  ``mh1:`` + base64 of 64 little-endian uint32 (the prefix names the scheme).

``DedupIndex(mapping).check(article_id, hashes)`` returns ``(duplicate_of, near_duplicate_of)``
and records the article. The mapping (a faust Table in the worker) holds only JSON values:
``x:<exact>`` → first id; ``s:<id>`` → [near signature, id of the first article of its group];
and, in memory only, ``b:<band>:<hex>`` → ids whose signature has that LSH band (32 bands of
2 rows), derived from the ``s:`` entries. A lookup reads 32 band buckets and the signatures of
the candidates found there: sub-linear.

Near duplicate = estimated Jaccard similarity of 3-shingles >= ``NEAR_THRESHOLD`` (0.4),
chosen from these measurements (``tests/eval_enrich.py`` and the unit tests):
- seeds copied with another header line, a boilerplate line added or the last paragraph cut:
  0.78–0.98; the first 70 % of a seed alone: 0.53–0.72;
- labelled set, edited copies (header, cut ending, boilerplate, a few words changed): 0.59–0.84;
- two reports of the same visit (seeds 000 and 001): 0.03; every other pair of seeds <= 0.06;
  labelled same-event reports 0.00–0.02; all 528 pairs of distinct labelled articles <= 0.08.
0.4 sits in the wide gap, with room for the estimate's noise (about ±0.06 with 64
permutations). Band setting: a pair at 0.4 becomes a candidate with probability
1 - (1 - 0.4²)³² = 0.996.

Conventions: an article whose id is already recorded (redelivery) gets the verdicts it got the
first time, never "a duplicate of itself"; an exact duplicate gets ``near_duplicate_of=None``
(the stronger verdict says it all) and is not indexed again; ``near_duplicate_of`` names the
first article of the group, so a copy of a copy points to the original.
"""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import MutableMapping

import numpy as np
from datasketch import MinHash

from vigie.shared.messages import Hashes
from vigie.shared.text import fold_text

SHINGLE_WORDS = 3
PERMUTATIONS = 64
BANDS, ROWS = 32, 2
NEAR_THRESHOLD = 0.4
MAX_BUCKET = 50  # the earliest ids of a band bucket are the ones worth pointing to
SCHEME = "mh1:"
WORD = re.compile(r"\w+")


def normalised(text: str) -> str:
    return fold_text(text)


def shingles(text: str, size: int = SHINGLE_WORDS, *, folded: str | None = None) -> set[str]:
    words = WORD.findall(normalised(text) if folded is None else folded)
    if len(words) <= size:
        return {" ".join(words)} if words else set()
    return {" ".join(words[i:i + size]) for i in range(len(words) - size + 1)}


# Drawing the permutations costs ~2 ms per MinHash; they depend only on the seed.
_TEMPLATE = MinHash(num_perm=PERMUTATIONS, seed=1)


def minhash_values(text: str, *, folded: str | None = None) -> np.ndarray:
    sketch = MinHash(num_perm=PERMUTATIONS, seed=1, permutations=_TEMPLATE.permutations,
                     scheme=_TEMPLATE.scheme)
    sketch.update_batch([s.encode("utf-8") for s in sorted(shingles(text, folded=folded))])
    return sketch.hashvalues.astype("<u4")


def encode_near(values: np.ndarray) -> str:
    return SCHEME + base64.b64encode(values.astype("<u4").tobytes()).decode("ascii")


def decode_near(near: str) -> np.ndarray:
    if not near.startswith(SCHEME):
        raise ValueError(f"unknown near-duplicate signature scheme: {near[:8]!r}")
    return np.frombuffer(base64.b64decode(near[len(SCHEME):]), dtype="<u4")


def similarity(near_a: str, near_b: str) -> float:
    """Estimated Jaccard similarity of the two texts' shingle sets."""
    return float(np.mean(decode_near(near_a) == decode_near(near_b)))


def signatures(text: str) -> Hashes:
    folded = normalised(text)  # once for both hashes: folding is most of their cost
    exact = hashlib.sha256(folded.encode("utf-8")).hexdigest()
    return Hashes(exact=exact, near=encode_near(minhash_values(text, folded=folded)))


def band_keys(near: str) -> list[str]:
    values = decode_near(near)
    return [f"b:{band}:{values[band * ROWS:(band + 1) * ROWS].tobytes().hex()}"
            for band in range(BANDS)]


class DedupIndex:
    """First-seen ids per exact hash and per near-duplicate group, in any mutable mapping.

    The mapping (the changelog-backed table) holds only ``x:`` and ``s:`` keys: two writes per
    new article. The LSH band buckets are derived from the ``s:`` entries and kept in memory,
    rebuilt whenever the mapping changed behind the index's back (recovery after a restart or
    a rebalance), so the changelog carries no bucket rewrites. Values are always re-assigned,
    never mutated in place, so the changelog records every change.
    """

    def __init__(self, mapping: MutableMapping[str, object], threshold: float = NEAR_THRESHOLD):
        self.mapping = mapping
        self.threshold = threshold
        self._buckets: dict[str, list[str]] = {}
        self._known_size = -1  # the mapping's size when the buckets were last in step

    def check(self, article_id: str, hashes: Hashes) -> tuple[str | None, str | None]:
        if len(self.mapping) != self._known_size:
            self._rebuild_buckets()
        try:
            return self._check(article_id, hashes)
        finally:
            self._known_size = len(self.mapping)

    def _check(self, article_id: str, hashes: Hashes) -> tuple[str | None, str | None]:
        first_exact = self.mapping.get(f"x:{hashes.exact}")
        if first_exact is None:
            self.mapping[f"x:{hashes.exact}"] = article_id
        elif first_exact != article_id:
            return first_exact, None
        recorded = self.mapping.get(f"s:{article_id}")
        if recorded is not None:  # redelivery: same verdict as the first time
            root = recorded[1]
            return None, (root if root != article_id else None)
        root = self._near_root(article_id, hashes.near)
        self.mapping[f"s:{article_id}"] = [hashes.near, root or article_id]
        self._index(article_id, hashes.near)
        return None, root

    def _rebuild_buckets(self) -> None:
        self._buckets = {}
        for key, value in list(self.mapping.items()):
            if key.startswith("s:"):
                self._index(key[2:], value[0])

    def _index(self, article_id: str, near: str) -> None:
        for key in band_keys(near):
            bucket = self._buckets.setdefault(key, [])
            if article_id not in bucket and len(bucket) < MAX_BUCKET:
                bucket.append(article_id)

    def _candidates(self, article_id: str, near: str) -> list[str]:
        seen: dict[str, None] = {}
        for key in band_keys(near):
            for other in self._buckets.get(key, ()):
                if other != article_id:
                    seen.setdefault(other)
        return list(seen)

    def _near_root(self, article_id: str, near: str) -> str | None:
        """The group's first article among sufficiently similar candidates, if any."""
        best: tuple[float, str] | None = None
        for other in self._candidates(article_id, near):
            other_near, other_root = self.mapping[f"s:{other}"]
            score = similarity(near, other_near)
            if score >= self.threshold and (best is None or score > best[0]):
                best = (score, other_root)
        return best[1] if best else None
