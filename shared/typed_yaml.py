"""YAML files decoded into types: msgspec checks each entry's shape, PyYAML's nodes give lines.

A file's entries are msgspec Structs (``forbid_unknown_fields``, constraints in ``Meta``). The
``description`` of a field's ``Meta`` says what the field expects, so a decoding error becomes
a ``Problem`` an operator can act on: the field, its line in the file, and "expected
<description>, got <value>" (or "missing" / "unknown field"). Checks a type cannot express
stay as code in the file's own module.
"""

from __future__ import annotations

import re
import types
import typing
from dataclasses import dataclass
from typing import Any, Union

import msgspec
import yaml

Path = tuple[str | int, ...]  # keys and indexes from the top of the document
AT = re.compile(r"^(?P<message>.*?)(?: - at `(?:key` in `)?\$(?P<path>[^`]*)`)?$", re.DOTALL)
STEP = re.compile(r"\.([^.\[]+)|\[(\d+)\]")
FIELD_NAMED = re.compile(r"^Object (missing required|contains unknown) field `([^`]+)`$")


@dataclass(frozen=True)
class Problem:
    """What is wrong with one entry: ``field`` is the entry's field at fault (None for the
    entry as a whole), ``line`` is 1-based (None when unknown)."""

    field: str | None
    line: int | None
    message: str


class YamlDocument:
    """A parsed YAML text that remembers where each value was written."""

    def __init__(self, text: str):
        """Raises ``yaml.YAMLError`` for text that is not YAML."""
        loader = yaml.SafeLoader(text)
        try:
            self._node = loader.get_single_node()
            self.data = None if self._node is None else loader.construct_document(self._node)
        finally:
            loader.dispose()

    @classmethod
    def of_data(cls, data: Any) -> YamlDocument:
        """A document already parsed, whose lines are unknown."""
        document = cls("")
        document.data = data
        return document

    def line(self, path: Path) -> int | None:
        """The line of the value at ``path`` (of its key, in a mapping), or of the deepest
        enclosing value written in the file."""
        node = self._node
        line = None if node is None else node.start_mark.line + 1
        for step in path:
            found = _child(node, step)
            if found is None:
                break
            marker, node = found
            line = marker.start_mark.line + 1
        return line

    def decode(self, kind: Any, path: Path) -> tuple[Any, list[Problem]]:
        """The value at ``path`` as ``kind`` (a Struct, maybe ``Annotated`` with a description),
        and every problem found: a field with a wrong value is reported, then left out so
        the other fields are checked too. The value is None unless there is no problem."""
        raw = _value_at(self.data, path)
        problems: list[Problem] = []
        dropped: set[str] = set()
        while True:
            try:
                decoded = msgspec.convert(raw, kind)
            except msgspec.ValidationError as exc:
                problem, where = self._problem(kind, raw, path, str(exc))
                if problem.field in dropped:  # the wrong value dropped made it missing
                    return None, problems
                problems.append(problem)
                if not (isinstance(raw, dict) and where and where[0] in raw):
                    return None, problems
                raw = {key: value for key, value in raw.items() if key != where[0]}
                dropped.add(problem.field)
            else:
                return (None if problems else decoded), problems

    def _problem(self, kind: Any, raw: Any, path: Path, error: str) -> tuple[Problem, Path]:
        match = AT.match(error)
        message, where = match["message"], _steps(match["path"] or "")
        named = FIELD_NAMED.match(message)
        if named:
            where += (named[2],)
        field = str(where[0]) if where else None
        described, description = _description(kind, where)
        if named and named[1] == "contains unknown":
            names = ", ".join(sorted(_struct(kind, where[:-1]).__struct_fields__))
            message = f"unknown field (expected one of {names})"
        elif named:
            message = f"missing, expected {description}" if description else "missing"
        elif description:
            message = f"expected {description}, got {_value_at(raw, described)!r}"
        inner = ".".join(map(str, (named and where[1:]) or described[1:]))
        return Problem(field, self.line(path + where), f"{inner}: {message}" if inner
                       else message), where


def _child(node, step):
    """(the node that marks ``step``'s line, the node of its value) under ``node``, or None."""
    if isinstance(node, yaml.MappingNode):
        return next(((key, value) for key, value in node.value
                     if isinstance(key, yaml.ScalarNode) and key.value == str(step)), None)
    if isinstance(node, yaml.SequenceNode) and isinstance(step, int) and step < len(node.value):
        return node.value[step], node.value[step]
    return None


def _value_at(data: Any, path: Path) -> Any:
    for step in path:
        data = data[step]
    return data


def _steps(text: str) -> Path:
    return tuple(key if key else int(index) for key, index in STEP.findall(text))


def _unwrap(kind: Any) -> tuple[Any, str | None]:
    """The type inside ``Annotated`` and ``X | None``, and the description found on the way."""
    description = None
    while True:
        if typing.get_origin(kind) is typing.Annotated:
            kind, *extras = typing.get_args(kind)
            description = next((m.description for m in extras
                                if isinstance(m, msgspec.Meta) and m.description), description)
        elif typing.get_origin(kind) in (Union, types.UnionType):
            inner = [arg for arg in typing.get_args(kind) if arg is not type(None)]
            if len(inner) != 1:
                return kind, description
            kind = inner[0]
        else:
            return kind, description


def _field(kind: Any, name: str | int) -> Any:
    """The declared type of field ``name`` of the Struct ``kind``, or None."""
    kind, _ = _unwrap(kind)
    if isinstance(kind, type) and issubclass(kind, msgspec.Struct):
        return typing.get_type_hints(kind, include_extras=True).get(name)
    return None


def _struct(kind: Any, where: Path) -> Any:
    for step in where:
        kind = _field(kind, step)
    return _unwrap(kind)[0]


def _description(kind: Any, where: Path) -> tuple[Path, str | None]:
    """The deepest described value along ``where``: its path and its description."""
    described, description = (), _unwrap(kind)[1]
    for depth, step in enumerate(where, 1):
        kind = _field(kind, step)
        if kind is None:
            break
        found = _unwrap(kind)[1]
        if found:
            described, description = where[:depth], found
    return described, description
