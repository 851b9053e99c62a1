"""Every YAML example of the documentation loads as written, with the loader a user would feed it
to (chosen by the page it appears in), so an example cannot drift from the code."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from vigie.alert.rules import parse_text
from vigie.ingest.feeds.feedlist import load_feed_list
from vigie.notify.subscriptions import PLACEHOLDER
from vigie.notify.subscriptions import parse_text as parse_subscriptions

from .pages import ROOT, documentation

BLOCK = re.compile(r"^```yaml\n(.*?)^```", re.S | re.M)


def load_feeds(text: str, tmp_path: Path) -> list:
    path = tmp_path / "feeds.yaml"
    path.write_text(text, encoding="utf-8")
    return load_feed_list(path, default_interval_s=300)


def load_subscriptions(text: str, tmp_path: Path):
    """The subscriptions, each ${NAME} they name set to a stand-in value."""
    env = {name: "stand-in" for name in PLACEHOLDER.findall(text)}
    return parse_subscriptions(text, "docs/notifications.md", env).subscriptions


LOADERS = {
    "docs/feeds.md": load_feeds,
    "docs/rules.md": lambda text, tmp_path: parse_text(text, "docs/rules.md"),
    "docs/notifications.md": load_subscriptions,
}


def yaml_examples() -> list[tuple[str, str]]:
    """(page, block) for every ```yaml block, the page relative to the repository root."""
    return [(path.relative_to(ROOT).as_posix(), block)
            for path in documentation()
            for block in BLOCK.findall(path.read_text(encoding="utf-8"))]


def test_the_documentation_has_yaml_examples():
    assert {page for page, _ in yaml_examples()} >= set(LOADERS)


@pytest.mark.parametrize(("page", "block"), yaml_examples())
def test_a_yaml_example_loads_as_written(page, block, tmp_path):
    assert page in LOADERS, f"no loader known for YAML examples in {page}"
    assert LOADERS[page](block, tmp_path)  # at least one feed or rule, no error
