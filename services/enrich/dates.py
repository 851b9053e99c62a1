"""Dates mentioned in French, English, Ukrainian and Russian news text, with exact offsets and
ISO values.

``find_dates(text, published)`` finds candidates with precise patterns only (month names,
weekdays, relative words, years 1900–2099 standing alone) — never ordinary words, so "je",
"Sa" or "dans sa" give nothing and "mars" counts only next to a day or a year (or after "en",
"début", "fin", "mi-", "d'ici"). Values keep the precision of the text: "11 octobre 2023" →
``2023-10-11``, "février 2022" → ``2022-02``, "1994" → ``1994``, "la semaine dernière" →
an ISO week ``2025-W33``.

Relative expressions (weekdays, "hier", "le 3 mars" without a year, "l'an dernier") are
resolved against ``published``, or ``fetched_at`` for an article without one: ``relative=True``
and ``anchor`` is the date used. A weekday is the most recent such day on or before the anchor
("vendredi" in an article published on Friday 2025-08-22 is 2025-08-22); a day or month
without a year takes the year that puts it closest to the anchor ("en décembre" in February is
last December). Where ``published`` is too coarse (``2023-10`` for a weekday) they are left out
rather than resolved against a fetch that may be years later: a wrong date is worse than none.

Event times (``times``): a time of day joins the day next to it, or takes the anchor's day
("mardi à 21 h 10" → ``2025-08-19T21:10``), two times make a range ("entre 2 h et 4 h"), and
nights are ranges of two days ("dans la nuit de samedi à dimanche", "overnight Saturday",
"вночі проти неділі", "в ночь на воскресенье" → ``2025-08-16/2025-08-17``); "overnight",
"вночі", "этой ночью" alone are the night before the anchor's day. Where the source names its
time zone, times carry its offset and the anchor is the publication's local day there.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from collections.abc import Callable
from functools import lru_cache
from typing import NamedTuple
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from vigie.shared.messages import DateMention
from vigie.shared.text import normalize_apostrophes

from .calendar_words import (
    ENGLISH_MONTHS,
    MONTHS,
    WEEKDAYS,
    Anchor,
    alternation,
    iso_week,
    last_weekday,
    month_number,
    nearest_year,
    published_date,
    shift_month,
    weekday_number,
)
from .times import clock_times, with_times

__all__ = ["find_dates", "published_date", "time_zone"]

log = logging.getLogger(__name__)

MONTH = rf"(?P<month>{alternation(MONTHS)})"
WEEKDAY = rf"(?P<weekday>{alternation(WEEKDAYS)})"
DAY = r"(?P<day>1er|[12]\d|3[01]|0?[1-9])(?:st|nd|rd|th)?"
YEAR = r"(?P<year>1[89]\d{2}|20\d{2})"
PART_OF_DAY = (r"(?:\s+(?:matin|après-midi|apres-midi|soir|midi|morning|afternoon|evening|вранці|"
               r"уранці|ввечері|увечері|вдень|утром|вечером|днём|днем))?")
END = r"(?![\w-])"
START = r"(?<![\w-])"
# A four-digit number followed by these is a count, not a year: "2000 personnes".
COUNT_NOUNS = (
    r"personnes|euros|dollars|km|kilomètres|mètres|habitants|soldats|morts|blessés|tonnes|"
    r"hectares|voix|emplois|salariés|points|victimes|logements|militaires|agents|élèves"
)
STANDALONE_YEAR = (
    rf"(?<![\w.,/:-])(?<!\d\s)(?<!\d\u00a0)(?<!\d\u202f)(?<!années )(?<!annees ){YEAR}"
    rf"(?![\w%€$]|[.,]\d|-\d(?!\d{{3}}\b)|[\s\u00a0\u202f]\d{{3}}\b|\s*(?:%|{COUNT_NOUNS})\b)"
)
DAY_DELTAS = {
    "aujourd'hui": 0, "today": 0, "ce matin": 0, "ce soir": 0, "cet après-midi": 0,
    "this morning": 0, "tonight": 0, "hier": -1, "yesterday": -1, "avant-hier": -2,
    "demain": 1, "tomorrow": 1, "après-demain": 2,
    "сьогодні": 0, "вчора": -1, "учора": -1, "позавчора": -2, "завтра": 1, "післязавтра": 2,
    "сегодня": 0, "вчера": -1, "позавчера": -2, "послезавтра": 2,
}
PART_OF_DAY_AFTER = (r"(?:\s+(?:matin|après-midi|soir|morning|afternoon|evening|вранці|уранці|"
                     r"вдень|ввечері|увечері|утром|днём|днем|вечером)(?=\W|$))?")
WEEK_DELTAS = {
    "la semaine dernière": -1, "la semaine passée": -1, "last week": -1, "cette semaine": 0,
    "this week": 0, "la semaine prochaine": 1, "next week": 1,
    "минулого тижня": -1, "на минулому тижні": -1, "цього тижня": 0, "наступного тижня": 1,
    "на прошлой неделе": -1, "на этой неделе": 0, "на следующей неделе": 1,
}
MONTH_DELTAS = {
    "le mois dernier": -1, "le mois passé": -1, "last month": -1, "ce mois-ci": 0,
    "this month": 0, "le mois prochain": 1, "next month": 1,
    "минулого місяця": -1, "цього місяця": 0, "наступного місяця": 1,
    "в прошлом месяце": -1, "в этом месяце": 0, "в следующем месяце": 1,
}
YEAR_DELTAS = {
    "l'année dernière": -1, "l'an dernier": -1, "l'année passée": -1, "last year": -1,
    "cette année": 0, "this year": 0, "l'année prochaine": 1, "l'an prochain": 1,
    "next year": 1,
    "минулого року": -1, "торік": -1, "цього року": 0, "наступного року": 1,
    "в прошлом году": -1, "в этом году": 0, "в следующем году": 1,
}
# The night before the anchor's day, unnamed: "overnight", "вночі", "этой ночью".
LAST_NIGHT = (r"overnight|last night|вночі|уночі|цієї ночі|минулої ночі|ночью|"
              r"этой ночью|прошлой ночью|минувшей ночью")
# A night named by the day it ends on: "вночі проти суботи", "в ночь на субботу", "у ніч з
# п'ятниці на суботу", "в ночь с пятницы на субботу".
SLAVIC_NIGHT = (r"(?:вночі|уночі|в\s+ніч|у\s+ніч|в\s+ночь|ночью)\s+"
                rf"(?:(?:з|із|с|со)\s+{WEEKDAY}\s+)?(?:на|проти)\s+"
                rf"(?P<weekday2>{alternation(WEEKDAYS)})(?P<into>)")
LAST_WEEKDAY = r"(?P<last>last\s+|минулої\s+|минулого\s+|минулий\s+|в\s+прошл(?:ую|ый|ое)\s+)?"
MONTH_BEFORE = (r"(?:\b(?:en|début|fin|courant|d'ici|jusqu'en|in|since|depuis)\s+|mi-|"
                r"(?<![\w-])(?:у|в|во|з|із|до|с|со|от|наприкінці|на\s+початку|в\s+начале|"
                r"в\s+конце)\s+)")


class Rule(NamedTuple):
    pattern: re.Pattern
    needs: str | None  # anchor precision required: None (absolute), "year", "month", "day"
    value: Callable[[re.Match, Anchor | None], str | None]


def _day(match: re.Match) -> int:
    day = match.group("day")
    return 1 if day == "1er" else int(day)


def _month(match: re.Match) -> int | None:
    """Month number; English names only capitalised ("may" is a verb)."""
    word = match.group("month")
    if word.lower() in ENGLISH_MONTHS and word[0].islower():
        return None
    return month_number(word)


def _iso(year: int, month: int | None, day: int | None = None) -> str | None:
    if month is None:
        return None
    try:
        return dt.date(year, month, day or 1).isoformat()[: 10 if day else 7]
    except ValueError:
        return None


def _full(match, anchor):
    return _iso(int(match.group("year")), _month(match), _day(match))


def _numeric(match, anchor):
    return _iso(int(match.group("year")), int(match.group("month_n")), _day(match))


def _month_year(match, anchor):
    return _iso(int(match.group("year")), _month(match))


def _day_month(match, anchor):
    month, day = _month(match), _day(match)
    return month and _iso(nearest_year(anchor.day, month, day), month, day)


def _month_alone(match, anchor):
    month = _month(match)
    return month and _iso(nearest_year(anchor.day, month), month)


def _weekday(match, anchor):
    """The most recent such day on or before the anchor; strictly before it for "vendredi
    dernier" and "last Friday"."""
    latest = anchor.day
    if match.group("last") or match.group("past"):
        latest -= dt.timedelta(days=1)
    return last_weekday(latest, weekday_number(match.group("weekday"))).isoformat()


