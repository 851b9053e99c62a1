"""Factories for the alert tests: articles built directly, rule files in a temp folder."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from vigie.alert.evaluate import Evaluator
from vigie.alert.rules import RuleBook
from vigie.shared.messages import EnrichedArticle, Entity, Hashes, Mention, Source

ROOT = Path(__file__).resolve().parents[3]
SHIPPED_RULES = ROOT / "deploy" / "rules.yaml"
SEEDS = ROOT / "seeds"
INGESTED_AT = "2025-08-22T14:03:07.000Z"


def article(text: str, **changes) -> EnrichedArticle:
    fields = dict(
        id="a1", revision="r1", source=Source(kind="feed", name="AFP", url="https://x.test/rss"),
        title="Alerte à Kyiv", url="https://x.test/1", text=text, published="2025-08-22",
        fetched_at=INGESTED_AT, ingested_at=INGESTED_AT, language="fr",
        hashes=Hashes(exact="e" * 64, near="n" * 16), enriched_at=INGESTED_AT,
    )
    return EnrichedArticle(**(fields | changes))


def entity(name: str, label: str) -> Entity:
    return Entity(name=name, label=label, count=1, mentions=[Mention(text=name, start=0, end=0)])


@pytest.fixture
def make_article():
    return article


@pytest.fixture
def make_entity():
    return entity


@pytest.fixture
def write_rules(tmp_path):
    """Write YAML (dedented) to a rules file and return its path."""
    path = tmp_path / "rules.yaml"

    def write(text: str) -> Path:
        path.write_text(textwrap.dedent(text), encoding="utf-8")
        return path

    return write


@pytest.fixture
def evaluator_for(write_rules):
    """An Evaluator over rules given as YAML text."""
    return lambda text: Evaluator(RuleBook(write_rules(text)))


@pytest.fixture(scope="session")
def shipped():
    return Evaluator(RuleBook(SHIPPED_RULES))
