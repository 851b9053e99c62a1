"""From cleaned mentions to one canonical entity per real-world thing in an article.

1. Alias tables fold known forms: Kiev/Kyïv → Kyiv, OTAN → NATO, Zelenskyy → Volodymyr Zelensky.
2. Within the article, a lone surname takes the full name it abbreviates: "Rutte" → "Mark
   Rutte" when "Mark Rutte" appears (whatever label the model gave either mention).
3. Mentions with the same canonical name are grouped; the label is the alias table's, else the
   majority of the model's labels (the same name is often PER in one sentence, LOC in the next).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from vigie.shared.messages import Entity, Mention

from .aliases import AliasTable, alias_key
from .mentions import Span

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

    def label(self) -> str:
        if self.fixed_label:
            return self.fixed_label
        votes = Counter(normalise_label(span.label) for span, _ in self.mentions)
        return max(LABEL_ORDER, key=lambda label: (votes[label], -LABEL_ORDER.index(label)))

    def to_entity(self) -> Entity:
        mentions = [Mention(text=s, start=span.start, end=span.end) for span, s in self.mentions]
        return Entity(name=self.name, label=self.label(), count=len(mentions), mentions=mentions)


def _display_name(surfaces: list[str]) -> str:
    """The most frequent surface form, single-spaced, with a straight apostrophe."""
    best = Counter(" ".join(s.split()) for s in surfaces).most_common(1)[0][0]
    return best.replace("’", "'")


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


def group_mentions(text: str, spans: list[Span], aliases: AliasTable) -> list[Entity]:
    """Canonical entities of one article, most mentioned first, then by first appearance."""
    groups: dict[str, Group] = {}
    unknown_surfaces: dict[str, list[str]] = {}
    for span in sorted(spans):
        surface = text[span.start:span.end]
        known = aliases.lookup(surface)
        key = alias_key(known.name if known else surface)
        if key not in groups:
            groups[key] = Group(known.name if known else "", known.label if known else None)
        groups[key].mentions.append((span, surface))
        if not known:
            unknown_surfaces.setdefault(key, []).append(surface)
    for key, surfaces in unknown_surfaces.items():
        if not groups[key].name:
            groups[key].name = _display_name(surfaces)
    groups = _merge_surnames(groups)
    for group in groups.values():
        group.mentions.sort()
    ordered = sorted(groups.values(), key=lambda g: (-len(g.mentions), g.mentions[0][0].start))
    return [group.to_entity() for group in ordered]
