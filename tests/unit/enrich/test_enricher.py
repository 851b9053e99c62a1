from __future__ import annotations

from vigie.enrich.enricher import Analysis
from vigie.shared.messages import Hashes


def test_enrich_analyses_every_article_in_order(enricher, seeds):
    articles = list(seeds.values())
    analyses = enricher.enrich(articles)
    assert len(analyses) == len(articles)
    assert all(isinstance(a, Analysis) and a.language == "fr" for a in analyses)
    assert all(isinstance(a.hashes, Hashes) and len(a.hashes.exact) == 64 for a in analyses)
    first = analyses[0]
    assert "Mark Rutte" in {entity.name for entity in first.entities}
    assert (first.dates[0].value, first.dates[0].anchor) == ("2025-08-22", "2025-08-22")
    assert "Lloyd Austin" in {entity.name for entity in analyses[4].entities}


def test_enrich_of_nothing_is_nothing(enricher):
    assert enricher.enrich([]) == []
