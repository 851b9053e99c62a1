"""One poll of one Telegram public channel, read from its web preview (``telegram_page``).

The newest page first, then older pages (``?before=<id>``) back to the last post published,
so a gap (an outage, a burst of posts) is filled; a channel read for the first time goes back
``VIGIE_TELEGRAM_BACKFILL`` posts at most. The posts come out oldest first, one RawArticle
each; a post already published comes out again only when its text changed (an edit: same id,
new revision). A post without text (a photo, a sticker) is not published. Every request goes
through the feeds' fetcher (address guard, deadline, proxies), one at a time per host,
``VIGIE_FEEDS_PER_HOST_DELAY_S`` apart. A page that fails while paging back fails the whole
poll: nothing is published out of order, and the next poll starts again from the last post
published.

Like ``poll_feed``, it runs on a worker thread, touches no shared state and never raises for
the channel's own faults: the poller publishes, then records the newest post id.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

from vigie.shared.ids import article_id, revision
from vigie.shared.languages import language_code
from vigie.shared.messages import RawArticle, Source
from vigie.shared.text import digest
from vigie.shared.timestamps import format_time, utc_now

from .errors import FetchError
from .feedlist import FeedConfig
from .fetch import FetchLimits, FetchRequest, FetchResponse, fetch
from .pages import HTML_ACCEPT, HostTurns
from .parse import FeedEntry, ParsedFeed
from .poll_feed import PollOutcome
from .telegram_page import ChannelPage, ChannelPost, parse_channel_page
from .urls import host_of

log = logging.getLogger(__name__)

POST_LINK = "https://t.me/{channel}/{id}"  # the post's public link, wherever it was read
NO_POSTS = "the preview shows no posts: a private channel, a preview turned off, or no post yet"


@dataclass(frozen=True)
class Gathered:
    posts: list[ChannelPost]  # oldest first
    newest: int | None  # the newest post id on the channel; None when its page showed none
    pages: int
    incomplete: int = 0  # posts left out of their pages (no id or time)


def gather(read_page: Callable[[int | None], ChannelPage], last_post: int | None,
           backfill: int) -> Gathered:
    """The posts to look at, oldest first: the newest page's, and older pages' back to
    ``last_post``; when None (a first read), back to ``backfill`` posts, the newest kept.

    ``read_page(before)`` reads the page of the posts before id ``before`` (None: the newest
    page). Paging stops at the channel's start, at a page with nothing older, or at a cursor
    that does not go back (a broken page must not loop)."""
    page = read_page(None)
    posts = {post.id: post for post in page.posts}
    pages, incomplete, cursor = 1, page.incomplete, page.before
    while posts and cursor is not None and _wants_older(posts, last_post, backfill):
        page = read_page(cursor)
        pages, incomplete = pages + 1, incomplete + page.incomplete
        older = [post for post in page.posts if post.id < cursor]
        if not older:
            break
        posts.update((post.id, post) for post in older)
        cursor = page.before if page.before is not None and page.before < cursor else None
    ordered = sorted(posts.values(), key=lambda post: post.id)
    if last_post is None:
        ordered = ordered[max(0, len(ordered) - backfill):] if backfill else []
    return Gathered(ordered, max(posts, default=None), pages, incomplete)


def _wants_older(posts: dict[int, ChannelPost], last_post: int | None, backfill: int) -> bool:
    if last_post is None:
        return len(posts) < backfill
    return min(posts) > last_post + 1  # ids only grow: an older page may hold unseen posts


def poll_channel(feed: FeedConfig, url: str, limits: FetchLimits, turns: HostTurns,
                 last_post: int | None, seen: dict[str, str], backfill: int) -> PollOutcome:
    """Read ``feed``'s channel from its preview at ``url`` (see the module); ``seen``: entry
    key → revision already published."""
    started = time.monotonic()
    fetched_at = utc_now()
    responses: list[FetchResponse] = []

    def read_page(before: int | None) -> ChannelPage:
        target = url if before is None else f"{url}?before={before}"
        with turns.turn(host_of(target)):
            response = fetch(FetchRequest(target, accept=HTML_ACCEPT), limits)
        responses.append(response)
        return parse_channel_page(response.body, response.headers.get("content-type", ""))

    try:
        gathered = gather(read_page, last_post, backfill)
    except FetchError as exc:
        return PollOutcome(feed, exc.result, _since(started), error=str(exc),
                           retry_after_s=exc.retry_after, pages=len(responses))
    except Exception as exc:  # noqa: BLE001 - one channel's surprise must not stop the others
        log.exception("unexpected failure polling channel", extra={"feed": feed.name})
        return PollOutcome(feed, "error", _since(started), error=f"{type(exc).__name__}: {exc}",
                           pages=len(responses))
    if gathered.newest is None:
        return PollOutcome(feed, "no_posts", _since(started), error=NO_POSTS, pages=1)
    entries = [post_entry(post, feed, fetched_at) for post in gathered.posts
               if post.text and _worth_publishing(post, last_post, seen, feed)]
    problem = (f"{gathered.incomplete} posts without an id or a time left out"
               if gathered.incomplete else None)
    if problem:
        log.warning("malformed channel page: %s", problem, extra={"feed": feed.name})
    return PollOutcome(feed, "ok", _since(started), responses[0],
                       ParsedFeed(entries, "telegram", problem), pages=gathered.pages,
                       newest_post=max(gathered.newest, last_post or 0))


def _worth_publishing(post: ChannelPost, last_post: int | None, seen: dict[str, str],
                      feed: FeedConfig) -> bool:
    """A post after the last one published, or one published before (whose edit the
    poller tells by its revision); an older post the state forgot is not news."""
    return last_post is None or post.id > last_post or _key(feed.telegram, post.id) in seen


def post_entry(post: ChannelPost, feed: FeedConfig, fetched_at: str) -> FeedEntry:
    """A post as a RawArticle: ``published`` the post's own time, UTC to the second."""
    link = POST_LINK.format(channel=feed.telegram, id=post.id)
    article = RawArticle(
        id=article_id("channel", feed.telegram.lower(), str(post.id)),
        revision=revision(None, post.text),
        source=Source(kind="channel", name=feed.telegram, url=link, timezone=feed.timezone),
        url=link,
        text=post.text,
        published=format_time(post.time, timespec="seconds"),
        language=language_code(feed.language),
        fetched_at=fetched_at,
        ingested_at=fetched_at,
    )
    return FeedEntry(key=_key(feed.telegram, post.id), article=article)


def _key(channel: str, post_id: int) -> str:
    return digest("seen", channel.lower(), str(post_id), length=20)


def _since(started: float) -> float:
    return time.monotonic() - started
