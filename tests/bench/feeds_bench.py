"""Feed ingest benchmark: parse throughput against feedparser alone, and polls per minute.

``bench_feeds(corpus_dir)`` returns plain numbers (``make bench`` prints them). Everything runs
on local files and a local HTTP server on 127.0.0.1; nothing is published to Kafka.
"""

from __future__ import annotations

import functools
import io
import threading
import time
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import feedparser

from vigie.ingest.feeds.errors import ParseError
from vigie.ingest.feeds.feedlist import FeedConfig
from vigie.ingest.feeds.fetch import FetchLimits, FetchRequest
from vigie.ingest.feeds.parse import parse_feed
from vigie.ingest.feeds.poll_feed import poll_feed
from vigie.shared.addresses import NetworkPolicy

FETCHED_AT = "2025-01-01T00:00:00.000Z"
HEADERS = {"content-type": "application/xml"}


def bench_feeds(corpus_dir, *, max_files: int = 2000, polls: int = 300) -> dict:
    files = _feed_files(Path(corpus_dir))[:max_files]
    bodies = [path.read_bytes() for path in files]
    ours = _rate(bodies, _our_parse)
    alone = _rate(bodies, _feedparser_alone)
    return {
        "feed_files": len(bodies),
        "feeds_parsed_per_s": round(ours, 1),
        "feedparser_alone_per_s": round(alone, 1),
        "parse_ratio_vs_feedparser": round(ours / alone, 3) if alone else None,
        "polls_per_minute": round(_polls_per_minute(Path(corpus_dir), files, polls), 1),
    }


def _feed_files(corpus_dir: Path) -> list[Path]:
    return sorted(p for p in corpus_dir.rglob("*") if p.is_file() and p.suffix == ".xml")


def _our_parse(body: bytes, feed: FeedConfig) -> None:
    try:
        parse_feed(body, HEADERS, feed, fetched_at=FETCHED_AT)
    except ParseError:
        pass  # refused and non-feed documents cost time too: they are part of the rate


def _feedparser_alone(body: bytes, feed: FeedConfig) -> None:
    feedparser.parse(io.BytesIO(body), response_headers=HEADERS)


def _rate(bodies: list[bytes], parse) -> float:
    feed = FeedConfig(url="http://127.0.0.1/feed.xml", name="bench", interval_s=60)
    started = time.perf_counter()
    for body in bodies:
        parse(body, feed)
    elapsed = time.perf_counter() - started
    return len(bodies) / elapsed if elapsed > 0 else 0.0


def _polls_per_minute(corpus_dir: Path, files: list[Path], polls: int) -> float:
    """Sequential fetch + parse of corpus files served by a local HTTP server."""
    handler = functools.partial(_QuietHandler, directory=str(corpus_dir))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    limits = FetchLimits(timeout_s=10, deadline_s=30, max_bytes=10_000_000,
                         network=NetworkPolicy(allow_all=True))  # the server is local
    base = f"http://127.0.0.1:{server.server_address[1]}/"
    try:
        started = time.perf_counter()
        for index in range(polls):
            url = base + str(files[index % len(files)].relative_to(corpus_dir))
            poll_feed(FeedConfig(url=url, name="bench", interval_s=60), FetchRequest(url), limits)
        elapsed = time.perf_counter() - started
    finally:
        server.shutdown()
        server.server_close()
    return polls / elapsed * 60 if elapsed > 0 else 0.0


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, *args) -> None:
        pass


if __name__ == "__main__":
    import json
    import sys

    print(json.dumps(bench_feeds(sys.argv[1] if len(sys.argv) > 1 else "../shared/corpus"),
                     indent=2))
