"""Ingest's durable memory: a compacted Kafka topic, read back in full at start.

Why Kafka and not a local file or database: the ingest service stays stateless, so it can be
restarted, moved to another machine or container, or replaced without a volume to carry along,
and it depends on nothing Vigie does not already run. The topic is compacted, so it holds the
latest record per key however long ingest runs, and a start reads it back in a second or two.
Records are written only after the articles they describe were acknowledged: a crash in
between republishes them (at-least-once), and their deterministic ids absorb that.
"""

from __future__ import annotations

import logging

from vigie.shared.kafka import ensure_topics, make_producer, read_to_end

log = logging.getLogger(__name__)


class StateTopic:
    """Key → latest value of one compacted topic: ``load`` all at start, ``save`` as you go."""

    def __init__(self, settings, topic: str, *, load_timeout_s: float = 60.0) -> None:
        self.settings = settings
        self.topic = topic
        self.load_timeout_s = load_timeout_s
        self._producer = None

    def ensure(self) -> None:
        """Create the topic (one partition, compacted) if it is missing."""
        ensure_topics(self.settings, {self.topic: 1}, compacted=[self.topic])

    def load(self) -> dict[str, bytes]:
        """Every key's latest value: all partitions read from the start to their end; a
        tombstone deletes its key."""
        values: dict[str, bytes] = {}
        for record in read_to_end(self.settings, self.topic, timeout_s=self.load_timeout_s,
                                  wait_for_topic_s=self.load_timeout_s):
            if record.key is None:
                continue
            key = record.key.decode("utf-8", "replace")
            if record.value is None:
                values.pop(key, None)
            else:
                values[key] = record.value
        log.info("state loaded", extra={"topic": self.topic, "keys": len(values)})
        return values

    def save(self, key: str, value: bytes) -> None:
        if self._producer is None:
            self._producer = make_producer(self.settings)
        self._producer.send(self.topic, key=key.encode(), value=value)

    def flush(self) -> None:
        if self._producer is not None:
            self._producer.flush()

    def close(self) -> None:
        if self._producer is not None:
            self._producer.flush()
            self._producer.close()
