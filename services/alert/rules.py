"""Alert rules: a YAML file, validated at load, reloaded when it changes.

The file is a list of rules (``deploy/rules.yaml`` is the documented example)::

    - id: air-raid                  # unique; letters, digits, '.', '_', '-'
      severity: critical            # info | warning | critical
      description: Air-raid alert   # shown to subscribers
      phrases: [alerte aérienne, raid aérien]   # any of; at least one
      exclude: [fin de l'alerte aérienne]       # optional: vetoes a match it overlaps
      unless: [essai, test]         # optional: vetoes a match in the same sentence
      drill: [exercice, premier mercredi du mois]   # optional: vetoes a match in the same
                                    # sentence, paragraph, or anywhere after a headline or
                                    # lead that holds one (a drill told as such)
      live: [cette nuit, right now] # optional: a match in a sentence with one of these is
                                    # told as happening now: no drill of another sentence
                                    # vetoes it
      not_drill: [pas un exercice]  # optional: a drill or unless word inside one of these
                                    # is none (a drill denied, or a past one recalled)
      ends: [fin de l'alerte]       # optional: reports that close the rule's incident there
      continues: [l'alerte se poursuit]   # optional: the places named after it are still
                                    # under alert (a partial end: their incidents stay open)
      near: [Kyiv, Kiev]            # optional: a phrase counts only with one of these...
      within: 10                    # ...at most this many words away (default 10)
      entities: {LOC: [Kyiv]}       # optional: the article names one of these (any of)
      places:                       # optional: the article names a place in one of these
        country: [UA]               # ISO 3166-1 alpha-2
        region: [UA-63]             # ISO 3166-2
        near: {lat: 50.45, lon: 30.52, km: 50}   # a circle
      topic: alerts.kyiv            # optional: the alert also goes to this topic

Any mistake (unknown field, empty phrase list, bad severity, duplicate id, wrong type) raises
``RuleError`` naming the file, the line, the rule (id, or index when the id itself is wrong) and
the field. ``RuleEntry`` is the shape of a rule in the file, decoded by msgspec; what a type
cannot say (a phrase holds a word, ``within`` needs ``near``, ISO codes exist, ids are unique)
is checked here.
"""

from __future__ import annotations

import hashlib
import logging
import re
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, Literal

import msgspec
import yaml
from msgspec import Meta

from vigie.shared.errors import VigieError
from vigie.shared.filters import CircleEntry, PlaceCondition, unknown_codes
from vigie.shared.text import fold_text
from vigie.shared.typed_yaml import YamlDocument

from .tokens import phrase_key

log = logging.getLogger(__name__)

SEVERITY_DOC = "one of info, warning, critical"
Severity = Literal["info", "warning", "critical"]
Label = Literal["PER", "LOC", "ORG", "MISC"]
SEVERITIES: tuple[str, ...] = typing.get_args(Severity)
LABELS: tuple[str, ...] = typing.get_args(Label)
DEFAULT_WITHIN = 10
RULE_ID = re.compile(r"^[A-Za-z0-9._-]{1,100}$")
TOPIC = re.compile(r"^[A-Za-z0-9._-]{1,249}$")

Phrases = Annotated[list[str], Meta(min_length=1, description="a non-empty list of phrases")]
Names = Annotated[list[Annotated[str, Meta(pattern=r"\S")]], Meta(min_length=1)]


class PlacesEntry(msgspec.Struct, forbid_unknown_fields=True):
    country: Annotated[list[str], Meta(description="a list of ISO 3166-1 codes")] | None = None
    region: Annotated[list[str], Meta(description="a list of ISO 3166-2 codes")] | None = None
    near: Annotated[CircleEntry, Meta(description="{lat, lon, km} with a positive radius")] \
        | None = None


