"""Every metric of the ingest service, declared once, on a registry given by the caller."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

from vigie.shared.metrics import DURATION_BUCKETS, SOURCE_DELAY_BUCKETS

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

PUSH_RESULTS = ("accepted", "parse_error", "unsigned", "bad_signature", "unknown_callback",
                "too_large")
VERIFICATION_RESULTS = ("confirmed", "denied", "refused")
SUBSCRIBE_RESULTS = ("accepted", "refused", "unreachable")
FALLBACK_REASONS = ("refused", "unreachable", "missed_entry", "expired")


class IngestMetrics:
    # Longer than 60 lines, and kept so: a declarative table, one metric after the other.
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
        self.source_delay = Histogram(
            "vigie_ingest_source_delay_seconds",
            "From an item's own time (published, else first seen) to its publication on the raw"
            " topic (ingested_at), counted once acknowledged", ["source_kind"],
            buckets=SOURCE_DELAY_BUCKETS, registry=registry,
        )
        self.poll_interval = Gauge(
            "vigie_ingest_feed_poll_interval_seconds",
            "The interval a feed is polled at now (before jitter and backoff)", ["feed"],
            registry=registry,
        )
        self.push_active = Gauge(
            "vigie_ingest_feed_push_active",
            "1 while a feed's entries come by WebSub push, else 0", ["feed"], registry=registry,
        )
        self.websub_pushes = Counter(
            "vigie_ingest_websub_pushes_total",
            "WebSub content distributions, by result (only accepted ones are published)",
            ["result"], registry=registry,
        )
        self.websub_verifications = Counter(
            "vigie_ingest_websub_verifications_total",
            "Hub verification requests, by answer (confirmed, denied by the hub, refused)",
            ["result"], registry=registry,
        )
        self.websub_requests = Counter(
            "vigie_ingest_websub_subscribe_requests_total",
            "Subscription requests sent to hubs, by result", ["result"], registry=registry,
        )
        self.websub_fallbacks = Counter(
            "vigie_ingest_websub_fallbacks_total",
            "Feeds back to polling from push, by reason", ["reason"], registry=registry,
        )
        for metric, labels in ((self.websub_pushes, PUSH_RESULTS),
                               (self.websub_verifications, VERIFICATION_RESULTS),
                               (self.websub_requests, SUBSCRIBE_RESULTS),
                               (self.websub_fallbacks, FALLBACK_REASONS)):
            for label in labels:
                metric.labels(label)
        for result in PAGE_RESULTS:
            self.pages.labels(result)
        for result in FILE_RESULTS:
            self.files.labels(result)
        for kind in ("file", "feed", "channel"):
            self.published.labels(kind)
            self.source_delay.labels(kind)
