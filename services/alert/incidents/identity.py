"""Which alerts report one event: an incident id from the rule, the place and the time window.

An alert belongs to the incident of its rule, its place and the time window its event falls
in (``VIGIE_INCIDENT_WINDOW_S``, windows counted from the Unix epoch), so its id is computed
where the alert is made, without state, and every report of one event carries the same one:

- the place is that of the first LOC entity mentioned in the sentence that matched, else the
  article's most mentioned place; a town or a region before a country, which says little
  about where an alert sounded;
- the event time is the first date or time mentioned in that sentence ("à 1 h 56" →
  ``2025-08-22T01:56``), else the article's ``published``, else the time it was detected.

The reports of one incident are folded into its record by ``model.Tracker``.
"""

from __future__ import annotations

import datetime as dt
import math

from vigie.shared.messages import DateMention, Entity, Match, Place
from vigie.shared.text import digest
from vigie.shared.timestamps import epoch, format_time, parse_time, read_time

from ..snippet import sentence_bounds

PLACE_ORDER = ("city", "region", "area", "country")


def _in(span: tuple[int, int], start: int, end: int) -> bool:
    return span[0] <= start and end <= span[1]


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


def event_time(text: str, matches: list[Match], dates: list[DateMention],
               published: str | None, detected_at: str) -> str:
    """When it happened, as the report says: RFC 3339 UTC."""
    # The sentence is found only when there are dates to look for in it.
    sentence = sentence_bounds(text, matches[0].start, matches[0].end) if matches and dates \
        else None
    said = [d for d in dates if sentence and _in(sentence, d.start, d.end) and len(d.value) >= 10]
    for value in [said[0].value.split("/")[0] if said else None, published, detected_at]:
        moment = read_time(value)
        if moment is not None:
            return format_time(moment)
    raise ValueError(f"no readable time among {detected_at!r}")


def place_key(place: Place | None) -> str:
    if place is None:
        return "-"
    if place.geonames_id is not None:
        return f"g{place.geonames_id}"
    return place.region or place.country or place.name


def incident_id(rule_id: str, place: Place | None, when: str, window_s: float) -> str:
    """Rule, place and the window the event time falls in."""
    window = math.floor(epoch(when) / window_s)
    return digest("incident", rule_id, place_key(place), str(window))


def locate(article, matches: list[Match], detected_at: str) -> tuple[Place | None, str]:
    """(place, event time) of the alert an article raises with ``matches``."""
    return (incident_place(article.text, matches, article.entities),
            event_time(article.text, matches, article.dates, article.published, detected_at))


def incident_ids_around(rule_id: str, place: Place | None, when: str,
                        window_s: float) -> list[str]:
    """The incident of ``when``'s window and of the window before it."""
    before = format_time(parse_time(when) - dt.timedelta(seconds=window_s))
    return [incident_id(rule_id, place, when, window_s),
            incident_id(rule_id, place, before, window_s)]
