"""One poll of one feed: fetch, parse, then the pages of its new entries that need them. Runs
on a worker thread and touches no shared state: it gets the request (URL and cache
validators) and a copy of the feed's seen entries, and returns an outcome, errors included,
which the poller applies on its own thread. ``read_pushed`` is the same without the fetch,
for a document a WebSub hub pushed."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, replace

from vigie.shared.timestamps import utc_now

from .errors import FetchError, ParseError
from .feedlist import FeedConfig
from .fetch import FetchLimits, FetchRequest, FetchResponse, fetch
from .pages import PageFetcher
from .parse import ParsedFeed, parse_feed

log = logging.getLogger(__name__)


@dataclass
class PollOutcome:
    feed: FeedConfig
    result: str  # a label of IngestMetrics' FETCH_RESULTS
    duration_s: float
    response: FetchResponse | None = None
    parsed: ParsedFeed | None = None
    error: str | None = None
    retry_after_s: float | None = None
    pages: int = 0  # a channel's: preview pages read
    newest_post: int | None = None  # a channel's newest post id, once its posts are published
    pushed: bool = False  # a document a hub pushed, not a poll

    @property
    def succeeded(self) -> bool:
        return self.result in ("ok", "not_modified")


def poll_feed(feed: FeedConfig, request: FetchRequest, limits: FetchLimits,
              pages: PageFetcher | None = None, seen: dict[str, str] | None = None,
              ) -> PollOutcome:
    """Fetch and parse one feed, and complete its new entries from their pages (``seen``:
    entry key → revision already published); never raises for a feed's own faults."""
    started = time.monotonic()
    fetched_at = utc_now()
    try:
        response = fetch(request, limits)
        if response.not_modified:
            return PollOutcome(feed, "not_modified", _since(started), response)
        parsed = _read(feed, response.body, response.headers, fetched_at, pages, seen)
        return PollOutcome(feed, "ok", _since(started), response, parsed)
    except FetchError as exc:
        return PollOutcome(feed, exc.result, _since(started), error=str(exc),
                           retry_after_s=exc.retry_after)
    except ParseError as exc:
        return PollOutcome(feed, "parse_error", _since(started), error=str(exc))
    except Exception as exc:  # noqa: BLE001 - one feed's surprise must not stop the others
        log.exception("unexpected failure polling feed", extra={"feed": feed.name})
        return PollOutcome(feed, "error", _since(started), error=f"{type(exc).__name__}: {exc}")


def read_pushed(feed: FeedConfig, body: bytes, headers: dict[str, str], received_at: str,
                pages: PageFetcher | None = None, seen: dict[str, str] | None = None,
                ) -> PollOutcome:
    """A pushed document, parsed as untrusted as a fetched one; never raises for its faults."""
    started = time.monotonic()
    try:
        parsed = _read(feed, body, headers, received_at, pages, seen)
        return PollOutcome(feed, "ok", _since(started), parsed=parsed, pushed=True)
    except ParseError as exc:
        return PollOutcome(feed, "parse_error", _since(started), error=str(exc), pushed=True)
    except Exception as exc:  # noqa: BLE001 - as in poll_feed
        log.exception("unexpected failure reading a pushed feed", extra={"feed": feed.name})
        return PollOutcome(feed, "error", _since(started), error=f"{type(exc).__name__}: {exc}",
                           pushed=True)


def _read(feed: FeedConfig, body: bytes, headers: dict[str, str], fetched_at: str,
          pages: PageFetcher | None, seen: dict[str, str] | None) -> ParsedFeed:
    """Parse, then complete the new entries from their pages."""
    parsed = parse_feed(body, headers, feed, fetched_at=fetched_at)
    if parsed.problem:
        log.warning("malformed feed, %d entries read: %s", len(parsed.entries),
                    parsed.problem, extra={"feed": feed.name})
    if pages is not None:
        parsed = replace(parsed, entries=[
            entry if (seen or {}).get(entry.key) == entry.article.revision
            else replace(entry, article=pages.complete(entry.article, feed.full_text))
            for entry in parsed.entries])
    return parsed


def _since(started: float) -> float:
    return time.monotonic() - started
