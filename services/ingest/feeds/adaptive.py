"""How often to poll a feed: as often as it publishes, within bounds, never more than it asks.

A feed whose entry in the feed list sets no ``interval`` is polled adaptively, by Miniflux's
entry-frequency rule: interval = one week / (entries per week × factor), clamped to
[``VIGIE_FEEDS_MIN_INTERVAL_S``, ``VIGIE_FEEDS_MAX_INTERVAL_S``]. The rate comes from the
entries' own published times (event time), never from when Vigie fetched them: a backlog
read at once, or a worker whose clock is off, does not make a feed look busy. A feed document
holds its newest entries only, so the rate is measured over the span they cover (n entries
over their span give n − 1 gaps) rather than counted over a week. A feed that published
nothing for a week by the poll's clock is polled at the maximum interval.

Whatever the rule says, a poll never comes sooner than the feed asks: ``Cache-Control:
max-age``, ``Expires`` (against the server's ``Date``), ``Retry-After`` and RSS ``<ttl>``.
Jitter and backoff after failures are ``schedule``'s.
"""

from __future__ import annotations

import email.utils
import re

from vigie.shared.http import retry_after

from .websub import ACTIVE

WEEK_S = 7 * 86400.0
MAX_AGE = re.compile(r"(?:^|,)\s*(?:s-)?max-age\s*=\s*\"?(\d+)", re.IGNORECASE)


def current_interval(feed, state, *, pushing: bool, max_interval_s: float) -> float:
    """A feed's interval now (before jitter and backoff): its own, or the adaptive one; while
    its entries come by push, no shorter than ``max_interval_s`` (a safety net)."""
    interval = (state.interval_s or feed.interval_s) if feed.adaptive else feed.interval_s
    return max(interval, max_interval_s) if pushing else interval


def is_pushing(state) -> bool:
    """True while the feed state's subscription is verified and not fallen back."""
    return bool(state.websub) and state.websub.get("status") == ACTIVE


def entry_frequency_interval(entry_times: list[float], *, factor: float, min_s: float,
                             max_s: float, now: float) -> float | None:
    """The interval the entries' published times (Unix seconds) call for; None when fewer
    than two entries carry a time (then the feed keeps its current interval)."""
    if len(entry_times) < 2:
        return None
    newest = max(entry_times)
    if now - newest > WEEK_S:
        return max_s
    recent = sorted(t for t in entry_times if t > newest - WEEK_S)
    span = recent[-1] - recent[0]
    # Entries stamped with one time (a feed giving its build time) say nothing of a rate.
    per_week = (len(recent) - 1) * WEEK_S / span if span > 0 else len(recent)
    return min(max(WEEK_S / (per_week * factor), min_s), max_s)


def asked_interval(headers: dict[str, str], ttl: str | None = None) -> float | None:
    """The shortest wait the feed asks for (seconds), or None when it asks for none."""
    asked = [max_age(headers.get("cache-control")), expires_in(headers),
             retry_after(headers.get("retry-after")), ttl_seconds(ttl)]
    return max((value for value in asked if value), default=None)


def max_age(cache_control: str | None) -> float | None:
    if not cache_control or "no-cache" in cache_control.lower():
        return None
    match = MAX_AGE.search(cache_control)
    return float(match.group(1)) if match else None


def expires_in(headers: dict[str, str]) -> float | None:
    """``Expires`` minus the server's own ``Date``: both on its clock, so skew cancels."""
    try:
        expires = email.utils.parsedate_to_datetime(headers.get("expires", ""))
        date = email.utils.parsedate_to_datetime(headers.get("date", ""))
    except (TypeError, ValueError):
        return None
    if expires is None or date is None or (expires.tzinfo is None) != (date.tzinfo is None):
        return None
    return max(0.0, (expires - date).total_seconds())


def ttl_seconds(ttl: str | None) -> float | None:
    """RSS ``<ttl>``: minutes."""
    text = (ttl or "").strip()
    return float(text) * 60 if text.isdigit() else None
