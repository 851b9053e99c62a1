"""Telegram public channels on 127.0.0.1, for tests and benchmarks: a server in the page shape
of ``https://t.me/s/<channel>``, and the official air-raid channel's posts made from siren
periods (``tests/data/sirens/official_sample.csv``, a copy of ``../shared/sirens/``).

- ``ChannelServer({"air_alert_ua": posts})``: ``/s/<channel>`` shows the newest
  ``page_size`` posts oldest first, with the ``a.tme_messages_more[data-before]`` link when
  older ones exist; ``/s/<channel>?before=<id>`` the page before that id. Posts can be added
  and edited while it runs (``add``, ``edit``: a live channel), and a channel's preview turned
  off (``hide``: a redirect to a page without posts, as t.me does). Point
  ``VIGIE_TELEGRAM_BASE_URL`` at ``server.base_url``; ``pages_served`` lists the pages read.
- ``read_periods`` / ``period_posts``: the CSV's rows as a start post (🔴) at ``started_at``
  and an end post (🟢) at ``finished_at`` naming the row's most precise place, the time of day
  in Kyiv time, ids increasing with time. ``start_post``, ``end_post``, ``partial_end_post``
  (🟡), ``multi_place_post`` (bullet lines), ``probe_post`` (``Тестовий Регіон``) and ``edited`` make the
  channel's other kinds of posts.
- ``play``: adds posts as an accelerated clock reaches their times (a live replay).
"""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import html
import re
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qs, quote, urlsplit
from zoneinfo import ZoneInfo

from .local_http import LocalServer, redirect, reply

SAMPLE = Path(__file__).resolve().parent / "data" / "sirens" / "official_sample.csv"
KYIV = ZoneInfo("Europe/Kyiv")
FOLLOW = "Слідкуйте за подальшими повідомленнями."
STILL_UNDER_ALERT = "Зверніть увагу, тривога ще триває у:"
TEST_REGION = "Тестовий Регіон"
WRAPPED_EMOJI = "🔴🟢🟡"
TOKENS = re.compile(rf"(#\w+)|([{WRAPPED_EMOJI}])")


@dataclass(frozen=True)
class Post:
    id: int
    time: dt.datetime  # UTC
    lines: tuple[str, ...]
    edited: bool = False

    @property
    def text(self) -> str:
        """The text a reader of the preview sees: one line per ``<br/>``."""
        return "\n".join(self.lines)


# --- the server -------------------------------------------------------------------------------

class ChannelServer(LocalServer):
    """Channels' previews on 127.0.0.1 (see the module); use as a context manager."""

    def __init__(self, channels: dict[str, Iterable[Post]] | None = None, *,
                 page_size: int = 20) -> None:
        super().__init__()
        self.page_size = page_size
        self.posts: dict[str, dict[int, Post]] = {}
        self.pages_served: list[tuple[str, int | None]] = []  # (channel, before) of each
        self._lock = threading.Lock()
        for channel, posts in (channels or {}).items():
            self.add(channel, *posts)

    @property
    def base_url(self) -> str:
        return self.url("")

    def add(self, channel: str, *posts: Post) -> None:
        """Publish new posts (ids above every id the channel has) on ``channel``."""
        with self._lock:
            known = self.posts.setdefault(channel, {})
            for post in posts:
                if post.id in known:
                    raise ValueError(f"post {post.id} already on {channel}: use edit()")
                known[post.id] = post
        self.routes.setdefault(f"/s/{channel}", lambda handler: self._page(handler, channel))

    def edit(self, channel: str, post_id: int, lines: Iterable[str]) -> Post:
        """Change a post's text; the page then says ``edited``."""
        with self._lock:
            post = self.posts[channel][post_id]
            self.posts[channel][post_id] = edited(post, lines)
            return self.posts[channel][post_id]

    def hide(self, channel: str) -> None:
        """Turn the channel's preview off: /s/<channel> redirects to a page without posts."""
        self.routes[f"/s/{channel}"] = redirect(302, f"/{channel}")
        self.routes[f"/{channel}"] = lambda handler: reply(
            handler, 200, page_html(channel, [], None, None).encode(), HTML_HEADERS)

    def _page(self, handler, channel: str) -> None:
        values = parse_qs(urlsplit(handler.path).query).get("before", [])
        before = int(values[0]) if values and values[0].isdigit() else None
        self.pages_served.append((channel, before))
        with self._lock:
            ordered = sorted(self.posts[channel].values(), key=lambda post: post.id)
        if before is not None:
            newer = [post for post in ordered if post.id >= before]
            ordered = [post for post in ordered if post.id < before]
        else:
            newer = []
        shown = ordered[-self.page_size:]
        older = shown[0].id if shown and len(ordered) > len(shown) else None
        after = shown[-1].id if shown and newer else None
        reply(handler, 200, page_html(channel, shown, older, after).encode(), HTML_HEADERS)


