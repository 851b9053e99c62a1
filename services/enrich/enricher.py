"""The pure enrichment of a batch of raw articles: everything except deduplication state.

``Enricher(model, aliases_path).enrich(articles)`` returns one ``Analysis`` per article, in
order: language (detected, the source's hint where unsure), canonical entities (one
``nlp.pipe`` pass over the articles of the model's language, the analyser of their own
language for the others), dates (resolved against ``published``, times of day in the source's
time zone) and hashes.
Deduplication needs the state of every earlier article: the worker passes ``hashes`` to a
``DedupIndex``.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

from vigie.shared.messages import DateMention, Entity, Hashes, RawArticle

from .analysers import model_language
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
    """Loads the spaCy model (on first use) and alias tables once; ``enrich`` is called per
    batch. The model reads the articles of its own language only (``analysers``).

    Pass ``extractor`` to share one already loaded model (tests, several enrichers).
    """

    def __init__(self, model: str = DEFAULT_MODEL, aliases_path: str | Path | None = None,
                 extractor: EntityExtractor | None = None, batch_size: int = 16):
        self.model, self.aliases_path = model, aliases_path
        self._extractor = extractor
        self.model_language = model_language(extractor.model if extractor else model)
        self.batch_size = batch_size

    @property
    def extractor(self) -> EntityExtractor:
        if self._extractor is None:
            self._extractor = EntityExtractor(self.model, self.aliases_path)
        return self._extractor

    @cached_property
    def cleaner(self) -> EntityCleaner:
        if self._extractor is not None:
            return self._extractor.cleaner
        return EntityCleaner(self.aliases_path, model=self.model)

    def find(self, texts: list[str], hints: list[str | None] | None = None) -> list[Found]:
        """Each text's language, and the model's findings for those of its language (one
        ``nlp.pipe`` pass over them)."""
        languages = [detect(text, hint) for text, hint in
                     zip(texts, hints or [None] * len(texts), strict=True)]
        for_model = [text for text, language in zip(texts, languages, strict=True)
                     if language == self.model_language]
        found = iter(self.extractor.find_many(for_model, batch_size=self.batch_size)
                     if for_model else [])
        return [next(found)._replace(language=language) if language == self.model_language
                else Found([], [], language) for language in languages]

    def enrich(self, articles: list[RawArticle]) -> list[Analysis]:
        found = self.find([a.text for a in articles], [a.language for a in articles])
        return complete(articles, found, self.cleaner)


def complete(articles: list[RawArticle], found: list[Found],
             cleaner: EntityCleaner) -> list[Analysis]:
    """Everything after the model: entities (an alert channel's post's by its grammar, else
    cleaned from what the model found or from the analyser of the article's language), dates
    and hashes. Separate from ``Enricher`` so the
    worker runs it itself, without the model, which lives in another process.
    """
    return [
        Analysis(
            language=spans.language or detect(article.text, article.language),
            entities=_entities(article, spans, cleaner),
            dates=find_dates(article.text, article.published, article.fetched_at,
                             article.source.timezone),
            hashes=signatures(article.text),
        )
        for article, spans in zip(articles, found, strict=True)
    ]


def _entities(article: RawArticle, found: Found, cleaner: EntityCleaner) -> list[Entity]:
    """An alert channel's post names its places by a grammar of its own (``siren_posts``);
    every other text's entities are those of its language's analyser (``EntityCleaner``)."""
    posted = siren_post_entities(article, cleaner.ukraine)
    return cleaner.entities(article.text, found) if posted is None else posted
