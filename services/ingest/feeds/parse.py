"""Parsing a fetched feed with feedparser and mapping its entries to RawArticle.

feedparser reads RSS 0.9x/1.0/2.0, Atom 0.3/1.0 and RDF, honours the encoding declared in the
Content-Type header or the document, and guesses undeclared ones. A document it flags as
malformed ("bozo") still yields the entries it could read; only a document with neither a
feed version nor entries is a parse error.

Two guards run before feedparser sees the bytes: documents declaring XML entities are refused
(entity expansion, "billion laughs", and external entities have no place in a news feed), and
the body is handed over as a stream, because feedparser treats ``bytes`` that look like a file
name as a path to open.

Nothing a feed says is trusted. A document declared UTF-8 (by HTTP or its XML declaration) has
its invalid byte sequences replaced by U+FFFD, rather than feedparser falling back to another
encoding and publishing mojibake (an undeclared document is still decoded as feedparser
guesses: old feeds in Latin-1 rarely say so). Every text field loses its control characters
(``html_text``); a link is kept only if it is an absolute http(s) URL with a host (a
``javascript:`` link would reach dashboards and subscribers); titles and summaries are capped
(``MAX_TITLE``, ``MAX_SUMMARY``, cut on a word with an ellipsis). Each fix is counted per feed in
``ParsedFeed.fixes`` (``vigie_ingest_entry_fixes_total{feed,fix}``).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import email.utils
import io
import re
from collections import Counter
from dataclasses import dataclass

import feedparser

from vigie.shared.ids import article_id, revision
from vigie.shared.languages import language_code
from vigie.shared.messages import RawArticle, Source
from vigie.shared.text import CONTROL_CHARACTERS, digest, shorten, web_link
from vigie.shared.timestamps import format_time, parse_time

from .errors import ParseError
from .feedlist import FeedConfig
from .html_text import html_to_text, plain

MAX_TITLE = 500
MAX_SUMMARY = 2000
XML_DECLARED_ENCODING = re.compile(rb"^\s*<\?xml[^>]*encoding\s*=\s*[\"']([A-Za-z0-9._:-]+)",
                                   re.IGNORECASE)
# The fixes an entry can need (the label values of vigie_ingest_entry_fixes_total).
FIXES = ("invalid_bytes", "control_characters", "link_scheme", "link_malformed",
         "title_capped", "summary_capped")

ENTITY_DECLARATIONS = tuple(
    "<!ENTITY".encode(codec) for codec in ("utf-8", "utf-16-le", "utf-16-be", "utf-32-le",
                                           "utf-32-be")
)
PASSED_HEADERS = ("content-type", "content-language", "content-location")
XML_TYPES = {"application/xml", "text/xml", "application/xml-dtd", "text/xml-external-parsed-entity",
             "application/xml-external-parsed-entity"}
CHARSET = re.compile(r"charset\s*=\s*[\"']?([A-Za-z0-9._:-]+)", re.IGNORECASE)
HTML_START = re.compile(rb"\s*(?:<\?.*?\?>\s*|<!--.*?-->\s*|<!doctype[^>]*>\s*)*<html\b",
                        re.IGNORECASE | re.DOTALL)


@dataclass(frozen=True)
class FeedEntry:
    """One entry as an article, with ``key``: its identity in the feed's seen state."""

    key: str
    article: RawArticle


@dataclass(frozen=True)
class ParsedFeed:
    entries: list[FeedEntry]
    version: str
    problem: str | None = None  # why feedparser flagged the document as malformed
    fixes: Counter = dataclasses.field(default_factory=Counter)  # FIXES → how many
    links: tuple[tuple[str, str], ...] = ()  # the feed's own (rel, href): hub, self…
    ttl: str | None = None  # RSS <ttl>, minutes, as written


