"""The Kafka client as ingest uses it, in memory, for unit tests that need no broker.

A producer's records reach their topic only when it flushes, as the broker's acknowledgement
would make them durable; ``die_at_flush(topic)`` makes the process "die" at the flush that
carries a record for ``topic``: what that flush carried is lost, as it would be, and every
later call of the client raises again, since a dead process runs no clean-up either.
``refuse(topic)`` makes the broker answer every record for ``topic`` with an error.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from kafka.errors import KafkaTimeoutError


class ProcessDied(BaseException):
    """The process stops here: no handler of Vigie's catches it, as none would run."""


@dataclass(frozen=True)
class Record:
    topic: str
    key: bytes | None
    value: bytes | None


class Future:
    """A send's outcome, known once its producer flushed."""

    def __init__(self) -> None:
        self.acknowledged = False
        self.error: Exception | None = None

    def get(self, timeout: float | None = None) -> None:
        if self.error is not None:
            raise self.error
        if not self.acknowledged:
            raise KafkaTimeoutError("not flushed yet")


class Producer:
    def __init__(self, kafka: KafkaDouble) -> None:
        self.kafka = kafka
        self.pending: list[tuple[Record, Future]] = []
        self.closed = False

    def send(self, topic: str, key: bytes | None = None, value: bytes | None = None) -> Future:
        self.kafka.check_alive()
        future = Future()
        self.pending.append((Record(topic, key, value), future))
        return future

    def flush(self, timeout: float | None = None) -> None:
        self.kafka.check_alive()
        pending, self.pending = self.pending, []
        if any(record.topic in self.kafka.dying_topics for record, _ in pending):
            self.kafka.dead = True
            raise ProcessDied(f"died flushing {len(pending)} record(s)")
        for record, future in pending:
            if record.topic in self.kafka.refused_topics:
                future.error = KafkaTimeoutError(f"{record.topic}: no acknowledgement")
            else:
                self.kafka.topics[record.topic].append(record)
                future.acknowledged = True

    def close(self, timeout: float | None = None) -> None:
        self.flush()
        self.closed = True


class KafkaDouble:
    """Topics as lists of acknowledged records; ``make_producer``, ``read_to_end`` and
    ``ensure_topics`` stand in for those of ``vigie.shared.kafka``."""

    def __init__(self) -> None:
        self.topics: dict[str, list[Record]] = defaultdict(list)
        self.created: dict[str, dict] = {}  # topic → how it was asked for
        self.producers: list[Producer] = []
        self.dying_topics: set[str] = set()
        self.refused_topics: set[str] = set()
        self.dead = False

    def check_alive(self) -> None:
        if self.dead:
            raise ProcessDied("already dead")

    def die_at_flush(self, topic: str) -> None:
        self.dying_topics.add(topic)

    def refuse(self, topic: str) -> None:
        self.refused_topics.add(topic)

    def recover(self) -> None:
        """A new process on a healthy broker: nothing dies, nothing is refused."""
        self.dead = False
        self.dying_topics.clear()
        self.refused_topics.clear()

    def make_producer(self, settings, **overrides) -> Producer:
        self.check_alive()
        self.producers.append(Producer(self))
        return self.producers[-1]

    def read_to_end(self, settings, topic: str, **options):
        self.check_alive()
        return iter(list(self.topics[topic]))

    def ensure_topics(self, settings, topics: dict[str, int] | None = None, *,
                      compacted=(), **options) -> None:
        for name, partitions in (topics or {}).items():
            self.created.setdefault(name, {"partitions": partitions,
                                           "compacted": name in set(compacted)})
