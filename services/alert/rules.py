"""Alert rules: a YAML file, validated at load, reloaded when it changes.

The file is a list of rules (``deploy/rules.yaml`` is the documented example)::

    - id: air-raid                  # unique; letters, digits, '.', '_', '-'
      severity: critical            # info | warning | critical
      description: Air-raid alert   # shown to subscribers
      phrases: [alerte aérienne, raid aérien]   # any of; at least one
      exclude: [fin de l'alerte aérienne]       # optional: vetoes a match it overlaps
      unless: [exercice, essai]     # optional: vetoes a match in the same sentence
      ends: [fin de l'alerte]       # optional: reports that close the rule's incident there
      near: [Kyiv, Kiev]            # optional: a phrase counts only with one of these...
      within: 10                    # ...at most this many words away (default 10)
      entities: {LOC: [Kyiv]}       # optional: the article names one of these (any of)
      places:                       # optional: the article names a place in one of these
        country: [UA]               # ISO 3166-1 alpha-2
        region: [UA-63]             # ISO 3166-2
        near: {lat: 50.45, lon: 30.52, km: 50}   # a circle
      topic: alerts.kyiv            # optional: the alert also goes to this topic

Any mistake (unknown field, empty phrase list, bad severity, duplicate id, wrong type) raises
``RuleError`` naming the rule (id, or index when the id itself is wrong) and the field.
"""

from __future__ import annotations

import hashlib
import logging
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pycountry
import yaml

from vigie.shared.errors import VigieError
from vigie.shared.geo import distance_km
from vigie.shared.text import fold_text

from .tokens import phrase_key

log = logging.getLogger(__name__)

SEVERITIES = ("info", "warning", "critical")
LABELS = ("PER", "LOC", "ORG", "MISC")
FIELDS = ("id", "severity", "description", "phrases", "exclude", "unless", "ends", "near",
          "within", "entities", "places", "topic")
PLACE_FIELDS = ("country", "region", "near")
DEFAULT_WITHIN = 10
RULE_ID = re.compile(r"^[A-Za-z0-9._-]{1,100}$")
TOPIC = re.compile(r"^[A-Za-z0-9._-]{1,249}$")


class RuleError(VigieError, ValueError):
    """An invalid rule file; ``rule`` and ``field`` say where (either may be None)."""

    def __init__(self, message: str, *, rule: str | None = None, field: str | None = None,
                 source: str | None = None):
        where = ", ".join(
            part for part in (
                source, f"rule {rule}" if rule else None, f"field {field!r}" if field else None,
            ) if part
        )
        super().__init__(f"{where}: {message}" if where else message)
        self.rule, self.field, self.source = rule, field, source


@dataclass(frozen=True)
class Rule:
    id: str
    severity: str
    description: str
    phrases: tuple[str, ...]
    exclude: tuple[str, ...] = ()
    unless: tuple[str, ...] = ()
    ends: tuple[str, ...] = ()
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


@dataclass(frozen=True)
class PlaceCondition:
    """A place in one of ``countries``, one of ``regions``, or within ``circle`` (lat, lon,
    km): any of them."""

    countries: frozenset[str] = frozenset()
    regions: frozenset[str] = frozenset()
    circle: tuple[float, float, float] | None = None

    def holds(self, place) -> bool:
        if place is None:
            return False
        if place.country in self.countries or (place.region or "") in self.regions:
            return True
        if self.circle is None or place.lat is None or place.lon is None:
            return False
        lat, lon, km = self.circle
        return distance_km(lat, lon, place.lat, place.lon) <= km


