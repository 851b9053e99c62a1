"""Times as text: RFC 3339, the one format of every time in Vigie's messages.

Vigie writes UTC with milliseconds (``2025-08-22T14:03:07.123Z``), or a feed's own UTC offset
where the offset says something (an article's ``published``). It reads any RFC 3339 time, and
the shorter ISO forms feeds and articles carry (``2025-08-22``, ``2025-08-22T04``); a time
without an offset is UTC wherever a moment is needed (``read_time``, ``epoch``).
"""

from __future__ import annotations

import datetime as dt


def utc_now() -> str:
    """The current time as RFC 3339 UTC with milliseconds (``2025-08-22T14:03:07.123Z``)."""
    return format_time(dt.datetime.now(dt.timezone.utc))


def format_time(moment: dt.datetime, *, keep_offset: bool = False,
                timespec: str = "milliseconds") -> str:
    """RFC 3339 with milliseconds (or ``timespec="seconds"`` where the source is exact to the
    second, a channel post's time), in UTC (``Z``), or at the moment's own UTC offset."""
    if not keep_offset:
        moment = moment.astimezone(dt.timezone.utc)
    return moment.isoformat(timespec=timespec).replace("+00:00", "Z")


def parse_time(text: str) -> dt.datetime:
    """RFC 3339 or ISO 8601 text as a datetime, floating if the text has no offset; raises
    ValueError if unreadable. ``Z`` may be lower case, as RFC 3339 allows."""
    return dt.datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))


def read_time(text: str | None) -> dt.datetime | None:
    """The moment ``text`` names, a floating time counting as UTC; None if absent or
    unreadable (a claimed time that may be missing or wrong)."""
    if not text:
        return None
    try:
        moment = parse_time(text)
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.timezone.utc)


def epoch(text: str | None) -> float | None:
    """RFC 3339 text (``2025-08-22T14:03:07Z``) as epoch seconds; None if absent or unreadable."""
    moment = read_time(text)
    return None if moment is None else moment.timestamp()


def source_delay_s(published: str | None, first_seen: str | None, until: str) -> float | None:
    """Seconds from when a source made an item known to ``until``: from its ``published``
    time where that names a time of day (a bare date such as a file header's does not), else
    from ``first_seen`` (when Vigie first saw it); never below zero (a source's clock may run
    ahead). None when neither time is readable."""
    start = epoch(published) if published and "T" in published.upper() else None
    if start is None:
        start = epoch(first_seen)
    end = epoch(until)
    return None if start is None or end is None else max(0.0, end - start)
