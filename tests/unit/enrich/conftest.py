"""The spaCy model is loaded once per session: loading is the slow part of these tests."""

from __future__ import annotations

from pathlib import Path

import pytest

from vigie.enrich.enricher import Enricher
from vigie.enrich.entities import EntityExtractor
from vigie.ingest.files import read_article

SEEDS = Path(__file__).resolve().parents[3] / "seeds"


@pytest.fixture(scope="session")
def extractor() -> EntityExtractor:
    return EntityExtractor("fr_core_news_sm")


@pytest.fixture(scope="session")
def enricher(extractor) -> Enricher:
    return Enricher(extractor=extractor)


@pytest.fixture(scope="session")
def seeds() -> dict[str, object]:
    """Seed articles as the file ingest reads them (header and trailing junk removed), by
    their three-digit prefix."""
    return {
        path.name[:3]: read_article(path, SEEDS, max_bytes=1_000_000)
        for path in sorted(SEEDS.glob("*.txt"))
    }


@pytest.fixture(scope="session")
def seed_entities(extractor, seeds) -> dict[str, list]:
    found = extractor.extract_many([article.text for article in seeds.values()])
    return dict(zip(seeds, found, strict=True))