class _Checker:
    """Validates one rule's mapping, with the rule's name ready for every error."""

    def __init__(self, raw: Any, index: int, source: str | None):
        self.raw, self.source = raw, source
        self.name = f"#{index + 1}"
        if isinstance(raw, dict) and isinstance(raw.get("id"), str) and raw["id"]:
            self.name = f"{raw['id']!r} (#{index + 1})"

    def fail(self, field_name: str | None, message: str) -> RuleError:
        return RuleError(message, rule=self.name, field=field_name, source=self.source)

    def text(self, name: str, *, required: bool = True, pattern=None) -> str | None:
        value = self.raw.get(name)
        if value is None and not required:
            return None
        if not isinstance(value, str) or not value.strip():
            raise self.fail(name, f"must be a non-empty string, got {value!r}")
        if pattern is not None and not pattern.match(value):
            raise self.fail(name, f"{value!r} may only use letters, digits, '.', '_', '-'")
        return value.strip()

    def phrases(self, name: str, *, required: bool = False) -> tuple[str, ...]:
        value = self.raw.get(name)
        if value is None and not required:
            return ()
        if not isinstance(value, list) or not value:
            raise self.fail(name, f"must be a non-empty list of phrases, got {value!r}")
        for phrase in value:
            if not isinstance(phrase, str) or phrase_key(phrase)[1] == 0:
                raise self.fail(name, f"{phrase!r} is not a phrase with at least one word")
        return tuple(phrase.strip() for phrase in value)

    def within(self, near: tuple[str, ...]) -> int:
        value = self.raw.get("within")
        if value is None:
            return DEFAULT_WITHIN
        if not near:
            raise self.fail("within", "needs 'near' terms to measure the distance to")
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise self.fail("within", f"must be a number of words (0 or more), got {value!r}")
        return value

    def entities(self) -> dict[str, frozenset[str]]:
        value = self.raw.get("entities")
        if value is None:
            return {}
        if not isinstance(value, dict) or not value:
            raise self.fail("entities", "must map a label (PER, LOC, ORG, MISC) to names")
        conditions = {}
        for label, names in value.items():
            if label not in LABELS:
                raise self.fail("entities", f"unknown label {label!r}, expected one of {LABELS}")
            if not isinstance(names, list) or not names or not all(
                isinstance(name, str) and name.strip() for name in names
            ):
                raise self.fail("entities", f"{label} must list names, got {names!r}")
            conditions[label] = frozenset(fold_text(name) for name in names)
        return conditions

    def places(self) -> PlaceCondition | None:
        value = self.raw.get("places")
        if value is None:
            return None
        if not isinstance(value, dict) or not value or set(value) - set(PLACE_FIELDS):
            raise self.fail("places", f"must map some of {', '.join(PLACE_FIELDS)}, "
                                      f"got {value!r}")
        countries = self.codes(value, "country", lambda code: pycountry.countries.get(
            alpha_2=code))
        regions = self.codes(value, "region", lambda code: pycountry.subdivisions.get(code=code))
        return PlaceCondition(countries, regions, self.circle(value.get("near")))

    def codes(self, value: dict, name: str, lookup) -> frozenset[str]:
        codes = value.get(name, [])
        if not isinstance(codes, list) or not all(isinstance(c, str) for c in codes):
            raise self.fail("places", f"{name} must list ISO codes, got {codes!r}")
        unknown = [code for code in codes if lookup(code.upper()) is None]
        if unknown:
            raise self.fail("places", f"{name}: not an ISO 3166 code: {', '.join(unknown)}")
        return frozenset(code.upper() for code in codes)

    def circle(self, value) -> tuple[float, float, float] | None:
        if value is None:
            return None
        numbers = isinstance(value, dict) and set(value) == {"lat", "lon", "km"} and all(
            isinstance(value[k], int | float) and not isinstance(value[k], bool) for k in value)
        if not numbers or not (-90 <= value["lat"] <= 90 and -180 <= value["lon"] <= 180
                               and value["km"] > 0):
            raise self.fail("places", f"near must be {{lat, lon, km}} with a positive radius, "
                                      f"got {value!r}")
        return float(value["lat"]), float(value["lon"]), float(value["km"])

    def rule(self) -> Rule:
        if not isinstance(self.raw, dict):
            raise self.fail(None, f"must be a mapping of fields, got {self.raw!r}")
        unknown = sorted(set(map(str, self.raw)) - set(FIELDS))
        if unknown:
            raise self.fail(unknown[0], f"unknown field; expected some of {', '.join(FIELDS)}")
        severity = self.raw.get("severity")
        if severity not in SEVERITIES:
            raise self.fail("severity", f"must be one of {', '.join(SEVERITIES)}, "
                                        f"got {severity!r}")
        near = self.phrases("near")
        return Rule(
            id=self.text("id", pattern=RULE_ID), severity=severity,
            description=self.text("description"), phrases=self.phrases("phrases", required=True),
            exclude=self.phrases("exclude"), unless=self.phrases("unless"),
            ends=self.phrases("ends"), near=near,
            within=self.within(near),
            entities=self.entities(), places=self.places(),
            topic=self.text("topic", required=False, pattern=TOPIC),
        )


def parse_rules(data: Any, source: str | None = None) -> tuple[Rule, ...]:
    """Validated rules from already-parsed YAML (a list of mappings)."""
    if data is None:
        data = []
    if not isinstance(data, list):
        raise RuleError(f"expected a list of rules, got {type(data).__name__}", source=source)
    rules: list[Rule] = []
    seen: dict[str, int] = {}
    for index, raw in enumerate(data):
        rule = _Checker(raw, index, source).rule()
        if rule.id in seen:
            raise RuleError(f"duplicate id, already used by rule #{seen[rule.id] + 1}",
                            rule=f"{rule.id!r} (#{index + 1})", field="id", source=source)
        seen[rule.id] = index
        rules.append(rule)
    return tuple(rules)


def parse_text(text: str, source: str | None = None) -> tuple[Rule, ...]:
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise RuleError(f"not valid YAML: {exc}", source=source) from None
    return parse_rules(data, source)


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