HTML_HEADERS = {"Content-Type": "text/html; charset=utf-8"}


def page_html(channel: str, posts: list[Post], before: int | None, after: int | None) -> str:
    """A preview page as t.me writes it (``../shared/sirens/README.md``)."""
    more = (f'<div class="tgme_widget_message_centered js-messages_more_wrap"><a href="/s/'
            f'{channel}?before={before}" class="tme_messages_more js-messages_more" '
            f'data-before="{before}"></a></div>') if before is not None else ""
    newer = (f'<div class="tgme_widget_message_centered js-messages_more_wrap"><a href="/s/'
             f'{channel}?after={after}" class="tme_messages_more js-messages_more" '
             f'data-after="{after}"></a></div>') if after is not None else ""
    messages = "".join(post_html(channel, post) for post in posts)
    return (
        '<!DOCTYPE html><html><head><meta charset="utf-8"><title>Повітряна Тривога – Telegram'
        '</title><meta property="og:title" content="Повітряна Тривога"></head>'
        '<body class="widget_frame_base tgme_webpage_body"><main class="tgme_main">'
        '<div class="tgme_container"><section class="tgme_channel_history js-message_history">'
        f"{more}{messages}{newer}</section></div></main></body></html>")


def post_html(channel: str, post: Post) -> str:
    text = "<br/>".join(line_html(line) for line in post.lines)
    stamp = post.time.astimezone(dt.timezone.utc).isoformat(timespec="seconds")
    edited_mark = "edited " if post.edited else ""
    return (
        '<div class="tgme_widget_message_wrap js-widget_message_wrap">'
        f'<div class="tgme_widget_message text_not_supported_wrap js-widget_message" '
        f'data-post="{channel}/{post.id}" data-view="x">'
        '<div class="tgme_widget_message_bubble">'
        '<div class="tgme_widget_message_author accent_color"><a class="tgme_widget_message_'
        f'owner_name" href="https://t.me/{channel}"><span dir="auto">Повітряна Тривога</span>'
        '</a></div>'
        f'<div class="tgme_widget_message_text js-message_text" dir="auto">{text}</div>'
        '<div class="tgme_widget_message_footer compact js-message_footer">'
        '<div class="tgme_widget_message_info short js-message_info">'
        '<span class="tgme_widget_message_views">12.3K</span><span class="copyonly"> views'
        f'</span><span class="tgme_widget_message_meta">{edited_mark}<a class="tgme_widget_'
        f'message_date" href="https://t.me/{channel}/{post.id}"><time datetime="{stamp}" '
        f'class="time">{post.time:%H:%M}</time></a></span></div></div></div></div></div>')


def line_html(line: str) -> str:
    """A line of text: emoji wrapped as t.me wraps them, hashtags as search links."""
    parts, position = [], 0
    for token in TOKENS.finditer(line):
        parts.append(html.escape(line[position:token.start()], quote=False))
        tag, emoji = token.groups()
        if tag:
            parts.append(f'<a href="?q={quote(tag)}">{html.escape(tag, quote=False)}</a>')
        else:
            code = emoji.encode().hex().upper()
            parts.append(f'<i class="emoji" style="background-image:url(\'//telegram.org/img/'
                         f'emoji/40/{code}.png\')"><b>{emoji}</b></i>')
        position = token.end()
    parts.append(html.escape(line[position:], quote=False))
    return "".join(parts)


# --- the channel's grammar --------------------------------------------------------------------