def _night(match, anchor):
    """The two days of a night: "de samedi à dimanche", "overnight into Sunday" (Saturday to
    Sunday), "overnight Saturday" (Saturday to Sunday); the most recent such night."""
    if match.group("weekday2"):
        last = last_weekday(anchor.day, weekday_number(match.group("weekday2")))
    elif match.group("into"):
        last = last_weekday(anchor.day, weekday_number(match.group("weekday")))
    else:
        last = last_weekday(anchor.day, weekday_number(match.group("weekday"))) + ONE_DAY
    return f"{(last - ONE_DAY).isoformat()}/{last.isoformat()}"


def _last_night(match, anchor):
    return f"{(anchor.day - ONE_DAY).isoformat()}/{anchor.day.isoformat()}"


def _phrase(match) -> str:
    return " ".join(normalize_apostrophes(match.group("phrase")).lower().split())


def _day_delta(match, anchor):
    return (anchor.day + dt.timedelta(days=DAY_DELTAS[_phrase(match)])).isoformat()


def _week_delta(match, anchor):
    return iso_week(anchor.day + dt.timedelta(weeks=WEEK_DELTAS[_phrase(match)]))


def _month_delta(match, anchor):
    return shift_month(anchor.day, MONTH_DELTAS[_phrase(match)])


