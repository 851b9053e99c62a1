"""Cost of the whole enrichment per article, per language of the labelled sets (no broker).

French goes through the spaCy model, Ukrainian and Russian through pymorphy3 and the tables,
English through the tables and its cues (``vigie.enrich.analysers``); each figure is the best
of a few rounds in one process, after a first round that loads what the language needs.
"""

from __future__ import annotations

from vigie.enrich.enricher import Enricher

from ..eval_enrich import LABELLED, MULTILINGUAL, by_language, cost_per_article, read_jsonl


def bench_languages(rounds: int = 3) -> dict[str, dict]:
    languages = {"fr": read_jsonl(LABELLED / "articles.jsonl")}
    languages.update(by_language(read_jsonl(MULTILINGUAL)))
    enricher = Enricher()
    return {language: {"articles": len(articles),
                       "ms_per_article": round(cost_per_article(enricher, articles, rounds) * 1000,
                                               2)}
            for language, articles in languages.items()}
