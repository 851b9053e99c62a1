"""Exact and near-duplicate detection: signatures per article, and an index over a mapping.

``signatures(text)`` gives ``Hashes``:
- ``exact``: hex SHA-256 of the folded text (lower case, no accents, ASCII apostrophes,
  white space collapsed), so re-spaced or re-cased copies are exact duplicates;
- ``near``: a MinHash of the word 3-shingles of the folded text, 64 permutations, written
  ``mh1:`` + base64 of 64 little-endian uint32 (the prefix names the scheme).

``DedupIndex(mapping).check(article_id, hashes, at, source)`` returns ``(duplicate_of,
near_duplicate_of)`` and records the article, of event time ``at``, among those seen within the
window (``VIGIE_DEDUP_WINDOW_DAYS``). The mapping (a faust Table in the worker) holds only JSON
values: ``x:<exact>`` → [first id, its source, time]; ``s:<id>`` → [near signature, id of the
first article of its group, source, time]; and, in memory only, the LSH band buckets (32 bands
of 2 rows) → ids whose signature has that band, derived from the ``s:`` entries. A lookup reads
32 band buckets and the signatures of the candidates found there: sub-linear.

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

Two articles of one source (``source_key``: its kind and name) with different ids are never
duplicates of each other, nor of a group that began in that source: a source gives each of its
items an id of its own (a guid, a post id, a file), so a new id is its word that this is a new
item, and sources that write from templates publish items that differ in a few words (two
air-raid alerts for one oblast differ only by the time; so do two weather bulletins). Across
sources an id says nothing about the story, so the texts decide: the same agency story in two
feeds is still one story.
"""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Iterator, MutableMapping

import numpy as np
from datasketch import MinHash

from vigie.shared.expiry import DAY_S, Expiry
from vigie.shared.messages import Hashes, Source
from vigie.shared.text import fold_text

SHINGLE_WORDS = 3
PERMUTATIONS = 64
BANDS, ROWS = 32, 2
NEAR_THRESHOLD = 0.4
MAX_BUCKET = 50  # the earliest ids of a band bucket are the ones worth pointing to
EXPIRED_PER_CHECK = 8  # a check adds two entries; deleting up to eight drains any backlog
REBUILD_STEP = 1_000  # entries indexed between two yields to the event loop (~30 ms)
SCHEME = "mh1:"
EXACT_ENTRY, NEAR_ENTRY = 3, 4  # entry lengths: [id, source, time], [near, root, source, time]
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


def source_key(source: Source) -> str | None:
    """The identity of the source that gave an article its id; None where it has no name
    (its articles are then compared as if from other sources)."""
    return f"{source.kind}:{source.name}" if source.name else None


def band_keys(near: str) -> list[int]:
    """The signature's 32 LSH bands, each as one int (band number in the low 5 bits): small
    dictionary keys, since the index holds 32 per article in the window."""
    values = decode_near(near).view("<u8").tolist()  # one uint64 per band of 2 rows
    return [(value << 5) | band for band, value in enumerate(values)]