def _year_delta(match, anchor):
    return f"{anchor.day.year + YEAR_DELTAS[_phrase(match)]:04d}"


def _year(match, anchor):
    return match.group("year")


def _phrases(table: dict[str, int], suffix: str = "") -> str:
    return rf"{START}(?P<phrase>{alternation(table)}){suffix}{END}"


def _rule(pattern: str, needs: str | None, value) -> Rule:
    return Rule(re.compile(pattern, re.IGNORECASE), needs, value)


# Earlier rules win ties between candidates of the same span; longer spans always win.
RULES = (
    _rule(rf"{START}(?:{WEEKDAY},?\s+)?{DAY}\s+{MONTH},?\s+{YEAR}{END}", None, _full),
    _rule(rf"{START}(?:{WEEKDAY},?\s+)?{MONTH}\s+{DAY},?\s+{YEAR}{END}", None, _full),
    _rule(r"(?<![\w-])(?P<year>\d{4})-(?P<month_n>\d{2})-(?P<day>\d{2})(?![\w-])", None,
          _numeric),
    _rule(rf"{START}{DAY}/(?P<month_n>\d{{1,2}})/{YEAR}(?![\w/])", None, _numeric),
    _rule(rf"{START}{MONTH}\s+{YEAR}{END}", None, _month_year),
    _rule(rf"{START}(?:{WEEKDAY}\s+)?{DAY}\s+{MONTH}{END}{PART_OF_DAY}", "year", _day_month),
    _rule(rf"{START}{MONTH}\s+{DAY}(?![\w-])", "year", _day_month),
    _rule(rf"{MONTH_BEFORE}(?P<core>{MONTH}){END}", "year", _month_alone),
    _rule(rf"{START}(?:dans\s+)?la\s+nuit\s+(?:de|du)\s+{WEEKDAY}\s+(?:à|au)\s+"
          rf"(?P<weekday2>{alternation(WEEKDAYS)})(?P<into>){END}", "day", _night),
    _rule(rf"{START}overnight\s+(?P<into>into\s+)?{WEEKDAY}(?P<weekday2>){END}", "day",
          _night),
    _rule(rf"{START}{SLAVIC_NIGHT}{END}", "day", _night),
    _rule(rf"{START}(?:{LAST_NIGHT}){END}", "day", _last_night),
    _rule(rf"{START}{LAST_WEEKDAY}{WEEKDAY}(?P<past>\s+(?:dernier|passé))?{END}{PART_OF_DAY}",
          "day", _weekday),
    _rule(_phrases(DAY_DELTAS, PART_OF_DAY_AFTER), "day", _day_delta),
    _rule(_phrases(WEEK_DELTAS), "day", _week_delta),
    _rule(_phrases(MONTH_DELTAS), "month", _month_delta),
    _rule(_phrases(YEAR_DELTAS), "year", _year_delta),
    _rule(STANDALONE_YEAR, None, _year),
)
PRECISION_RANK = {"year": 0, "month": 1, "day": 2}
ONE_DAY = dt.timedelta(days=1)


