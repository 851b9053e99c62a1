"""Per-feed state, kept durable in a compacted Kafka topic.

Why Kafka and not a local file or database: the ingest service stays stateless, so it can be
restarted, moved to another machine or container, or replaced without a volume to carry along,
and it depends on nothing Vigie does not already run. The topic is compacted and keyed by the
feed's configured URL, so it holds one record per feed (the latest) however long it runs, and
a start reads it back in full in a second or two.

A feed's state holds its HTTP cache validators (ETag, Last-Modified), its current URL (after
permanent redirects), its consecutive failure count, and ``seen``: a hash of each published
entry's identity (guid, else link, else title + text) mapped to the revision published. An
entry is published again only when its revision changes. ``seen`` keeps the newest entries
only (``VIGIE_FEEDS_SEEN_MAX``), which bounds the record size while covering any real feed.

The poller writes a feed's state only after the publisher's flush() succeeded: a crash in
between republishes the entries (at-least-once), and their deterministic ids absorb that.
"""

from __future__ import annotations

import json
import logging
import time
from dataclasses import asdict, dataclass, field

from kafka import TopicPartition

from vigie.shared.kafka import make_consumer, make_producer

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
        return state


class StateStore:
    """Reads every feed's state at start and writes one feed's state after each poll."""

    def __init__(self, settings, *, load_timeout_s: float = 60.0) -> None:
        self.settings = settings
        self.topic = settings.feeds_state_topic
        self.load_timeout_s = load_timeout_s
        self._producer = None

    def load(self) -> dict[str, FeedState]:
        """The latest state of every feed: all partitions read from the start to their end."""
        consumer = make_consumer(self.settings, group_id=None, enable_auto_commit=False)
        try:
            return self._read_all(consumer)
        finally:
            consumer.close()

    def _read_all(self, consumer) -> dict[str, FeedState]:
        partitions = self._partitions(consumer)
        consumer.assign(partitions)
        consumer.seek_to_beginning(*partitions)
        end = consumer.end_offsets(partitions)
        deadline = time.monotonic() + self.load_timeout_s
        states: dict[str, FeedState] = {}
        while any(consumer.position(tp) < end[tp] for tp in partitions):
            if time.monotonic() > deadline:
                raise TimeoutError(f"feed state topic {self.topic} not read to its end in time")
            for records in consumer.poll(timeout_ms=500).values():
                for record in records:
                    self._apply(states, record)
        log.info("feed state loaded", extra={"topic": self.topic, "feeds": len(states)})
        return states

    def _partitions(self, consumer) -> list[TopicPartition]:
        deadline = time.monotonic() + self.load_timeout_s
        while not (numbers := consumer.partitions_for_topic(self.topic)):
            if time.monotonic() > deadline:
                raise TimeoutError(f"feed state topic {self.topic} not found")
            time.sleep(0.2)
        return [TopicPartition(self.topic, number) for number in sorted(numbers)]

    def _apply(self, states: dict[str, FeedState], record) -> None:
        key = record.key.decode("utf-8", "replace") if record.key else None
        if key is None:
            return
        if record.value is None:  # a tombstone: the feed's state was deleted
            states.pop(key, None)
            return
        try:
            states[key] = FeedState.from_json(record.value)
        except (ValueError, TypeError) as exc:
            log.warning("unreadable feed state ignored: %s", exc, extra={"feed": key})

    def save(self, state: FeedState) -> None:
        if self._producer is None:
            self._producer = make_producer(self.settings)
        self._producer.send(self.topic, key=state.feed_url.encode(), value=state.to_json())

    def flush(self) -> None:
        if self._producer is not None:
            self._producer.flush()

    def close(self) -> None:
        if self._producer is not None:
            self._producer.flush()
            self._producer.close()
