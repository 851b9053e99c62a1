"""Typed YAML: the line of any value, and decoding errors told as field, line and expectation."""

from __future__ import annotations

from typing import Annotated

import msgspec
from msgspec import Meta

from vigie.shared.typed_yaml import Problem, YamlDocument

TEXT = """\
base: &base
  size: 3
items:
  - name: a
    size: [1, 2]
  - <<: *base
    name: b
    shape: round
"""


class Item(msgspec.Struct, forbid_unknown_fields=True):
    name: Annotated[str, Meta(description="a name")]
    size: Annotated[int, Meta(ge=1, description="a size of 1 or more")] = 1


ITEM = Annotated[Item, Meta(description="a mapping with a name")]


def test_the_line_of_a_value_is_its_key_s_line_or_the_deepest_one_written():
    document = YamlDocument(TEXT)
    assert document.line(()) == 1
    assert document.line(("items", 0, "size")) == 5
    assert document.line(("items", 0, "size", 1)) == 5
    assert document.line(("items", 1, "size")) == 2  # merged: where the anchor wrote it
    assert document.line(("items", 1, "absent")) == 6
    assert YamlDocument.of_data({"a": 1}).line(("a",)) is None


def test_every_wrong_field_is_told_then_left_out():
    document = YamlDocument(TEXT)
    assert document.decode(ITEM, ("items", 0)) == (None, [
        Problem("size", 5, "expected a size of 1 or more, got [1, 2]")])
    assert document.decode(ITEM, ("items", 1)) == (None, [
        Problem("shape", 8, "unknown field (expected one of name, size)")])


def test_a_wrong_required_field_is_told_once_and_a_missing_one_with_what_it_expects():
    document = YamlDocument("- name: 3\n- size: 2\n- just text\n- name: c\n")
    assert document.decode(ITEM, (0,)) == (None, [Problem("name", 1, "expected a name, got 3")])
    assert document.decode(ITEM, (1,)) == (None, [
        Problem("name", 2, "missing, expected a name")])
    assert document.decode(ITEM, (2,)) == (None, [
        Problem(None, 3, "expected a mapping with a name, got 'just text'")])
    assert document.decode(ITEM, (3,)) == (Item("c"), [])