@dataclass(frozen=True)
class Period:
    """One row of the sirens CSV: an alert period of one place."""

    oblast: str
    raion: str
    hromada: str
    level: str  # oblast, raion or hromada: the most precise place the row names
    started_at: dt.datetime
    finished_at: dt.datetime

    @property
    def place(self) -> str:
        return {"hromada": self.hromada, "raion": self.raion}.get(self.level) or self.oblast


def read_periods(path: Path = SAMPLE) -> list[Period]:
    with open(path, encoding="utf-8", newline="") as rows:
        return [Period(row["oblast"], row["raion"], row["hromada"], row["level"],
                       dt.datetime.fromisoformat(row["started_at"]),
                       dt.datetime.fromisoformat(row["finished_at"]))
                for row in csv.DictReader(rows)]


def period_posts(periods: Iterable[Period], first_id: int = 1000) -> list[Post]:
    """Each period's start and end posts, by time (an end before a start in the same second),
    ids increasing from ``first_id``."""
    events = [(p.started_at, 1, start_post, p.place) for p in periods]
    events += [(p.finished_at, 0, end_post, p.place) for p in periods]
    events.sort(key=lambda event: event[:2])
    return [make(first_id + n, moment, place)
            for n, (moment, _, make, place) in enumerate(events)]


def hashtag(place: str) -> str:
    """``#Донецька_область``: spaces as ``_``; ``-``, ``.``, ``'`` and ``’`` removed."""
    return "#" + re.sub(r"[-.'’]", "", place).replace(" ", "_")


def clock(moment: dt.datetime) -> str:
    """The time of day a post writes: Kyiv time."""
    return moment.astimezone(KYIV).strftime("%H:%M")


def start_post(post_id: int, moment: dt.datetime, place: str) -> Post:
    return Post(post_id, moment, (f"🔴 {clock(moment)} Повітряна тривога в {place}", FOLLOW,
                                  hashtag(place)))


def end_post(post_id: int, moment: dt.datetime, place: str) -> Post:
    return Post(post_id, moment, (f"🟢 {clock(moment)} Відбій тривоги в {place}.", FOLLOW,
                                  hashtag(place)))


def partial_end_post(post_id: int, moment: dt.datetime, oblast: str,
                     still: Iterable[str]) -> Post:
    """🟡: the oblast is clear except the places listed, still under alert."""
    still = list(still)
    return Post(post_id, moment, (f"🟡 {clock(moment)} Відбій тривоги в {oblast}",
                                  STILL_UNDER_ALERT, *(f"• {place}" for place in still), FOLLOW,
                                  " ".join(hashtag(place) for place in [oblast, *still])))


def multi_place_post(post_id: int, moment: dt.datetime, places: Iterable[str], *,
                     start: bool) -> Post:
    """A start (🔴) or an end (🟢) for several places, one bullet line each."""
    places = list(places)
    head = (f"🔴 {clock(moment)} Повітряна тривога в" if start
            else f"🟢 {clock(moment)} Відбій тривоги в")
    return Post(post_id, moment, (head, *(f"• {place}" for place in places), FOLLOW,
                                  " ".join(hashtag(place) for place in places)))


def probe_post(post_id: int, moment: dt.datetime) -> Post:
    """The channel's test post, naming ``Тестовий Регіон``: not an alert."""
    return start_post(post_id, moment, TEST_REGION)


def edited(post: Post, lines: Iterable[str]) -> Post:
    return dataclasses.replace(post, lines=tuple(lines), edited=True)


# --- live replay ------------------------------------------------------------------------------

def play(server: ChannelServer, channel: str, posts: list[Post], *, speed: float,
         stop: threading.Event) -> threading.Thread:
    """Add ``posts`` to ``channel`` as a clock ``speed`` times faster than real time reaches
    each post's time, the first at once; returns the (started) thread doing it."""
    def run() -> None:
        begin, started = posts[0].time, time.monotonic()
        for post in posts:
            due = started + (post.time - begin).total_seconds() / speed
            if stop.wait(max(0.0, due - time.monotonic())):
                return
            server.add(channel, post)

    thread = threading.Thread(target=run, name="channel-replay", daemon=True)
    thread.start()
    return thread
