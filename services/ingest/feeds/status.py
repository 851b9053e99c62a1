"""``vigie ingest feeds --status``: each feed's way in (push or poll), interval and health,
from the feed list and the feed state topic."""

from __future__ import annotations

import datetime as dt

from vigie.shared.durations import format_duration
from vigie.shared.timestamps import format_time

from .adaptive import current_interval, is_pushing
from .feedlist import FeedConfig, load_feed_list
from .state import FeedState, StateStore


def status(settings, feeds_path: str) -> str:
    """One line per feed of ``feeds_path``, as the state topic knows it."""
    feeds = load_feed_list(feeds_path, default_interval_s=settings.feeds_default_interval_s,
                           min_interval_s=settings.feeds_min_interval_s)
    store = StateStore(settings)
    try:
        states = store.load()
    finally:
        store.close()
    push_on = bool(settings.websub_callback_url)
    return "\n".join(feed_line(feed, states.get(feed.url) or FeedState.fresh(feed.url),
                               push_on, settings.feeds_max_interval_s) for feed in feeds)


def feed_line(feed: FeedConfig, state: FeedState, push_on: bool, max_interval_s: float) -> str:
    pushing = push_on and is_pushing(state)
    interval = current_interval(feed, state, pushing=pushing, max_interval_s=max_interval_s)
    how = "adaptive" if feed.adaptive else "fixed"
    parts = [f"{feed.name}:", _way_in(state, push_on),
             f"polled every {format_duration(interval)} ({how}{', safety net' if pushing else ''})"]
    parts.append(f"last success {_when(state.last_success)}")
    if state.failures:
        parts.append(f"{state.failures} failure(s) in a row")
    return "  ".join(parts)


def _way_in(state: FeedState, push_on: bool) -> str:
    websub = state.websub or {}
    if not state.hub:
        return "poll (no hub)"
    if not push_on:
        return f"poll (hub {state.hub}; VIGIE_WEBSUB_CALLBACK_URL unset)"
    if is_pushing(state):
        return f"push (hub {state.hub}, lease until {_when(websub.get('lease_ends'))})"
    return f"poll (hub {state.hub}: {websub.get('status', 'not asked yet')})"


def _when(unix: float | None) -> str:
    if unix is None:
        return "never"
    return format_time(dt.datetime.fromtimestamp(unix, dt.timezone.utc))