class RuleEntry(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """One rule as written in the file."""

    id: Annotated[str, Meta(pattern=RULE_ID.pattern, description=(
        "an id of letters, digits, '.', '_', '-' (at most 100)"))]
    severity: Annotated[Severity, Meta(description=SEVERITY_DOC)]
    description: Annotated[str, Meta(pattern=r"\S", description="a non-empty text")]
    phrases: Phrases
    exclude: Phrases | None = None
    unless: Phrases | None = None
    drill: Phrases | None = None
    live: Phrases | None = None
    not_drill: Phrases | None = None
    ends: Phrases | None = None
    continues: Phrases | None = None
    near: Phrases | None = None
    within: Annotated[int, Meta(ge=0, description="a number of words (0 or more)")] | None = None
    entities: Annotated[dict[Label, Names], Meta(min_length=1, description=(
        "a mapping of labels (PER, LOC, ORG, MISC) to lists of names"))] | None = None
    places: Annotated[PlacesEntry, Meta(description="a mapping of some of country, region, "
                                                    "near")] | None = None
    topic: Annotated[str, Meta(pattern=TOPIC.pattern, description=(
        "a topic name of letters, digits, '.', '_', '-'"))] | None = None


RULE_ENTRY = Annotated[RuleEntry, Meta(description="a mapping of fields")]


class RuleError(VigieError, ValueError):
    """An invalid rule file; ``source``, ``line``, ``rule`` and ``field`` say where (any may
    be None)."""

    def __init__(self, message: str, *, rule: str | None = None, field: str | None = None,
                 source: str | None = None, line: int | None = None):
        where = ", ".join(
            part for part in (
                source, f"line {line}" if line else None, f"rule {rule}" if rule else None,
                f"field {field!r}" if field else None,
            ) if part
        )
        super().__init__(f"{where}: {message}" if where else message)
        self.rule, self.field, self.source, self.line = rule, field, source, line


@dataclass(frozen=True)
class Rule:
    id: str
    severity: str
    description: str
    phrases: tuple[str, ...]
    exclude: tuple[str, ...] = ()
    unless: tuple[str, ...] = ()
    drill: tuple[str, ...] = ()
    live: tuple[str, ...] = ()
    not_drill: tuple[str, ...] = ()
    ends: tuple[str, ...] = ()
    continues: tuple[str, ...] = ()
    near: tuple[str, ...] = ()
    within: int = DEFAULT_WITHIN
    # label → folded canonical names; the article must name any one of them.
    entities: dict[str, frozenset[str]] = field(default_factory=dict)
    places: PlaceCondition | None = None
    topic: str | None = None

    def wants_entities(self, entities) -> bool:
        """True when the article meets the rule's entity and place conditions, if any (each
        one: any of its names or places)."""
        if self.entities and not any(
            fold_text(entity.name) in self.entities.get(entity.label, ())
            for entity in entities
        ):
            return False
        return self.places is None or any(self.places.holds(e.place) for e in entities)


class _RuleReader:
    """Reads rule #index of a document, with the rule's name ready for every error."""

    def __init__(self, document: YamlDocument, index: int, source: str | None):
        raw = document.data[index]
        self.document, self.index, self.source = document, index, source
        self.name = f"#{index + 1}"
        if isinstance(raw, dict) and isinstance(raw.get("id"), str) and raw["id"]:
            self.name = f"{raw['id']!r} (#{index + 1})"

    def fail(self, field_name: str, message: str, *inner: str | int) -> RuleError:
        line = self.document.line((self.index, field_name, *inner))
        return RuleError(message, rule=self.name, field=field_name, source=self.source,
                         line=line)

    def rule(self) -> Rule:
        entry, problems = self.document.decode(RULE_ENTRY, (self.index,))
        if problems:
            first = problems[0]
            raise RuleError(first.message, rule=self.name, field=first.field,
                            source=self.source, line=first.line)
        near = self.phrases("near", entry.near)
        if entry.within is not None and not near:
            raise self.fail("within", "needs 'near' terms to measure the distance to")
        for name in ("live", "not_drill"):
            if getattr(entry, name) and not (entry.drill or entry.unless):
                raise self.fail(name, "needs 'drill' or 'unless' phrases to qualify")
        return Rule(
            id=entry.id.strip(), severity=entry.severity, description=entry.description.strip(),
            phrases=self.phrases("phrases", entry.phrases),
            exclude=self.phrases("exclude", entry.exclude),
            unless=self.phrases("unless", entry.unless),
            drill=self.phrases("drill", entry.drill), live=self.phrases("live", entry.live),
            not_drill=self.phrases("not_drill", entry.not_drill),
            ends=self.phrases("ends", entry.ends),
            continues=self.phrases("continues", entry.continues),
            near=near, within=DEFAULT_WITHIN if entry.within is None else entry.within,
            entities={label: frozenset(map(fold_text, names))
                      for label, names in (entry.entities or {}).items()},
            places=self.places(entry.places),
            topic=None if entry.topic is None else entry.topic.strip(),
        )

    def phrases(self, name: str, phrases: list[str] | None) -> tuple[str, ...]:
        """Each phrase must hold a word: punctuation alone would match nothing."""
        for position, phrase in enumerate(phrases or ()):
            if phrase_key(phrase)[1] == 0:
                raise self.fail(name, f"{phrase!r} is not a phrase with at least one word",
                                position)
        return tuple(phrase.strip() for phrase in phrases or ())

    def places(self, entry: PlacesEntry | None) -> PlaceCondition | None:
        if entry is None:
            return None
        if entry.country is None and entry.region is None and entry.near is None:
            raise self.fail("places", "expected some of country, region, near")
        near = entry.near
        return PlaceCondition(
            self.codes("country", entry.country),
            self.codes("region", entry.region),
            None if near is None else (near.lat, near.lon, near.km),
        )

    def codes(self, name: str, codes: list[str] | None) -> frozenset[str]:
        unknown = unknown_codes(codes, name)
        if unknown:
            raise self.fail("places", f"{name}: not an ISO 3166 code: {', '.join(unknown)}",
                            name)
        return frozenset(code.upper() for code in codes or ())


def parse_rules(data: Any, source: str | None = None) -> tuple[Rule, ...]:
    """Validated rules from already-parsed YAML (a list of mappings), without line numbers."""
    return _parse_document(YamlDocument.of_data(data), source)


def parse_text(text: str, source: str | None = None) -> tuple[Rule, ...]:
    try:
        document = YamlDocument(text)
    except yaml.YAMLError as exc:
        raise RuleError(f"not valid YAML: {exc}", source=source) from None
    return _parse_document(document, source)


def _parse_document(document: YamlDocument, source: str | None) -> tuple[Rule, ...]:
    if document.data is None:
        return ()
    if not isinstance(document.data, list):
        raise RuleError(f"expected a list of rules, got {type(document.data).__name__}",
                        source=source, line=document.line(()))
    rules: list[Rule] = []
    seen: dict[str, int] = {}
    for index in range(len(document.data)):
        rule = _RuleReader(document, index, source).rule()
        if rule.id in seen:
            raise RuleError(f"duplicate id, already used by rule #{seen[rule.id] + 1}",
                            rule=f"{rule.id!r} (#{index + 1})", field="id", source=source,
                            line=document.line((index, "id")))
        seen[rule.id] = index
        rules.append(rule)
    return tuple(rules)


def load_rules(path: str | Path) -> tuple[Rule, ...]:
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise RuleError(f"cannot read: {exc}", source=str(path)) from None
    return parse_text(text, str(path))


class RuleBook:
    """The rules of one file, reloaded when the file changes.

    An invalid file at start raises ``RuleError`` (a service must not start on rules it
    cannot honour). Later, a bad edit is logged and the previous rules stay in force, so a
    running service survives it; the next good edit is picked up as usual.
    """

    def __init__(self, path: str | Path):
        self.path = Path(path)
        self._stat = self._file_stat()
        text = self._read()
        self.rules: tuple[Rule, ...] = parse_text(text, str(self.path))
        self._digest = _digest(text)
        self.generation = 1  # bumped on every successful reload
        self.last_error: RuleError | None = None  # the bad edit now ignored, if any

    def _file_stat(self) -> tuple[int, int] | None:
        try:
            stat = self.path.stat()
        except OSError:
            return None
        return stat.st_mtime_ns, stat.st_size

    def _read(self) -> str:
        try:
            return self.path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise RuleError(f"cannot read: {exc}", source=str(self.path)) from None

    def reload_if_changed(self) -> bool:
        """Reload if the file's mtime, size or content changed; True if new rules apply."""
        stat = self._file_stat()
        if stat is None or stat == self._stat:
            return False
        self._stat = stat
        try:
            text = self._read()
            if _digest(text) == self._digest:
                return False
            self._digest = _digest(text)  # a bad edit is reported once, not on every poll
            rules = parse_text(text, str(self.path))
        except RuleError as exc:
            self.last_error = exc
            log.error("rules not reloaded, keeping the %d current rules: %s",
                      len(self.rules), exc, extra={"rules_file": str(self.path)})
            return False
        self.rules, self.last_error = rules, None
        self.generation += 1
        log.info("rules reloaded: %d rules", len(rules), extra={"rules_file": str(self.path)})
        return True


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()