def parse_feed(body: bytes, headers: dict[str, str], feed: FeedConfig, *,
               fetched_at: str) -> ParsedFeed:
    """Entries of a fetched document; raise ParseError if it is refused or not a feed.

    Relative URIs (links, and guids that look like paths) resolve against the configured feed
    URL, not the URL a redirect led to, so a moved feed keeps its article ids.
    """
    refuse_entity_declarations(body)
    fixes: Counter = Counter()
    body, fixes["invalid_bytes"] = utf8_repaired(body, headers)
    result = feedparser.parse(io.BytesIO(body),
                              response_headers=parser_headers(headers, feed.url))
    problem = _bozo_reason(result)
    if not result.entries and not result.get("version") and (problem or is_html_page(body)):
        raise ParseError(f"not a feed: {problem or 'an HTML page'}")
    feed_language = language_code(result.feed.get("language"))
    entries = [
        mapped for raw in result.entries
        if (mapped := entry_to_article(raw, feed, fetched_at, feed_language, fixes)) is not None
    ]
    links = tuple((str(link.get("rel") or "").lower(), str(link.get("href") or ""))
                  for link in result.feed.get("links") or [])
    return ParsedFeed(entries=entries, version=result.get("version") or "", problem=problem,
                      fixes=+fixes, links=links, ttl=result.feed.get("ttl"))


def utf8_repaired(body: bytes, headers: dict[str, str]) -> tuple[bytes, int]:
    """A document declared UTF-8 with its invalid byte sequences replaced by U+FFFD, and how
    many there were (see the module)."""
    declared = CHARSET.search(headers.get("content-type", "")) or XML_DECLARED_ENCODING.match(
        body[:512])
    encoding = declared and declared.group(1)
    if isinstance(encoding, bytes):
        encoding = encoding.decode("ascii")
    if not encoding or encoding.lower().replace("_", "-") not in ("utf-8", "utf8"):
        return body, 0
    try:
        body.decode("utf-8")
        return body, 0
    except UnicodeDecodeError:
        text = body.decode("utf-8", errors="replace")
        return text.encode("utf-8"), text.count("\ufffd") - body.count("\ufffd".encode())


def checked_link(link: str, fixes: Counter) -> str | None:
    """``link`` if it is a web link (``vigie.shared.text.web_link``), else None, counted as a
    refused scheme or a malformed URL."""
    kept = web_link(link)
    if link and kept is None:
        scheme = link.split(":", 1)[0].lower() if ":" in link else ""
        fixes["link_scheme" if scheme not in ("", "http", "https") else "link_malformed"] += 1
    return kept


def capped(text: str, limit: int, fix: str, fixes: Counter) -> str:
    short = shorten(text, limit)
    fixes[fix] += short != text
    return short


def is_html_page(body: bytes) -> bool:
    """True when the document's first element is <html>: a web page where a feed was due."""
    return bool(HTML_START.match(body[:4096].lstrip(b"\xef\xbb\xbf")))


def refuse_entity_declarations(body: bytes) -> None:
    if any(marker in body for marker in ENTITY_DECLARATIONS):
        raise ParseError("refused: the document declares XML entities (<!ENTITY)")


def parser_headers(headers: dict[str, str], base_url: str) -> dict[str, str]:
    """The response headers feedparser should see.

    A missing or non-XML media type (feeds are often served as text/html or text/plain) is
    replaced by application/xml, keeping its charset: the document is then decoded by XML
    rules (declaration, BOM, UTF-8) and the server's charset, instead of feedparser's
    fallback for such types (ISO-8859-1 or US-ASCII, and its lenient parser).
    """
    passed = {name: headers[name] for name in PASSED_HEADERS if name in headers}
    passed["content-type"] = xml_content_type(passed.get("content-type", ""))
    passed.setdefault("content-location", base_url)
    return passed


def xml_content_type(value: str) -> str:
    media, _, parameters = value.partition(";")
    media = media.strip().lower()
    if media in XML_TYPES or (media.startswith(("application/", "text/")) and
                              media.endswith("+xml")):
        return value
    charset = CHARSET.search(parameters)
    return "application/xml" + (f"; charset={charset.group(1)}" if charset else "")


