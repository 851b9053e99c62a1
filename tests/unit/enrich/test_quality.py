"""The quality the labelled sets must keep (``tests/eval_enrich.py`` prints the details).

Per language of the Ukrainian, Russian and English set, through the whole enrichment: the
country right for at least 95 % of the gold places and the town or region for 90 %, entity F1
of at least 0.8 with no common word among the entities, date F1 of at least 0.8. And the French
set keeps its figures: entity F1 0.86, the country right for all of its 105 placed LOC
entities.
"""

from __future__ import annotations

import pytest

from tests.eval_enrich import (
    LABELLED,
    MULTILINGUAL,
    by_language,
    french_entities,
    french_places,
    read_jsonl,
    score_language,
)
from vigie.enrich.enricher import Enricher


@pytest.fixture(scope="module")
def language_enricher() -> Enricher:
    return Enricher()


@pytest.mark.parametrize("language", ["uk", "ru", "en"])
def test_each_language_meets_the_thresholds(language_enricher, language):
    articles = by_language(read_jsonl(MULTILINGUAL))[language]
    assert len(articles) >= 13
    scores = score_language(language_enricher, language, articles)
    assert scores.detected == scores.articles
    assert scores.country_share >= 0.95, scores.errors
    assert scores.region_share >= 0.9, scores.errors
    assert scores.entities[2] >= 0.8, scores.errors
    assert scores.common_words == []
    assert scores.dates[2] >= 0.8, scores.errors


def test_the_set_has_forty_texts_or_more():
    assert len(read_jsonl(MULTILINGUAL)) >= 40


def test_the_french_figures_do_not_fall(extractor):
    articles = read_jsonl(LABELLED / "articles.jsonl")
    docs = list(extractor.docs([a["text"] for a in articles]))
    assert round(french_entities(extractor, articles, docs)[2], 2) >= 0.86
    places = french_places(extractor, articles, docs)
    assert len(places.placed) >= 105
    assert places.countries_right == len(places.placed)
