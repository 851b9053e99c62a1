"""French, English, Ukrainian and Russian calendar words and the anchor (publication date)
that relative dates need."""

from __future__ import annotations

import datetime as dt
import re
from typing import NamedTuple

from vigie.shared.timestamps import read_time

MONTHS = {
    "janvier": 1, "fevrier": 2, "février": 2, "mars": 3, "avril": 4, "mai": 5, "juin": 6,
    "juillet": 7, "aout": 8, "août": 8, "septembre": 9, "octobre": 10, "novembre": 11,
    "decembre": 12, "décembre": 12,
    "january": 1, "february": 2, "march": 3, "april": 4, "may": 5, "june": 6, "july": 7,
    "august": 8, "september": 9, "october": 10, "november": 11, "december": 12,
}
WEEKDAYS = {
    "lundi": 0, "mardi": 1, "mercredi": 2, "jeudi": 3, "vendredi": 4, "samedi": 5,
    "dimanche": 6, "monday": 0, "tuesday": 1, "wednesday": 2, "thursday": 3, "friday": 4,
    "saturday": 5, "sunday": 6,
}
# Ukrainian and Russian: every case a date uses ("24 жовтня", "у жовтні", "в октябре").
SLAVIC_MONTHS = [
    "січень січня січні", "лютий лютого лютому", "березень березня березні",
    "квітень квітня квітні", "травень травня травні", "червень червня червні",
    "липень липня липні", "серпень серпня серпні", "вересень вересня вересні",
    "жовтень жовтня жовтні", "листопад листопада листопаді", "грудень грудня грудні",
    "январь января январе", "февраль февраля феврале", "март марта марте",
    "апрель апреля апреле", "мая мае", "июнь июня июне", "июль июля июле",
    "август августа августе", "сентябрь сентября сентябре", "октябрь октября октябре",
    "ноябрь ноября ноябре", "декабрь декабря декабре",
]
MONTHS.update({form: index % 12 + 1 for index, forms in enumerate(SLAVIC_MONTHS)
               for form in forms.split()})
# Weekdays as "у суботу", "в ночь на субботу", "з п'ятниці" write them (the Russian "среда"
# and "среды" are also "environment": only "в среду").
SLAVIC_WEEKDAYS = [
    "понеділок понеділка", "вівторок вівторка", "середа середу середи", "четвер четверга",
    "п'ятниця п'ятницю п'ятниці", "субота суботу суботи", "неділя неділю неділі",
    "понедельник понедельника", "вторник вторника", "среду", "четверг четверга",
    "пятница пятницу пятницы", "суббота субботу субботы", "воскресенье воскресенья",
]
WEEKDAYS.update({form: index % 7 for index, forms in enumerate(SLAVIC_WEEKDAYS)
                 for form in forms.split()})
ENGLISH_MONTHS = {
    "january", "february", "march", "april", "may", "june", "july", "august", "september",
    "october", "november", "december",
}
ISO_LENGTH = {"day": 10, "month": 7, "year": 4}
PARTIAL = re.compile(r"^(\d{4})(?:-(\d{2}))?(?:-(\d{2}))?")


class Anchor(NamedTuple):
    """The publication date and how much of it is known ("day", "month" or "year")."""

    day: dt.date
    precision: str

    def iso(self) -> str:
        """The anchor as written at its precision: ``2025-08-22``, ``2023-10``, ``2023``."""
        return self.day.isoformat()[: ISO_LENGTH[self.precision]]


def published_date(published: str | None, zone: dt.tzinfo | None = None) -> Anchor | None:
    """``"2025-08-22"`` / ``"2025-08-22T14:00:00Z"`` / ``"2023-10"`` / ``"2023"`` → Anchor.

    Returns None for a missing or unreadable date. The date is the newsroom's, which is what
    "hier" and "vendredi" refer to: the date in the source's time ``zone`` where one is known
    and ``published`` is a moment, else the date as written.
    """
    moment = read_time(published) if zone is not None and len(published or "") > 10 else None
    if moment is not None:
        return Anchor(moment.astimezone(zone).date(), "day")
    match = PARTIAL.match((published or "").strip())
    if not match:
        return None
    year, month, day = match.group(1), match.group(2), match.group(3)
    try:
        date = dt.date(int(year), int(month or 1), int(day or 1))
    except ValueError:
        return None
    return Anchor(date, "day" if day else "month" if month else "year")


def month_number(word: str) -> int:
    return MONTHS[word.lower()]


def weekday_number(word: str) -> int:
    return WEEKDAYS[word.lower()]


def alternation(words) -> str:
    """A regex alternation, longest words first so "mars" never shadows a longer name."""
    return "|".join(sorted((re.escape(w) for w in words), key=len, reverse=True))


def last_weekday(anchor: dt.date, weekday: int) -> dt.date:
    """The most recent such weekday on or before the anchor (a Friday article's "vendredi"
    is that same Friday)."""
    return anchor - dt.timedelta(days=(anchor.weekday() - weekday) % 7)


def iso_week(day: dt.date) -> str:
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


def shift_month(day: dt.date, months: int) -> str:
    index = day.year * 12 + day.month - 1 + months
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def nearest_year(anchor: dt.date, month: int, day: int | None = None) -> int:
    """The year that puts day/month closest to the anchor: "en décembre" in a February
    article is last December, "en septembre" in a July article is this September."""

    def distance(year: int) -> int:
        try:
            return abs((dt.date(year, month, day or 15) - anchor).days)
        except ValueError:  # 29 February of a common year
            return 10**6

    return min((anchor.year - 1, anchor.year, anchor.year + 1), key=distance)
