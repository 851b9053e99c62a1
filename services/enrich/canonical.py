"""From cleaned mentions to one canonical entity per real-world thing in an article.

1. Alias tables fold known forms (OTAN → NATO, Zelenskyy → Volodymyr Zelensky), and a place
   name takes the name of the place it resolves to (Kiev/Kyïv → Kyiv, Russie → Russia), ranked
   by the countries and regions the article names and, between namesakes, by the article's
   other places (``places.Gazetteer.resolve``); the place keeps the name as the article
   first wrote it (``local_name``), in the nominative where the language inflects it (a
   mention's ``Span.name``: "Києві" → Київ).
2. Within the article, a lone surname takes the full name it abbreviates: "Rutte" → "Mark
   Rutte" when "Mark Rutte" appears (whatever label the model gave either mention).
3. Mentions with the same canonical name are grouped, spellings of a name from a Cyrillic-script
   country together ("Serhiy Lyssak", "Serhiy Lysak": ``translit.name_key``), an unknown name
   taking its English spelling ("Anton Silouanov" → "Anton Siluanov"); the label is the alias
   table's, else the majority of the model's labels (the same name is often PER in one sentence,
   LOC in the next).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

import msgspec

from vigie.shared.messages import Entity, Mention, Place

from .aliases import AliasTable
from .mentions import Span
from .translit import english_form, foreign_marks, name_key

Point = tuple[float, float]
# A name → its place, given the article's countries and regions (ISO codes) and the points of
# its other places.
PlaceOf = Callable[[str, frozenset[str], tuple[Point, ...]], Place | None]

# Preference when votes tie: a name is more often a person or place than anything else.
LABEL_ORDER = ("PER", "LOC", "ORG", "MISC")
MODEL_LABELS = {"PER": "PER", "PERSON": "PER", "LOC": "LOC", "GPE": "LOC", "ORG": "ORG"}


def normalise_label(label: str) -> str:
    return MODEL_LABELS.get(label, "MISC")


@dataclass
class Group:
    name: str
    fixed_label: str | None
    mentions: list[tuple[Span, str]] = field(default_factory=list)
    place: Place | None = None

    def label(self) -> str:
        if self.fixed_label:
            return self.fixed_label
        votes = Counter(normalise_label(span.label) for span, _ in self.mentions)
        return max(LABEL_ORDER, key=lambda label: (votes[label], -LABEL_ORDER.index(label)))

    def to_entity(self) -> Entity:
        mentions = [Mention(text=s, start=span.start, end=span.end) for span, s in self.mentions]
        label = self.label()
        return Entity(name=self.name, label=label, count=len(mentions), mentions=mentions,
                      place=self.place if label == "LOC" else None)


def _display_name(surfaces: list[str]) -> str:
    """The surface form closest to English spelling, then the most frequent, written the
    English way, single-spaced, with a straight apostrophe."""
    counts = Counter(" ".join(s.split()).replace("’", "'") for s in surfaces)
    best = min(counts, key=lambda s: (foreign_marks(s), -counts[s]))
    return english_form(best)


def _surname_index(groups: dict[str, Group]) -> dict[str, str]:
    """Last word → key of the one multi-word name ending with it (ambiguous ones left out)."""
    owners: dict[str, set[str]] = {}
    for key, group in groups.items():
        words = key.split()
        if len(words) >= 2 and group.label() == "PER":
            owners.setdefault(words[-1], set()).add(key)
    return {word: keys.pop() for word, keys in owners.items() if len(keys) == 1}


def _merge_surnames(groups: dict[str, Group]) -> dict[str, Group]:
    index = _surname_index(groups)
    lone = [k for k, g in groups.items() if " " not in k and g.fixed_label in (None, "PER")]
    for key in [k for k in lone if k in index]:
        groups[index[key]].mentions.extend(groups.pop(key).mentions)
    return groups


def _may_be_a_place(span: Span, known) -> bool:
    """Only what the model or the alias table calls a location is looked up as a place, so
    a person called Washington stays a person."""
    return normalise_label(span.label) == "LOC" if known is None else known.label == "LOC"


def _context(surfaces: list[str], place_of: PlaceOf) -> tuple[frozenset[str], dict[str, Point]]:
    """The countries and regions an article names (ISO codes; a region names its country
    too: Bretagne, France), and where its other places lie (towns and sites, by surface)."""
    places = {surface: place_of(surface, frozenset(), ()) for surface in set(surfaces)}
    found = [p for p in places.values() if p is not None]
    named = frozenset(code for p in found if p.kind in ("country", "region")
                      for code in (p.country, p.region) if code)
    points = {surface: (p.lat, p.lon) for surface, p in places.items() if p is not None
              and p.kind not in ("country", "region") and p.lat is not None}
    return named, points


def group_mentions(text: str, spans: list[Span], aliases: AliasTable,
                   place_of: PlaceOf | None = None) -> list[Entity]:
    """Canonical entities of one article, most mentioned first, then by first appearance."""
    place_of = place_of or (lambda surface, named, near: None)
    located = []
    for span in sorted(spans):
        written = span.name or text[span.start:span.end]  # nominative where the text inflects
        located.append((span, written, aliases.lookup(written)))
    places = [w for span, w, known in located if _may_be_a_place(span, known)]
    named, points = _context(places, place_of)
    groups: dict[str, Group] = {}
    unknown_surfaces: dict[str, list[str]] = {}
    for span, written, known in located:
        place = None
        if _may_be_a_place(span, known):  # an alias names it (the user's file wins), else the place
            near = tuple(point for surface, point in points.items() if surface != written)
            place = (known and place_of(known.name, named, near)) or place_of(written, named, near)
        name = known.name if known else place.name if place else None
        key = name_key(name or written)
        if key not in groups:
            groups[key] = Group(name or "", "LOC" if place else known.label if known else None)
        groups[key].mentions.append((span, text[span.start:span.end]))
        if groups[key].place is None and place is not None:
            groups[key].place = msgspec.structs.replace(place, local_name=written)
        if not name:
            unknown_surfaces.setdefault(key, []).append(written)
    for key, surfaces in unknown_surfaces.items():
        if not groups[key].name:
            groups[key].name = _display_name(surfaces)
    groups = _merge_surnames(groups)
    for group in groups.values():
        group.mentions.sort()
    ordered = sorted(groups.values(), key=lambda g: (-len(g.mentions), g.mentions[0][0].start))
    return [group.to_entity() for group in ordered]