class DedupIndex:
    """First-seen ids per exact hash and per near-duplicate group, over a window of event time.

    The mapping (the changelog-backed table) holds only JSON values, two entries per new
    article: ``x:<exact>`` → [first id, source, time] and ``s:<id>`` → [near signature, id of
    the first article of its group, source, time] (entries written before sources were kept
    lack the source, and count as of another source). Entries older than the window
    (``vigie.shared.expiry``) no longer count and are deleted a few per check, so the table
    follows the window. The LSH band buckets are derived from the ``s:`` entries and kept in
    memory only, rebuilt whenever the mapping changed behind the index's back (``mark_stale``:
    a recovery after a restart or a rebalance), so the changelog carries no bucket rewrites.
    Values are always re-assigned, never mutated in place, so the changelog records every change.
    """

    def __init__(self, mapping: MutableMapping[str, object], threshold: float = NEAR_THRESHOLD,
                 window_s: float = 7 * DAY_S):
        self.mapping = mapping
        self.threshold = threshold
        self.expiry = Expiry(window_s)
        self.size = 0  # entries in the mapping (counted: len() of a rocksdb table reads it all)
        self._buckets: dict[int, str | list[str]] = {}
        self._stale = True  # the mapping may hold entries the buckets do not

    @property
    def in_step(self) -> bool:
        return not self._stale

    def mark_stale(self) -> None:
        """The mapping changed behind the index's back (a table recovery): rebuild first."""
        self._stale = True

    def rebuild(self) -> Iterator[None]:
        """Rebuild the buckets and the expiry order from the mapping, one step per
        ``REBUILD_STEP`` entries: a worker awaits between steps, so that a take-over's rebuild
        never holds the event loop (heartbeats, metrics) for long."""
        self._buckets = {}
        self.expiry.reset()
        entries = list(self.mapping.items())
        self.size = len(entries)
        for start in range(0, len(entries), REBUILD_STEP):
            for key, value in entries[start:start + REBUILD_STEP]:
                at = _time_of(value)
                self.expiry.observe(at or 0.0)
                self.expiry.track(0, at, key)
                if key.startswith("s:"):
                    self._index(key[2:], value[0])
            yield
        self._stale = False

    def check(self, article_id: str, hashes: Hashes, at: float = 0.0,
              source: Source | None = None) -> tuple[str | None, str | None]:
        """The verdicts for an article of event time ``at`` (epoch seconds) from ``source``,
        recorded."""
        if not self.in_step:
            for _ in self.rebuild():
                pass
        self.expiry.observe(at)
        try:
            return self._check(article_id, hashes, at, source and source_key(source))
        finally:
            self._expire()

    def _check(self, article_id: str, hashes: Hashes, at: float,
               source: str | None) -> tuple[str | None, str | None]:
        exact_key = f"x:{hashes.exact}"
        first_exact = self._live(exact_key)
        if first_exact is None:
            self._record(exact_key, [article_id, source, at])
        elif first_exact[0] != article_id and not _of_source(first_exact, source, EXACT_ENTRY):
            return first_exact[0], None
        recorded = self._live(f"s:{article_id}")
        if recorded is not None:  # redelivery: same verdict as the first time
            root = recorded[1]
            return None, (root if root != article_id else None)
        root = self._near_root(article_id, hashes.near, source)
        self._record(f"s:{article_id}", [hashes.near, root or article_id, source, at])
        self._index(article_id, hashes.near)
        return None, root

    def _live(self, key: str) -> list | None:
        value = self.mapping.get(key)
        if value is None or not self.expiry.is_live(_time_of(value)):
            return None
        return value

    def _record(self, key: str, value: list) -> None:
        if key not in self.mapping:
            self.size += 1
        self.mapping[key] = value
        self.expiry.track(0, value[-1], key)

    def _expire(self) -> None:
        """Delete a few entries that left the window (more than a check adds, so a backlog
        drains); an entry rewritten since it was tracked stays."""
        for key in self.expiry.due(0, EXPIRED_PER_CHECK):
            value = self.mapping.get(key)
            if value is None or self.expiry.is_live(_time_of(value)):
                continue
            del self.mapping[key]
            self.size -= 1
            if key.startswith("s:"):
                self._unindex(key[2:], value[0])

    def _index(self, article_id: str, near: str) -> None:
        for key in band_keys(near):
            bucket = self._buckets.get(key)
            if bucket is None:
                self._buckets[key] = article_id  # most buckets hold one id: no list for them
            elif isinstance(bucket, str):
                if bucket != article_id:
                    self._buckets[key] = [bucket, article_id]
            elif article_id not in bucket and len(bucket) < MAX_BUCKET:
                bucket.append(article_id)

    def _unindex(self, article_id: str, near: str) -> None:
        for key in band_keys(near):
            bucket = self._buckets.get(key)
            if bucket == article_id:
                del self._buckets[key]
            elif isinstance(bucket, list) and article_id in bucket:
                bucket.remove(article_id)
                if len(bucket) == 1:
                    self._buckets[key] = bucket[0]

    def _candidates(self, article_id: str, near: str) -> list[str]:
        seen: dict[str, None] = {}
        for key in band_keys(near):
            bucket = self._buckets.get(key, ())
            for other in ((bucket,) if isinstance(bucket, str) else bucket):
                if other != article_id:
                    seen.setdefault(other)
        return list(seen)

    def _near_root(self, article_id: str, near: str, source: str | None) -> str | None:
        """The group's first article among sufficiently similar live candidates of other
        sources, in groups begun by other sources, if any."""
        best: tuple[float, str] | None = None
        for other in self._candidates(article_id, near):
            recorded = self._live(f"s:{other}")
            if recorded is None or self._in_group_of(source, recorded):
                continue
            score = similarity(near, recorded[0])
            if score >= self.threshold and (best is None or score > best[0]):
                best = (score, recorded[1])
        return best[1] if best else None

    def _in_group_of(self, source: str | None, recorded: list) -> bool:
        """Is the recorded article, or the first article of its group, of ``source``?"""
        return _of_source(recorded, source, NEAR_ENTRY) or _of_source(
            self._live(f"s:{recorded[1]}"), source, NEAR_ENTRY)


def _time_of(value) -> float | None:
    """An entry's event time; None for an entry written before entries had one (a string, or
    a list without it), which is then out of every window."""
    if isinstance(value, list) and len(value) in (2, 3, 4) and isinstance(value[-1], (int, float)):
        return float(value[-1])
    return None


def _of_source(entry: list | None, source: str | None, length: int) -> bool:
    """Is the recorded ``entry`` (of ``length`` with its source: ``EXACT_ENTRY`` or
    ``NEAR_ENTRY``) of ``source``? Never for a source without a name, nor for an entry written
    before sources were kept."""
    return (source is not None and isinstance(entry, list) and len(entry) == length
            and entry[-2] == source)
