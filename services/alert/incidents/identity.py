"""What a report says: its places, its event time, the track it belongs to.

A *track* is a rule and a place (``track_key``): the reports of one track go to one partition
of the reports topic, where the track's state decides which incident each one opens, joins or
closes (``periods``). An incident's id is its track and the event time its period started at
(``incident_id``), so the same reports give the same ids on a replay.

The places of a report:

- a channel post (``source.kind`` ``channel``) names its places exactly, one per line: every
  place enrich resolved in it is a place of the report ("• Мелітопольський район" lines make
  one report per place);
- an article is prose that names places in passing: the place of the sentence that matched
  (its first LOC entity, a town or a region before a country, which says little about where
  an alert sounded), else the article's most mentioned place;
- after a rule's ``continues`` phrase ("тривога ще триває у:"), the places named are still
  under alert: in a channel post every place after it, in an article those of its sentence.
  The places before it are those of the post's end or start.

The event time of a report: a channel post's own ``published`` (exact, to the second); else the
first date or time mentioned in the sentence that matched ("à 1 h 56" → ``2025-08-22T01:56``);
else the article's ``published``; else when it was ingested. Never the worker's clock, so a
replay gives the same times.
"""

from __future__ import annotations

from vigie.shared.messages import DateMention, EnrichedArticle, Entity, Match, Place
from vigie.shared.text import digest
from vigie.shared.timestamps import format_time, read_time

from ..snippet import sentence_bounds

PLACE_ORDER = ("city", "community", "district", "region", "area", "country")


def _in(span: tuple[int, int], start: int, end: int) -> bool:
    return span[0] <= start and end <= span[1]


def is_exact(article: EnrichedArticle) -> bool:
    """A channel post: its time and its places are exact (see the module notes)."""
    return article.source.kind == "channel" and _to_the_second(article.published)


def _to_the_second(published: str | None) -> bool:
    return published is not None and len(published) >= 19 and read_time(published) is not None


def incident_place(text: str, matches: list[Match], entities: list[Entity]) -> Place | None:
    """The place of the sentence that matched, else the article's most mentioned place; a town
    or region before an area before a country."""
    placed = [e for e in entities if e.place is not None]
    if not placed or not matches:
        return None
    sentence = sentence_bounds(text, matches[0].start, matches[0].end)
    here = [e for e in placed if any(_in(sentence, m.start, m.end) for m in e.mentions)]
    for candidates in (here, placed):  # entities come most mentioned first
        for kind in PLACE_ORDER:
            found = [e.place for e in candidates if e.place.kind == kind]
            if found:
                return found[0]
    return None


def said_places(article: EnrichedArticle, matches: list[Match], exact: bool,
                cut: int) -> list[Place | None]:
    """The places a start or an end names (``matches``), before ``cut`` (where the places
    still under alert begin); ``[None]`` when it names none."""
    if not exact:
        return [incident_place(article.text, matches, article.entities)]
    return _distinct([e.place for e in _by_first_mention(article.entities)
                      if _first(e) < cut]) or [None]


def continuing_places(article: EnrichedArticle, continues: list[Match],
                      exact: bool) -> list[Place]:
    """The places named as still under alert, after the first ``continues`` phrase."""
    if not continues:
        return []
    first = continues[0]
    span = ((first.start, len(article.text)) if exact
            else sentence_bounds(article.text, first.start, first.end))
    return _distinct([e.place for e in _by_first_mention(article.entities)
                      if any(_in(span, m.start, m.end) for m in e.mentions)])


def _by_first_mention(entities: list[Entity]) -> list[Entity]:
    return sorted((e for e in entities if e.place is not None and e.mentions), key=_first)


def _first(entity: Entity) -> int:
    return min(m.start for m in entity.mentions) if entity.mentions else 0


def _distinct(places: list[Place]) -> list[Place]:
    return list({place_key(place): place for place in reversed(places)}.values())[::-1]


def event_time(article: EnrichedArticle, matches: list[Match], exact: bool) -> str:
    """When it happened, as the report says: RFC 3339 UTC (see the module notes)."""
    stated = None if exact else stated_time(article.text, matches, article.dates)
    for value in (stated, article.published, article.ingested_at):
        moment = read_time(value)
        if moment is not None:
            return format_time(moment)
    raise ValueError(f"no readable time in article {article.id}")


def stated_time(text: str, matches: list[Match], dates: list[DateMention]) -> str | None:
    """The first date or time (to the day at least) in the sentence of the first match."""
    if not matches or not dates:
        return None
    sentence = sentence_bounds(text, matches[0].start, matches[0].end)
    said = [d for d in dates if _in(sentence, d.start, d.end) and len(d.value) >= 10]
    return said[0].value.split("/")[0] if said else None


def place_key(place: Place | None) -> str:
    """One key per place: a town by its GeoNames id, a region by its ISO code, a raion or a
    hromada by its region, kind and name (they share their oblast's ISO code)."""
    if place is None:
        return "-"
    if place.kind in ("district", "community"):
        return f"{place.region or place.country or ''}/{place.kind}/{place.name}"
    if place.geonames_id is not None:
        return f"g{place.geonames_id}"
    if place.kind == "city":
        return f"{place.region or place.country or ''}/city/{place.name}"
    return place.region or place.country or place.name


def track_key(rule_id: str, place: Place | None) -> str:
    """The track of a rule and a place: the key of its reports and of its state."""
    return digest("track", rule_id, place_key(place))


def incident_id(rule_id: str, place: Place | None, started_at: str) -> str:
    """The incident of a track's period that started at ``started_at`` (event time)."""
    return digest("incident", rule_id, place_key(place), format_time(read_time(started_at)))
