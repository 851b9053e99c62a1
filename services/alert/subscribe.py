"""``vigie subscribe``: read a topic as JSON lines or readable alerts, with filters.

Without ``--group`` a subscriber reads every partition on its own (everyone sees everything);
with ``--group NAME`` subscribers of the same group share the partitions and resume where the
group stopped. ``--timeout S`` ends the command after S seconds without a new message.

Delivery upstream is at-least-once with deterministic ids, so a record can reach a topic twice
after a crash; the subscriber prints each (id, revision) once (the newest 100,000 remembered).
"""

from __future__ import annotations

import datetime as dt
import json
import sys
import time
from collections.abc import Callable

from vigie.shared.config import ConfigError, KafkaSettings
from vigie.shared.durations import parse_duration
from vigie.shared.filters import Filters
from vigie.shared.kafka import make_consumer
from vigie.shared.timestamps import parse_time


def parse_since(value: str, now: dt.datetime | None = None) -> dt.datetime:
    """``30m``, ``2h``, ``1d`` (ago) or an ISO time such as ``2025-08-22T10:00:00Z``."""
    now = now or dt.datetime.now(dt.timezone.utc)
    seconds = parse_duration(value, bare_seconds=False)
    if seconds is not None:
        return now - dt.timedelta(seconds=seconds)
    try:
        moment = parse_time(value)
    except ValueError:
        raise ConfigError(f"--since {value!r}: expected 30m, 2h, 1d or an ISO time such as"
                          " 2025-08-22T10:00:00Z") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.timezone.utc)


def parse_near(value: str, radius_km: float) -> tuple[float, float, float]:
    """``50.45,30.52`` and a radius → (lat, lon, km)."""
    try:
        lat, lon = (float(part) for part in value.split(","))
    except ValueError:
        raise ConfigError(f"--near {value!r}: expected LAT,LON such as 50.45,30.52") from None
    return lat, lon, radius_km


class SeenIds:
    """The identities already printed: ``id`` plus ``revision`` where there is one (an edited
    article is news, a redelivered one is not), bounded to the newest ``size``."""

    def __init__(self, size: int = 100_000) -> None:
        self.size = size
        self._seen: dict[tuple, None] = {}

    def first_time(self, message: dict) -> bool:
        if "id" not in message:
            return True
        identity = (message["id"], message.get("revision"))
        if identity in self._seen:
            return False
        self._seen[identity] = None
        if len(self._seen) > self.size:
            del self._seen[next(iter(self._seen))]
        return True


def render(message: dict, fmt: str) -> str:
    if fmt == "json":
        return json.dumps(message, ensure_ascii=False)
    if "rule" in message and ("snippet" in message or "reports" in message):
        import msgspec

        from vigie.shared.messages import Alert, Incident

        from .format import human, human_incident

        try:
            if "reports" in message:
                return human_incident(msgspec.convert(message, Incident))
            return human(msgspec.convert(message, Alert))
        except msgspec.ValidationError:
            pass  # alert-like but not our contract: show it as it is
    return json.dumps(message, ensure_ascii=False, indent=2)


def subscribe(settings: KafkaSettings, topic: str, *, from_beginning: bool = False,
              max_messages: int | None = None, timeout: float | None = None,
              group: str | None = None, filters: Filters | None = None, fmt: str = "auto",
              write: Callable[[str], None] | None = None) -> int:
    """Print the topic's messages; returns how many were printed."""
    write = write or (lambda line: print(line, flush=True))
    filters = filters or Filters()
    if fmt == "auto":
        fmt = "human" if sys.stdout.isatty() else "json"
    consumer = _consumer(settings, topic, group, from_beginning)
    seen = SeenIds()
    printed, last_message = 0, time.monotonic()
    try:
        while max_messages is None or printed < max_messages:
            batch = consumer.poll(timeout_ms=500)
            records = [record for records in batch.values() for record in records]
            if records:
                last_message = time.monotonic()
            elif timeout is not None and time.monotonic() - last_message > timeout:
                break
            for record in records:
                message = _decode(record.value)
                if filters.accept(message) and seen.first_time(message):
                    write(render(message, fmt))
                    printed += 1
                    if max_messages is not None and printed >= max_messages:
                        break
    finally:
        consumer.close()
    return printed


def _decode(value: bytes) -> dict:
    try:
        decoded = json.loads(value)
        return decoded if isinstance(decoded, dict) else {"value": decoded}
    except (ValueError, UnicodeDecodeError):
        return {"undecodable": value[:200].decode("utf-8", "replace")}


def _consumer(settings, topic, group, from_beginning):
    reset = "earliest" if from_beginning else "latest"
    if group:
        return make_consumer(settings, topic, group_id=group, auto_offset_reset=reset)
    from kafka import TopicPartition

    consumer = make_consumer(settings, group_id=None, auto_offset_reset=reset,
                             enable_auto_commit=False)
    partitions = _wait_partitions(consumer, topic)
    consumer.assign([TopicPartition(topic, p) for p in partitions])
    if from_beginning:
        consumer.seek_to_beginning()
    else:
        consumer.seek_to_end()
    return consumer


def _wait_partitions(consumer, topic: str, wait: float = 30.0) -> set[int]:
    deadline = time.monotonic() + wait
    while True:
        partitions = consumer.partitions_for_topic(topic)
        if partitions:
            return partitions
        if time.monotonic() > deadline:
            raise SystemExit(f"topic {topic!r} does not exist")
        time.sleep(0.5)
