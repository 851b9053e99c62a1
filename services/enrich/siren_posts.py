"""The places an official air-raid alert channel's post names, read by its grammar.

The posts are short and regular (``../README`` of the sirens data; e.g. t.me/air_alert_ua):

    🔴 16:29 Повітряна тривога в Донецька область
    Слідкуйте за подальшими повідомленнями.
    #Донецька_область

A place follows "в" (or "у") on the first line, after the time of day; several places are
one "• <place>" line each, after a first line that ends in "в", or after "Зверніть увагу,
тривога ще триває у:" (a partial end). Hashtag lines repeat the places and are not read.

``siren_post_entities(article, admin)`` gives one LOC entity per place named, its mentions at
their offsets, or None when the article is not such a post (another source kind, or a post of
another shape): its entities then come from the model. A statistical model has no business
here: the French one reads "Повітряна" as a place and "Донецька область" as an organisation.
A name the admin places do not know ("Тестовий Регіон", the channel's test posts) is no place.
"""

from __future__ import annotations

import re

from vigie.shared.messages import Entity, Mention, Place, RawArticle

from .ua_admin import UkraineAdmin

# An alert or its end ("тривога", "загроза": air raid, shelling, street fighting...), then
# "в" (or "у") and the place: a news post that starts with a time ("14:05 Вибухи в Харкові")
# is not of this shape.
FIRST_LINE = re.compile(r"^\W*\d{1,2}:\d{2}\s+[^\n]*?(?:тривог|загроз)[^\n]*?\s[ву]"
                        r"(?:\s+(?P<place>[^\n]*?))?[\s.;:]*$", re.IGNORECASE)
BULLET = re.compile(r"^[ \t]*•[ \t]*(?P<place>[^\n]*?)[\s.;,]*$", re.MULTILINE)


def named_places(text: str) -> list[tuple[int, int]] | None:
    """The spans of the places a post names, in text order; None if ``text`` is not a post
    of this shape."""
    first = FIRST_LINE.match(text.split("\n", 1)[0])
    if first is None:
        return None
    spans = [first.span("place")] if first.group("place") else []
    spans += [m.span("place") for m in BULLET.finditer(text) if m.group("place")]
    return spans


def siren_post_entities(article: RawArticle, admin: UkraineAdmin) -> list[Entity] | None:
    """The places of an alert channel's post as LOC entities; None if it is not one."""
    spans = named_places(article.text) if article.source.kind == "channel" else None
    if spans is None:
        return None
    surfaces = [article.text[start:end] for start, end in spans]
    # Namesake hromadas are told apart by the oblasts the same post names.
    named = frozenset(p.region for p in map(admin.resolve, surfaces) if p and p.region)
    entities: dict[tuple, Entity] = {}
    for (start, end), surface in zip(spans, surfaces, strict=True):
        place = admin.resolve(surface, named)
        if place is None:
            continue
        mention = Mention(text=surface, start=start, end=end)
        entity = entities.setdefault(_identity(place), Entity(
            name=place.name, label="LOC", count=0, mentions=[], place=place))
        entity.mentions.append(mention)
        entity.count += 1
    return list(entities.values())


def _identity(place: Place) -> tuple:
    return place.kind, place.name, place.region
