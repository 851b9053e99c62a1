""""The capital", "столиця", "столица": the capital of the one country an article is about.

A report often names its town once and then says "the capital" ("Russia struck the capital
overnight" after "Kyiv"); the word is the town only where the article's places all lie in one
country. Where they lie in several, or none is placed, the word stays unread: a wrong capital
would place an alert in another country.
"""

from __future__ import annotations

import re

from vigie.shared.messages import Entity, Mention, Place

CAPITAL = re.compile(r"(?<![\w-])(?:the capital|столиц(?:я|і|ю|ею|е|у|ей|ы))(?![\w-])",
                     re.IGNORECASE)


def _country(entities: list[Entity]) -> str | None:
    countries = {e.place.country for e in entities if e.place is not None and e.place.country}
    return countries.pop() if len(countries) == 1 else None


def with_capital(text: str, entities: list[Entity], capitals: dict[str, Place]) -> list[Entity]:
    """``entities`` with each mention of "the capital" added to the capital's entity (made
    where the article names it no other way), when the country is clear."""
    country = _country(entities)
    capital = capitals.get(country) if country else None
    if capital is None:
        return entities
    taken = [(m.start, m.end) for e in entities for m in e.mentions]
    mentions = [Mention(text=m.group(), start=m.start(), end=m.end())
                for m in CAPITAL.finditer(text)
                if all(m.end() <= start or m.start() >= end for start, end in taken)]
    if not mentions:
        return entities
    entity = next((e for e in entities if e.place is not None
                   and e.place.geonames_id == capital.geonames_id), None)
    if entity is None:
        entity = Entity(name=capital.name, label="LOC", count=0, mentions=[], place=capital)
        entities = [*entities, entity]
    entity.mentions = sorted(entity.mentions + mentions, key=lambda m: m.start)
    entity.count = len(entity.mentions)
    return sorted(entities, key=lambda e: (-e.count, e.mentions[0].start))
