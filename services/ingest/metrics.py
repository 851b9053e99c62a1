"""Every metric of the ingest service, declared once, on a registry given by the caller."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

from vigie.shared.metrics import DURATION_BUCKETS

FILE_RESULTS = ("published", "unchanged", "undecodable", "too_large", "empty", "unreadable")
# "page": the page's text replaced the feed's; "feed_longer": the page said less; "empty":
# nothing extracted; "not_html"; "robots": robots.txt disallows it; then fetch failures.
PAGE_RESULTS = (
    "page", "feed_longer", "empty", "not_html", "robots", "http_error", "timeout", "too_large",
    "refused", "private_address", "error",
)
# "no_posts": a channel's preview showed none (private, preview turned off, or empty).
FETCH_RESULTS = (
    "ok", "not_modified", "http_error", "timeout", "parse_error", "too_large", "refused",
    "private_address", "error", "no_posts",
)


class IngestMetrics:
    def __init__(self, registry: CollectorRegistry) -> None:
        self.registry = registry
        self.files = Counter(
            "vigie_ingest_files_total", "Files read, by result", ["result"], registry=registry
        )
        self.published = Counter(
            "vigie_ingest_articles_published_total", "Articles published to the raw topic",
            ["source_kind"], registry=registry,
        )
        self.publish_failures = Counter(
            "vigie_ingest_publish_failures_total",
            "Articles the broker did not acknowledge after every retry", registry=registry,
        )
        self.fetches = Counter(
            "vigie_ingest_feed_fetches_total", "Feed fetches, by feed and result",
            ["feed", "result"], registry=registry,
        )
        self.fetch_duration = Histogram(
            "vigie_ingest_feed_fetch_duration_seconds", "Time to fetch and parse a feed",
            ["feed"], buckets=DURATION_BUCKETS, registry=registry,
        )
        self.entries = Counter(
            "vigie_ingest_feed_entries_total", "Feed entries, new or already seen",
            ["feed", "state"], registry=registry,
        )
        self.last_success = Gauge(
            "vigie_ingest_feed_last_success_timestamp_seconds",
            "Unix time of the feed's last successful fetch", ["feed"], registry=registry,
        )
        self.consecutive_failures = Gauge(
            "vigie_ingest_feed_consecutive_failures",
            "Failed fetches in a row (a parked feed keeps its count)", ["feed"], registry=registry,
        )
        self.entry_fixes = Counter(
            "vigie_ingest_entry_fixes_total",
            "Feed fields repaired before publishing, by feed and fix (invalid_bytes counts byte"
            " sequences; the others, entries)", ["feed", "fix"], registry=registry,
        )
        self.channel_pages = Counter(
            "vigie_ingest_channel_pages_total",
            "Telegram channel preview pages read, by feed (more than one a poll: paging back)",
            ["feed"], registry=registry,
        )
        self.pages = Counter(
            "vigie_ingest_page_fetches_total",
            "Pages fetched behind feed entries' links, by result", ["result"], registry=registry,
        )
        self.extract_duration = Histogram(
            "vigie_ingest_page_extract_duration_seconds",
            "Time to extract a page's main text", buckets=DURATION_BUCKETS, registry=registry,
        )
        for result in PAGE_RESULTS:
            self.pages.labels(result)
        for result in FILE_RESULTS:
            self.files.labels(result)
        for kind in ("file", "feed", "channel"):
            self.published.labels(kind)
