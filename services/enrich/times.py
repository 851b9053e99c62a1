"""Times of day and time ranges in French, English, Ukrainian and Russian news text: when
the sirens sounded.

``clock_times(text)`` finds times: "à 2 h 40", "vers 4 heures", "à 03H15 GMT", "21 h 10",
"23 h du soir", "at 2:40 am", "4 a.m.", "14:30 GMT", "о 16:29", "о 5 ранку", "в 11 вечера" (a
colon, never a point: "14.50" is a price). An hour alone needs a cue before it ("à",
"vers", "dès", "at", "around"...), since "2 h" alone is as often a duration; with minutes it
needs none, unless a duration word precedes it ("pendant 2 h 30").

``with_times(text, dates, times, anchor)`` then joins what belongs together, in text order:
a day and a time next to each other become one mention ("mardi à 21 h 10", "21 h 10 mardi",
"le 12 mars vers 4 heures" → ``2024-03-12T21:10``); two times joined by "et", "à", "to" or
"and" become a range ("entre 2 h et 4 h" → ``2024-03-12T02/2024-03-12T04``); a time left
alone takes the day of the last day or night mentioned before it in its paragraph ("dimanche
soir à Odessa. Les tirs ont éclaté vers 22 h 30": Sunday; after "la nuit de samedi à
dimanche", 2 h is on Sunday and 23 h on Saturday), else the anchor's day (``relative``).
Values keep their precision: ``T04`` for an hour, ``T02:40`` with minutes, and ``Z`` where
the text says GMT or UTC. Where the source's time zone is known (``zone``: a feed's or
channel's ``timezone``), a time of day is that zone's wall-clock time and carries the zone's
offset at that time ("16:29" in Europe/Kyiv on 2023-10-24 → ``2023-10-24T16:29+03:00``, the
instant 13:29 UTC, on the day and at the precision the text gives); without one it stays as
written, in no zone.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import NamedTuple

HOUR = r"(?P<hour>[01]?\d|2[0-3])"
MINUTE = r"(?P<minute>[0-5]\d)"
ZONE = r"(?:\s*(?P<zone>GMT|UTC|TU)\b)?"
CUE = (r"(?:(?<![\w-])(?:à|a|vers|dès|des|jusqu'à|avant|après|autour de|aux alentours de"
       r"|entre|et|at|around|about|by|from|until|to|and)\s+)")
DURATION = r"(?<!pendant )(?<!durant )(?<!en )(?<!depuis )(?<!for )"
FRENCH = (rf"(?<![\w:.,]){DURATION}{HOUR}\s?(?:h|H|heures?)(?:\s?{MINUTE})?"
          r"(?P<part>\s+du\s+(?:matin|soir)|\s+de\s+l'après-midi)?" + ZONE + r"(?![\w])")
ENGLISH = (rf"(?<![\w:.,]){DURATION}{HOUR}(?::{MINUTE})?\s*(?P<ampm>[ap]\.?\s?m\b\.?)?"
           + ZONE + r"(?![\w:])")
# "о 5 ранку", "в 11 вечера", "о 2 ночі": an hour with its part of the day (Ukrainian, Russian).
SLAVIC = (rf"(?<![\w:.,]){HOUR}(?::{MINUTE})?\s+(?P<part>ранку|утра|вечора|вечера|ночі|ночи|дня)"
          r"(?![\w])")
SLAVIC_AFTERNOON = ("вечора", "вечера", "дня")
SLAVIC_NIGHT = ("ночі", "ночи")
PATTERNS = (re.compile(FRENCH), re.compile(ENGLISH, re.IGNORECASE), re.compile(SLAVIC))
CUED = re.compile(CUE + r"$", re.IGNORECASE)
DAY_THEN_TIME = re.compile(
    r"^(?:\s+(?:soir|matin|вранці|уранці|ввечері|увечері|утром|вечером))?\s*,?\s*"
    r"(?:à|a|vers|dès|at|around|о|об|в|у|близько|около|,)?\s*$", re.IGNORECASE)
TIME_THEN_DAY = re.compile(r"^\s*,?\s*(?:ce|on|le)?\s*$", re.IGNORECASE)
NIGHT_OR_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}(?:/\d{4}-\d{2}-\d{2})?$")
RANGE_GLUE = re.compile(r"^\s+(?:et|à|a|and|to|і|та|и|до|-)\s+$", re.IGNORECASE)


class Clock(NamedTuple):
    start: int
    end: int
    time: str  # "02:40", or "04" for an hour alone
    utc: bool


def _clock(match: re.Match, cued: bool) -> Clock | None:
    hour, minute = int(match.group("hour")), match.group("minute")
    groups = match.groupdict()
    ampm, part = (groups.get("ampm") or "").lower(), (groups.get("part") or "").lower()
    english = "ampm" in groups
    if english and not minute and not ampm:
        return None  # a bare number
    if not (minute or cued or ampm or part in SLAVIC_AFTERNOON + SLAVIC_NIGHT + ("ранку", "утра")):
        return None  # "2 h": a duration as often as a time
    if ampm and hour > 12:
        return None  # "14 pm" is no time
    if (ampm.startswith("p") or "soir" in part or "après-midi" in part
            or part in SLAVIC_AFTERNOON or (part in SLAVIC_NIGHT and 9 <= hour <= 11)):
        hour = hour % 12 + 12 if hour <= 12 else hour  # "23 h du soir" is already 23
    elif ampm.startswith("a") and hour == 12:
        hour = 0
    time = f"{hour:02d}:{minute}" if minute else f"{hour:02d}"
    return Clock(match.start(), match.end(), time, bool(groups.get("zone")))


def clock_times(text: str) -> list[Clock]:
    """Times of day in ``text`` (apostrophes already straight), in reading order."""
    found: dict[tuple[int, int], Clock] = {}
    for pattern in PATTERNS:
        for match in pattern.finditer(text):
            cued = bool(CUED.search(text[max(0, match.start() - 25):match.start()]))
            clock = _clock(match, cued)
            if clock and not any(c.start < clock.end and clock.start < c.end
                                 for c in found.values()):
                found[clock.start, clock.end] = clock
    return sorted(found.values())


def _offset(day: str, clock: Clock, zone: dt.tzinfo) -> str:
    """The UTC offset of ``zone`` at that local time: "+03:00" (summer in Kyiv)."""
    hour, _, minute = clock.time.partition(":")
    local = dt.datetime.combine(dt.date.fromisoformat(day), dt.time(int(hour), int(minute or 0)),
                                zone)
    return local.isoformat()[-6:]


def _stamp(day: str, clock: Clock, zone: dt.tzinfo | None) -> str:
    if clock.utc:
        return f"{day}T{clock.time}Z"
    return f"{day}T{clock.time}{_offset(day, clock, zone) if zone else ''}"


def with_times(text: str, dates: list[tuple], clocks: list[Clock], anchor_day: str | None,
               zone: dt.tzinfo | None = None) -> list[tuple]:
    """Dates (start, end, priority, value, relative) with the times joined in, as above; in
    ``zone``, a time the text gives without a zone carries that zone's offset."""
    dates = sorted(dates)
    day_dates = [d for d in dates if len(d[3]) == 10]  # a day: a time can join it
    days_and_nights = [d for d in dates if NIGHT_OR_DAY.match(d[3])]
    joined: list[tuple] = []
    used_dates: set[tuple] = set()
    index = 0
    while index < len(clocks):
        clock = clocks[index]
        second = clocks[index + 1] if index + 1 < len(clocks) else None
        if second and RANGE_GLUE.match(text[clock.end:second.start]):
            day, date, relative = _day_of(text, clock, second, day_dates, days_and_nights, anchor_day)
            if day:
                start, end = min(clock.start, date[0] if date else clock.start), second.end
                joined.append((start, end, -1, f"{_stamp(day, clock, zone)}/{_stamp(day, second, zone)}",
                               relative))
                used_dates.update([date] if date else [])
            index += 2
            continue
        day, date, relative = _day_of(text, clock, clock, day_dates, days_and_nights, anchor_day)
        if day:
            start = min(clock.start, date[0]) if date else clock.start
            end = max(clock.end, date[1]) if date else clock.end
            joined.append((start, end, -1, _stamp(day, clock, zone), relative))
            used_dates.update([date] if date else [])
        index += 1
    return sorted([d for d in dates if d not in used_dates] + joined)


def _day_of(text: str, first: Clock, last: Clock, day_dates: list[tuple],
            days_and_nights: list[tuple], anchor_day: str | None):
    """(day, the date mention joined to the times or None, relative) for the times ``first``
    to ``last``: a day mention right before or after them, else the last day or night
    mentioned before them in their paragraph, else the anchor's day."""
    for date in day_dates:
        if date[1] <= first.start and DAY_THEN_TIME.match(text[date[1]:first.start]):
            return date[3], date, date[4]
        if date[0] >= last.end and TIME_THEN_DAY.match(text[last.end:date[0]]):
            return date[3], date, date[4]
    before = [d for d in days_and_nights
              if d[1] <= first.start and "\n\n" not in text[d[1]:first.start]]
    if before:
        date = before[-1]
        evening, morning = date[3].split("/") if "/" in date[3] else (date[3], date[3])
        return (morning if first.time < "12" else evening), None, date[4]
    return anchor_day, None, True
