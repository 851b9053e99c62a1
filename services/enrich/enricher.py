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
from .entities import DEFAULT_MODEL, EntityCleaner, EntityExtractor, Found
from .language import detect
from .siren_posts import siren_post_entities


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

    def find(self, texts: list[str]) -> list[Found]:
        """The model's part: one ``nlp.pipe`` pass over the batch."""
        return self.extractor.find_many(texts, batch_size=self.batch_size)

    def enrich(self, articles: list[RawArticle]) -> list[Analysis]:
        found = self.find([article.text for article in articles])
        return complete(articles, found, self.extractor.cleaner)


def complete(articles: list[RawArticle], found: list[Found],
             cleaner: EntityCleaner) -> list[Analysis]:
    """Everything after the model: entities cleaned from what it found, language, dates and
    hashes. Separate from ``Enricher`` so the worker runs it itself, without the model, which
    lives in another process.
    """
    return [
        Analysis(
            language=detect(article.text, article.language),
            entities=_entities(article, spans, cleaner),
            dates=find_dates(article.text, article.published, article.fetched_at,
                             article.source.timezone),
            hashes=signatures(article.text),
        )
        for article, spans in zip(articles, found, strict=True)
    ]


def _entities(article: RawArticle, found: Found, cleaner: EntityCleaner) -> list[Entity]:
    """An alert channel's post names its places by a grammar of its own (``siren_posts``);
    every other text's entities are the model's, cleaned."""
    posted = siren_post_entities(article, cleaner.ukraine)
    return cleaner.entities(article.text, found) if posted is None else posted