def _bozo_reason(result) -> str | None:
    if not result.get("bozo"):
        return None
    exception = result.get("bozo_exception")
    return f"{type(exception).__name__}: {exception}" if exception else "malformed"


def entry_to_article(entry, feed: FeedConfig, fetched_at: str,
                     feed_language: str | None = None,
                     fixes: Counter | None = None) -> FeedEntry | None:
    """Map one feedparser entry; None when it has nothing to identify it by. ``fixes``
    counts what had to be repaired (see the module)."""
    fixes = Counter() if fixes is None else fixes
    raw = [entry.get("title") or "", entry.get("summary") or "", _content(entry)]
    fixes["control_characters"] += any(CONTROL_CHARACTERS.search(value) for value in raw)
    title = plain(entry.get("title"))
    summary = html_to_text(entry.get("summary"))
    text = html_to_text(_content(entry)) or summary or title
    link = (entry.get("link") or "").strip()
    identity = (entry.get("id") or "").strip() or link or (
        f"{title}\x1f{text}" if title or text else "")
    if not identity:
        return None
    article = RawArticle(
        id=article_id("feed", feed.url, identity),
        revision=revision(title, text),
        source=Source(kind="feed", name=feed.name, url=feed.url, timezone=feed.timezone),
        url=checked_link(link, fixes),
        title=capped(title, MAX_TITLE, "title_capped", fixes) or None,
        summary=capped(summary, MAX_SUMMARY, "summary_capped", fixes)
        if summary and summary != text else None,
        text=text,
        published=entry_time(entry),
        language=_entry_language(entry) or feed_language or language_code(feed.language),
        fetched_at=fetched_at,
        ingested_at=fetched_at,
        text_source="feed",
    )
    return FeedEntry(key=digest("seen", identity, length=20), article=article)


def _content(entry) -> str:
    """The longest content block (feeds may carry a teaser and the full text)."""
    values = [block.get("value") or "" for block in entry.get("content") or []]
    return max(values, key=len, default="")


def entry_time(entry) -> str | None:
    """Published (else updated) time as RFC 3339, at the UTC offset the feed wrote.

    The offset is the source's calendar: "hier" in an article published at 01:30 in Kyiv
    (+03:00) is the day before the Kyiv date, which the UTC date (22:30 the day before) is not.
    feedparser gives the time in UTC only, so the offset is read back from the raw value
    (RFC 822 or RFC 3339) when that value names the same instant.
    """
    for field in ("published", "updated", "created"):
        parsed = dict.get(entry, field + "_parsed")  # plain lookup: no feedparser fallback
        if not parsed:
            continue
        try:
            utc = dt.datetime(*parsed[:6], tzinfo=dt.timezone.utc)
        except (TypeError, ValueError):
            continue
        written = _written_time(dict.get(entry, field))
        if written is not None and written == utc:
            return format_time(written, keep_offset=True)
        return format_time(utc)
    return None


def _written_time(raw) -> dt.datetime | None:
    """The raw date with its offset, read as RFC 822 (RSS) or RFC 3339 (Atom)."""
    if not isinstance(raw, str) or not raw.strip():
        return None
    raw = raw.strip()
    for read in (email.utils.parsedate_to_datetime, parse_time):
        try:
            moment = read(raw)
        except (TypeError, ValueError, IndexError):
            continue
        if moment is not None and moment.tzinfo is not None:
            return moment
    return None


def _entry_language(entry) -> str | None:
    """dc:language, else the xml:lang in force on the entry's content, summary or title."""
    candidates = [entry.get("language")]
    candidates += [block.get("language") for block in entry.get("content") or []]
    candidates += [(entry.get(name) or {}).get("language")
                   for name in ("summary_detail", "title_detail")]
    return next((lang for c in candidates if (lang := language_code(c))), None)