def _usable(rule: Rule, anchor: Anchor | None) -> bool:
    if rule.needs is None:
        return True
    return anchor is not None and PRECISION_RANK[anchor.precision] >= PRECISION_RANK[rule.needs]


def _candidates(text: str, anchor: Anchor | None):
    searchable = normalize_apostrophes(text)  # one char for one: offsets unchanged
    for priority, rule in enumerate(RULES):
        if not _usable(rule, anchor):
            continue
        for match in rule.pattern.finditer(searchable):
            value = rule.value(match, anchor)
            if value:
                start, end = match.span("core") if "core" in rule.pattern.groupindex else (
                    match.span())
                yield start, end, priority, value, rule.needs is not None


def _without_overlaps(candidates) -> list[tuple]:
    """Longest candidates first; a candidate inside a kept one is dropped."""
    kept: list[tuple] = []
    for candidate in sorted(candidates, key=lambda c: (c[0] - c[1], c[2], c[0])):
        if all(candidate[1] <= k[0] or candidate[0] >= k[1] for k in kept):
            kept.append(candidate)
    return sorted(kept)


@lru_cache(maxsize=256)
def time_zone(name: str | None) -> dt.tzinfo | None:
    """The IANA zone ``name`` (a source's ``timezone``); None, said once, for one unknown here:
    its times of day then stay as written rather than the article being lost."""
    if not name:
        return None
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        log.warning("unknown time zone %r: its sources' times of day are left in no zone", name)
        return None


def find_dates(text: str, published: str | None = None, fetched_at: str | None = None,
               timezone: str | None = None) -> list[DateMention]:
    """Dates and event times in ``text``, in reading order, resolved against ``published``
    (else ``fetched_at``) where relative; times of day and the anchor's day in the source's
    ``timezone`` (IANA) where it is known."""
    zone = time_zone(timezone)
    anchor = published_date(published or fetched_at, zone)
    dates = _without_overlaps(_candidates(text, anchor))
    day = anchor.iso() if anchor is not None and anchor.precision == "day" else None
    clocks = [c for c in clock_times(normalize_apostrophes(text))
              if all(c.end <= d[0] or c.start >= d[1] for d in dates)]
    return [
        DateMention(
            text=text[start:end], start=start, end=end, value=value, relative=relative,
            anchor=anchor.iso() if relative else None,
        )
        for start, end, _, value, relative in with_times(text, dates, clocks, day, zone)
    ]
