"""Full articles: the page behind an entry's link, where the feed carries only a teaser.

A feed's ``full_text`` says when: ``auto`` (an entry whose own text is under
``VIGIE_PAGES_MIN_CHARS``), ``always`` or ``never``. Only new entries and new revisions are
fetched (the poller's seen state decides), so a page is fetched once per link and revision.

- The fetch is the feeds' own (``fetch``): redirects checked hop by hop, the address guard,
  the size cap and the total deadline. One request per host at a time across the poll threads,
  ``VIGIE_FEEDS_PER_HOST_DELAY_S`` apart (``HostTurns``).
- ``robots.txt`` is honoured (RFC 9309): fetched once per host and kept
  ``VIGIE_PAGES_ROBOTS_TTL_S``, then revalidated with a conditional GET; a 4xx means no
  rules, a 5xx or a failed fetch means nothing may be fetched there (asked again after
  ``ROBOTS_RETRY_S``).
- The main text is extracted by trafilatura, favouring precision: asides ("À lire aussi"),
  menus, cookie banners, footers and scripts stay out, since a related-article link about an
  air-raid alert would raise a false alert. Comments and tables are left out too.

The page's text replaces the feed's only when something was extracted and it says more; the
feed's text then moves to ``summary`` and ``text_source`` is ``page``. Otherwise the entry
keeps the feed's text, and ``vigie_ingest_page_fetches_total{result}`` says why.
"""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import threading
import time
import urllib.robotparser

import msgspec
import trafilatura

from vigie.shared.messages import RawArticle

from .errors import FetchError
from .fetch import FetchLimits, FetchRequest, fetch
from .urls import host_of

log = logging.getLogger(__name__)
HTML_ACCEPT = "text/html, application/xhtml+xml;q=0.9, */*;q=0.1"
HTML_TYPES = ("text/html", "application/xhtml+xml")
ROBOTS_MAX_BYTES = 512 * 1024  # RFC 9309: parse at least 500 KiB
ROBOTS_RETRY_S = 600.0
logging.getLogger("trafilatura").setLevel(logging.ERROR)  # it warns on every empty page


def wants_page(article: RawArticle, full_text: str, min_chars: int) -> bool:
    if not article.url or full_text == "never":
        return False
    return full_text == "always" or len(article.text) < min_chars


def extract_text(html: bytes, url: str | None = None) -> str:
    """The main text of an HTML page ("" when there is none)."""
    text = trafilatura.extract(html, url=url, favor_precision=True, include_comments=False,
                               include_tables=False)
    return (text or "").strip()


class HostTurns:
    """One request per host at a time, ``gap_s`` apart, across threads."""

    def __init__(self, gap_s: float) -> None:
        self.gap_s = gap_s
        self._changed = threading.Condition()
        self._busy: set[str] = set()
        self._next: dict[str, float] = {}

    @contextlib.contextmanager
    def turn(self, host: str):
        with self._changed:
            while host in self._busy or time.monotonic() < self._next.get(host, 0.0):
                wait = self._next.get(host, 0.0) - time.monotonic()
                self._changed.wait(max(0.01, wait) if host not in self._busy else None)
            self._busy.add(host)
        try:
            yield
        finally:
            with self._changed:
                self._busy.discard(host)
                now = time.monotonic()
                self._next = {h: t for h, t in self._next.items() if t > now}  # bounded
                self._next[host] = now + self.gap_s
                self._changed.notify_all()


@dataclasses.dataclass
class _Robots:
    rules: urllib.robotparser.RobotFileParser
    expires: float
    etag: str | None = None
    last_modified: str | None = None


class RobotsCache:
    """Each host's robots.txt, fetched once per ``ttl_s`` (a caller holds the host's turn)."""

    def __init__(self, limits: FetchLimits, ttl_s: float) -> None:
        self.limits = limits
        self.ttl_s = ttl_s
        self._hosts: dict[str, _Robots] = {}
        self._lock = threading.Lock()

    def allows(self, url: str) -> bool:
        host = host_of(url)
        with self._lock:
            known = self._hosts.get(host)
        if known is None or known.expires < time.monotonic():
            known = self._fetch(url.split("/", 3)[:3], known)
            with self._lock:
                self._hosts[host] = known
        return known.rules.can_fetch(self.limits.user_agent, url)

    def _fetch(self, origin: list[str], known: _Robots | None) -> _Robots:
        robots_url = "/".join(origin) + "/robots.txt"
        request = FetchRequest(robots_url, known and known.etag, known and known.last_modified,
                               accept="text/plain")
        rules = urllib.robotparser.RobotFileParser(robots_url)
        limits = dataclasses.replace(self.limits,
                                     max_bytes=min(self.limits.max_bytes, ROBOTS_MAX_BYTES))
        try:
            response = fetch(request, limits)
        except FetchError as exc:
            status = exc.status
            if status is not None and 400 <= status < 500:
                rules.allow_all = True  # no robots.txt: no rules
                return _Robots(rules, time.monotonic() + self.ttl_s)
            log.warning("robots.txt unavailable, pages of this host not fetched: %s", exc,
                        extra={"url": robots_url})
            rules.disallow_all = True
            return _Robots(rules, time.monotonic() + min(self.ttl_s, ROBOTS_RETRY_S))
        if response.not_modified and known is not None:
            known.expires = time.monotonic() + self.ttl_s
            return known
        rules.parse(response.body.decode("utf-8", errors="replace").splitlines())
        return _Robots(rules, time.monotonic() + self.ttl_s, response.headers.get("etag"),
                       response.headers.get("last-modified"))


class PageFetcher:
    """Fetches and extracts the pages of new entries; thread-safe (one per poller)."""

    def __init__(self, limits: FetchLimits, metrics, *, min_chars: int, robots_ttl_s: float,
                 gap_s: float) -> None:
        self.limits, self.metrics, self.min_chars = limits, metrics, min_chars
        self.turns = HostTurns(gap_s)
        self.robots = RobotsCache(limits, robots_ttl_s)

    def complete(self, article: RawArticle, full_text: str) -> RawArticle:
        """``article`` with the page's text where the feed's is a teaser (see the module)."""
        if not wants_page(article, full_text, self.min_chars):
            return article
        result, text = self._page_text(article.url)
        if result == "page" and len(text) <= len(article.text):
            result = "feed_longer"
        self.metrics.pages.labels(result).inc()
        if result != "page":
            log.info("page not used (%s): the feed's text stays", result,
                     extra={"url": article.url})
            return article
        return msgspec.structs.replace(article, text=text, text_source="page",
                                       summary=article.summary or article.text)

    def _page_text(self, url: str) -> tuple[str, str]:
        try:
            with self.turns.turn(host_of(url)):
                if not self.robots.allows(url):
                    return "robots", ""
            with self.turns.turn(host_of(url)):
                response = fetch(FetchRequest(url, accept=HTML_ACCEPT), self.limits)
        except FetchError as exc:
            return exc.result, ""
        media = response.headers.get("content-type", "").split(";")[0].strip().lower()
        if media and media not in HTML_TYPES:
            return "not_html", ""
        started = time.perf_counter()
        text = extract_text(response.body, response.url)
        self.metrics.extract_duration.observe(time.perf_counter() - started)
        return ("page", text) if text else ("empty", "")
