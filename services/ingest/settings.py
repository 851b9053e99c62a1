"""Ingest settings (environment variables ``VIGIE_*``, defaults documented here)."""

from __future__ import annotations

import dataclasses

from vigie.shared.addresses import NetworkPolicy
from vigie.shared.config import ConfigError, KafkaSettings, setting


@dataclasses.dataclass(frozen=True, repr=False)
class IngestSettings(KafkaSettings):
    service = "ingest"

    ingest_watch_dirs: tuple = setting(
        ("seeds",), "folders `vigie ingest serve` watches, comma-separated", kind=tuple
    )
    ingest_metrics_port: int = setting(9101, "port of ingest's /metrics and /healthz")
    ingest_max_file_bytes: int = setting(2_000_000, "larger files are skipped and counted")
    ingest_watch_interval_s: float = setting(1.0, "how often --watch scans its folders")
    ingest_watch_state_topic: str = setting(
        "vigie.ingest.watch-state", "compacted topic of what --watch published (path → revision),"
                                    " so a restart publishes only new and changed files"
    )
    ingest_delivery_timeout_s: int = setting(
        600, "how long an article is retried while the broker is unreachable"
    )
    feeds_file: str = setting(
        "", "the feed list `vigie ingest serve` polls (none if empty; deploy/feeds.yaml is a sample)"
    )
    feeds_state_topic: str = setting(
        "vigie.ingest.feed-state", "compacted topic of per-feed HTTP cache and seen entries"
    )
    feeds_concurrency: int = setting(8, "feed fetches in flight at once")
    feeds_per_host_delay_s: float = setting(1.0, "minimum time between two requests to one host")
    feeds_default_interval_s: float = setting(300.0, "poll interval of a feed that sets none")
    feeds_timeout_s: float = setting(20.0, "connect and read timeout of one fetch")
    feeds_deadline_s: float = setting(
        60.0, "total time allowed for one fetch, however slowly the server sends"
    )
    feeds_min_interval_s: float = setting(
        60.0, "feed list intervals shorter than this are refused; the shortest adaptive interval"
    )
    feeds_max_interval_s: float = setting(
        3600.0, "the longest adaptive interval; a feed that pushes through WebSub is polled this"
                " often (or at its own interval, if longer) to catch what the hub missed"
    )
    feeds_entry_frequency_factor: float = setting(
        10.0, "adaptive interval = 1 week / (entries per week × this): polls per entry gap"
    )
    feeds_seen_max: int = setting(5000, "entries remembered per feed so a restart skips them")
    feeds_max_bytes: int = setting(10_000_000, "responses larger than this are cut off")
    feeds_max_backoff_s: float = setting(6 * 3600.0, "longest wait after repeated failures")
    feeds_user_agent: str = setting("Vigie/0.1 (+https://github.com/vigie-news/vigie)",
                                    "User-Agent sent with every fetch")
    telegram_base_url: str = setting(
        "https://t.me", "where Telegram channels' public web previews are read"
                        " (`<base>/s/<channel>`)"
    )
    telegram_poll_s: float = setting(10.0, "how often each Telegram channel of the feed list is polled")
    telegram_backfill: int = setting(
        200, "posts read back from a Telegram channel polled for the first time"
    )
    pages_min_chars: int = setting(
        600, "with full_text: auto, an entry whose own text is shorter than this gets the page"
             " behind its link"
    )
    pages_robots_ttl_s: float = setting(86400.0, "how long a host's robots.txt is kept")
    websub_callback_url: str = setting(
        "", "base URL at which WebSub hubs reach this ingest service (its /metrics port, e.g."
            " https://vigie.example.org:9101); empty: no push, every feed is polled"
    )
    websub_lease_s: int = setting(864000, "subscription lease asked of a hub (the hub decides)")
    websub_renew_before_s: float = setting(
        82800.0, "renew a subscription this long before its lease ends (at most halfway)"
    )
    websub_retry_s: float = setting(
        21600.0, "after a hub refused, failed or never verified: wait this long to ask again"
    )
    allow_private_networks: str = setting(
        "", "feeds and pages are fetched from public addresses only; `true` allows every"
            " address, or list the allowed ones (`127.0.0.1/32,10.0.0.0/8`)"
    )

    @property
    def network_policy(self) -> NetworkPolicy:
        try:
            return NetworkPolicy.parse(self.allow_private_networks)
        except ValueError as exc:
            raise ConfigError(f"VIGIE_ALLOW_PRIVATE_NETWORKS: {exc}") from None
