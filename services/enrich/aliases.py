"""Alias tables: surface forms → canonical entity names (and, where known, their label).

The built-in table ``data/aliases.tsv`` names people and organisations (places come from
GeoNames and ISO 3166: ``places``). A user file extends or overrides it, in the same TSV
format or as YAML::

    Kyiv: {label: LOC, aliases: [Kiev, Kyïv]}

TSV lines are ``canonical <TAB> label <TAB> alias|alias|…`` (label ``-`` when unknown).
Lookups ignore case, accents, apostrophe style and hyphens ("Etats Unis" = "États-Unis"), and
then the romanisation of a name from a Cyrillic-script country (``translit.name_key``: "Sergueï
Lavrov" = "Sergey Lavrov" = "Сергей Лавров").
"""

from __future__ import annotations

from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

import yaml

from vigie.shared.text import fold_text

from .translit import name_key

LABELS = ("PER", "LOC", "ORG", "MISC")
# People and organisations; news agencies (so that a byline's "AFP" or "(dpa)" is the agency);
# newspapers and broadcasters (so that "Nice-Matin" or "La Voix du Nord" is no place).
BUILTIN_FILES = ("aliases.tsv", "agencies.tsv", "press.tsv")


def alias_key(text: str) -> str:
    """The comparison key of a name: folded, hyphens as spaces, single-spaced."""
    return " ".join(fold_text(text).replace("-", " ").split())


@dataclass(frozen=True)
class Canonical:
    name: str
    label: str | None


@dataclass
class AliasTable:
    """Maps the key of every known form to its canonical entity."""

    entries: dict[str, Canonical] = field(default_factory=dict)
    forms: set[str] = field(default_factory=set)
    by_sound: dict[str, Canonical] = field(default_factory=dict)  # name_key → entity

    def add(self, canonical: str, label: str | None, aliases: list[str]) -> None:
        label = label if label in LABELS else None
        entity = Canonical(canonical.strip(), label)
        for form in [canonical, *aliases]:
            form = form.strip()
            if form:
                self.entries[alias_key(form)] = entity
                self.by_sound[name_key(form)] = entity
                self.forms.add(form)

    def lookup(self, surface: str) -> Canonical | None:
        return self.entries.get(alias_key(surface)) or self.by_sound.get(name_key(surface))

    def __contains__(self, surface: str) -> bool:
        return alias_key(surface) in self.entries


def _tsv_rows(text: str):
    for line in text.splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        columns = line.rstrip("\n").split("\t") + ["", ""]
        yield columns[0], columns[1].strip(), [a for a in columns[2].split("|") if a.strip()]


def _yaml_rows(text: str):
    for canonical, spec in (yaml.safe_load(text) or {}).items():
        spec = spec or {}
        yield str(canonical), spec.get("label"), [str(a) for a in spec.get("aliases", [])]


def _read_into(table: AliasTable, text: str, is_yaml: bool) -> None:
    for canonical, label, aliases in (_yaml_rows if is_yaml else _tsv_rows)(text):
        table.add(canonical, label, aliases)


def load_aliases(user_path: str | Path | None = None) -> AliasTable:
    """The built-in tables, then the user's file (its entries win)."""
    table = AliasTable()
    data = resources.files("vigie.enrich") / "data"
    for name in BUILTIN_FILES:
        _read_into(table, (data / name).read_text(encoding="utf-8"), is_yaml=False)
    if user_path:
        path = Path(user_path)
        _read_into(table, path.read_text(encoding="utf-8"), path.suffix in (".yaml", ".yml"))
    return table


def load_junk() -> dict[str, set[str]]:
    """Junk spans: key → labels under which the span is junk (``*`` = any)."""
    junk: dict[str, set[str]] = {}
    text = (resources.files("vigie.enrich") / "data" / "junk.tsv").read_text(encoding="utf-8")
    for surface, label, _ in _tsv_rows(text):
        junk.setdefault(alias_key(surface), set()).add(label or "*")
    return junk
