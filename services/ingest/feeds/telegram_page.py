"""A Telegram channel's public web preview (``https://t.me/s/<channel>``) read as posts.

The page lists the newest posts, oldest first, each a ``div.tgme_widget_message`` with
``data-post="<channel>/<id>"``: its text in ``div.tgme_widget_message_text`` (``<br/>``
between lines, emoji wrapped as ``<i class="emoji"><b>🔴</b></i>``, hashtags as links), its
time in ``a.tgme_widget_message_date > time[datetime]``, and ``edited`` in
``span.tgme_widget_message_meta`` once it was edited. ``a.tme_messages_more[data-before]``
leads to the page of older posts (``?before=<id>``).

The text keeps what a reader sees: one line per ``<br/>``, the emoji, the hashtags; a quoted
reply is not the post's text. lxml's HTML parser recovers from broken markup, so a page cut
short still yields the posts before the cut; a post without its id or time (as a cut leaves
the last one) is left out and counted, and read whole at the next poll.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field

import lxml.etree
import lxml.html

from vigie.shared.timestamps import read_time

from .html_text import clean_whitespace

CHARSET = re.compile(r"charset\s*=\s*[\"']?([A-Za-z0-9._:-]+)", re.IGNORECASE)
HTML_SPACES = re.compile(r"[ \t\r\n\f]+")


def _class(name: str) -> str:
    """An XPath test: the element's class attribute holds ``name``."""
    return f"contains(concat(' ', normalize-space(@class), ' '), ' {name} ')"


POSTS = f"//div[{_class('tgme_widget_message')}][@data-post]"
TEXT = (f".//div[{_class('tgme_widget_message_text')}]"
        f"[not(ancestor::*[{_class('tgme_widget_message_reply')}])]")
TIME = f".//a[{_class('tgme_widget_message_date')}]//time/@datetime"
META = f".//span[{_class('tgme_widget_message_meta')}]//text()"
OLDER = f"//a[{_class('tme_messages_more')}]/@data-before"


@dataclass(frozen=True)
class ChannelPost:
    id: int
    time: dt.datetime  # with its offset, as the page wrote it
    text: str  # "" for a post without text (a photo, a sticker)
    edited: bool = False


@dataclass(frozen=True)
class ChannelPage:
    posts: list[ChannelPost] = field(default_factory=list)  # by increasing id
    before: int | None = None  # the cursor of the older page; None at the channel's start
    incomplete: int = 0  # posts left out: no id or time


def parse_channel_page(body: bytes, content_type: str = "") -> ChannelPage:
    """The posts of a preview page (none for an empty page, junk, or a preview turned off)."""
    root = _document(body, content_type)
    if root is None:
        return ChannelPage()
    posts: dict[int, ChannelPost] = {}
    incomplete = 0
    for node in root.xpath(POSTS):
        post = _post(node)
        if post is None:
            incomplete += 1
        else:
            posts[post.id] = post
    cursors = [int(value) for value in root.xpath(OLDER) if value.isascii() and value.isdigit()]
    return ChannelPage(sorted(posts.values(), key=lambda post: post.id),
                       min(cursors, default=None), incomplete)


def _document(body: bytes, content_type: str):
    """The parsed page; invalid bytes become U+FFFD, as for feeds declared UTF-8."""
    declared = CHARSET.search(content_type)
    try:
        text = body.decode(declared.group(1) if declared else "utf-8", errors="replace")
    except LookupError:  # a charset Python does not know
        text = body.decode("utf-8", errors="replace")
    parser = lxml.html.HTMLParser(encoding="utf-8", remove_comments=True)
    try:
        return lxml.html.document_fromstring(text.encode("utf-8"), parser=parser)
    except (lxml.etree.ParserError, ValueError):  # nothing to parse
        return None


def _post(node) -> ChannelPost | None:
    _, _, number = (node.get("data-post") or "").rpartition("/")
    moment = next((read_time(value) for value in node.xpath(TIME)), None)
    if not (number.isascii() and number.isdigit()) or moment is None:
        return None
    edited = "edited" in " ".join(node.xpath(META)).lower()
    return ChannelPost(int(number), moment, _text(node), edited)


def _text(node) -> str:
    found = node.xpath(TEXT)
    if not found:
        return ""
    text = found[0]
    for element in text.iter():  # white space in the markup is a space; <br/> is a line
        element.text = element.text and HTML_SPACES.sub(" ", element.text)
        if element is not text:
            element.tail = element.tail and HTML_SPACES.sub(" ", element.tail)
    for line_break in text.iter("br"):
        line_break.tail = "\n" + (line_break.tail or "")
    return clean_whitespace(text.text_content())
