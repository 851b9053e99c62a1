"""The pure enrichment of a batch of raw articles: everything except deduplication state.

``Enricher(model, aliases_path).enrich(articles)`` returns one ``Analysis`` per article, in
order: language (detected, the source's hint where unsure), canonical entities (one
``nlp.pipe`` pass over the whole batch), dates (resolved against ``published``) and hashes.
Deduplication needs the state of every earlier article: the worker passes ``hashes`` to a
``DedupIndex``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from vigie.shared.messages import DateMention, Entity, Hashes, RawArticle

from .dates import find_dates
from .dedup import signatures
from .entities import DEFAULT_MODEL, EntityExtractor
from .language import detect


@dataclass(frozen=True)
class Analysis:
    language: str
    entities: list[Entity]
    dates: list[DateMention]
    hashes: Hashes


class Enricher:
    """Loads the spaCy model and alias tables once; ``enrich`` is called per batch.

    Pass ``extractor`` to share one already loaded model (tests, several enrichers).
    """

    def __init__(self, model: str = DEFAULT_MODEL, aliases_path: str | Path | None = None,
                 extractor: EntityExtractor | None = None, batch_size: int = 16):
        self.extractor = extractor or EntityExtractor(model, aliases_path)
        self.batch_size = batch_size

    def entities(self, texts: list[str]) -> list[list[Entity]]:
        """The NER part: one ``nlp.pipe`` pass over the batch."""
        return self.extractor.extract_many(texts, batch_size=self.batch_size)

    def enrich(self, articles: list[RawArticle]) -> list[Analysis]:
        return combine(articles, self.entities([article.text for article in articles]))


def combine(articles: list[RawArticle], entities: list[list[Entity]]) -> list[Analysis]:
    """Everything but NER (language, dates, hashes: no model needed), joined to the entities.

    Separate from ``Enricher`` so the worker can run it beside NER, in another process.
    """
    return [
        Analysis(
            language=detect(article.text, article.language),
            entities=found,
            dates=find_dates(article.text, article.published),
            hashes=signatures(article.text),
        )
        for article, found in zip(articles, entities, strict=True)
    ]
