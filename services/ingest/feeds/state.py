"""Per-feed state, kept durable in a compacted Kafka topic (``vigie.ingest.state_topic``)
keyed by the feed's configured URL: one record per feed, the latest.

A feed's state holds its HTTP cache validators (ETag, Last-Modified), its current URL (after
permanent redirects), its consecutive failure count, its adaptive poll interval, its WebSub
hub and subscription (secret included: the topic is ingest's own), and ``seen``: a hash of each
published entry's identity (guid, else link, else title + text; a channel's post id) mapped to
the revision published. An entry is published again only when its revision changes. ``seen``
keeps the newest entries only (``VIGIE_FEEDS_SEEN_MAX``), which bounds the record size while
covering any real feed. A Telegram channel's state also holds ``last_post``, the newest post id
published: the next poll pages back to it.

The poller writes a feed's state only after the publisher's flush() succeeded: a crash in
between republishes the entries (at-least-once), and their deterministic ids absorb that.
"""

from __future__ import annotations

import json
import logging
from dataclasses import asdict, dataclass, field

from ..state_topic import StateTopic

log = logging.getLogger(__name__)

STATE_VERSION = 1


@dataclass
class FeedState:
    feed_url: str
    url: str
    etag: str | None = None
    last_modified: str | None = None
    seen: dict[str, str] = field(default_factory=dict)  # oldest first
    failures: int = 0
    last_success: float | None = None
    last_post: int | None = None  # a channel's
    interval_s: float | None = None  # the adaptive interval (``adaptive``), once estimated
    hub: str | None = None  # the WebSub hub the feed names, if any
    websub: dict | None = None  # its subscription (``websub.Subscription``), if any
    schema_version: int = STATE_VERSION

    @classmethod
    def fresh(cls, feed_url: str) -> FeedState:
        return cls(feed_url=feed_url, url=feed_url)

    def is_new(self, key: str, entry_revision: str) -> bool:
        return self.seen.get(key) != entry_revision

    def remember(self, key: str, entry_revision: str, limit: int) -> None:
        """Record a published entry as the newest; forget the oldest beyond ``limit``."""
        self.seen.pop(key, None)
        self.seen[key] = entry_revision
        for oldest in list(self.seen)[: max(0, len(self.seen) - limit)]:
            del self.seen[oldest]

    def to_json(self) -> bytes:
        return json.dumps(asdict(self), ensure_ascii=False, separators=(",", ":")).encode()

    @classmethod
    def from_json(cls, data: bytes) -> FeedState:
        values = json.loads(data)
        known = {name: values[name] for name in cls.__dataclass_fields__ if name in values}
        state = cls(**known)
        if not isinstance(state.seen, dict) or not isinstance(state.failures, int):
            raise ValueError("seen must be an object and failures an integer")
        if state.last_post is not None and not isinstance(state.last_post, int):
            raise ValueError("last_post must be an integer")
        if not isinstance(state.websub, dict | None):
            raise ValueError("websub must be an object")
        return state


class StateStore:
    """Reads every feed's state at start and writes one feed's state after each poll."""

    def __init__(self, settings, *, load_timeout_s: float = 60.0) -> None:
        self.topic = StateTopic(settings, settings.feeds_state_topic,
                                load_timeout_s=load_timeout_s)

    def load(self) -> dict[str, FeedState]:
        """The latest state of every feed; an unreadable record is logged and ignored."""
        states: dict[str, FeedState] = {}
        for feed_url, value in self.topic.load().items():
            try:
                states[feed_url] = FeedState.from_json(value)
            except (ValueError, TypeError) as exc:
                log.warning("unreadable feed state ignored: %s", exc, extra={"feed": feed_url})
        return states

    def save(self, state: FeedState) -> None:
        self.topic.save(state.feed_url, state.to_json())

    def flush(self) -> None:
        self.topic.flush()

    def close(self) -> None:
        self.topic.close()
