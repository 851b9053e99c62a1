"""Agents that no record can stop: what an agent cannot process goes to the dead-letter topic.

Every agent of a worker is made by ``Agents``: whatever its handler raises on a record (bytes
that are not JSON, JSON of the wrong shape, a value too large, a bug that only this record
shows) sends the record's original bytes to the dead-letter topic with the service, topic,
partition, offset, key and error (a value too large for a letter stays where it is, and the
letter says so), counts it in ``vigie_<service>_articles_failed_total{reason}``,
and the stream goes on with the next record. A record that raised is never left to crash the
agent: faust would restart it and read the same record again, for ever.

An agent that still ends with an error (its stream, or a dead letter that could not be sent)
counts in ``vigie_<service>_agent_crashes_total{agent}`` before faust restarts it.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Awaitable, Callable

import faust
from prometheus_client import Counter

from ..kafka import MAX_MESSAGE_BYTES
from ..messages import dead_letter, encode, failure_reason

log = logging.getLogger(__name__)
# The largest value a letter carries: base64 makes it a third longer, and the letter must stay
# under what the producer sends (a letter it refused would stop the agent on that record).
MAX_VALUE_KEPT = (MAX_MESSAGE_BYTES - 64 * 1024) * 3 // 4


def event_origin(event) -> dict:
    """Topic, partition, offset and key of a consumed event, for dead letters and logs."""
    message = event.message
    return {"topic": message.topic, "partition": message.partition, "offset": message.offset,
            "key": message.key}


class Agents:
    """Makes the agents of one worker, all sending what they cannot process to ``dlq``.

    ``failed`` (by ``reason``) counts the dead letters, ``crashes`` (by ``agent``) the agents
    that ended with an error.
    """

    def __init__(self, app: faust.App, dlq: faust.TopicT, service: str, failed: Counter,
                 crashes: Counter) -> None:
        self.app, self.dlq, self.service = app, dlq, service
        self.failed, self.crashes = failed, crashes

    def each(self, channel, *, service: str | None = None):
        """Decorator: an agent that awaits ``handler(event)`` for each event of ``channel``,
        one at a time; an event whose handler raised is dead-lettered (as ``service``, this
        worker's by default)."""

        def register(handler: Callable[[object], Awaitable[None]]):
            async def each_event(stream) -> None:
                async for event in stream.events():
                    async with self.guard(event, service=service):
                        await handler(event)

            return self.stream(channel, name=handler.__name__)(each_event)

        return register

    def stream(self, channel, *, name: str | None = None):
        """Decorator: an agent given its whole stream (to take batches), whose records go
        through ``guard`` where they can fail."""

        def register(function: Callable[[object], Awaitable[None]]):
            label = name or function.__name__
            self.crashes.labels(label)  # a zero series: the first crash is an increase

            async def agent(stream) -> None:
                try:
                    await function(stream)
                except Exception:
                    self.crashes.labels(label).inc()
                    log.exception("agent %s crashed; faust restarts it", label)
                    raise

            agent.__doc__ = function.__doc__
            return self.app.agent(channel, name=f"{self.service}.{label}")(agent)

        return register

    @contextlib.asynccontextmanager
    async def guard(self, event, *, service: str | None = None):
        """Around the work on one event: what it raises dead-letters the event, and the
        block ends there (cancellation passes through)."""
        try:
            yield
        except Exception as exc:  # noqa: BLE001 - dead-letter it, never stop the stream
            await self.reject(event, exc, service=service)

    async def reject(self, event, error: BaseException, *, service: str | None = None) -> None:
        """Send ``event`` to the dead-letter topic, with why, and count it."""
        origin = event_origin(event)
        letter = dead_letter(service=service or self.service, value=event.message.value,
                             error=error, max_value_bytes=MAX_VALUE_KEPT, **origin)
        log.warning("dead-lettered: %s", letter.error, extra={k: v for k, v in origin.items()
                                                              if k != "key"})
        key = origin["key"] if isinstance(origin["key"], bytes) else None
        await self.dlq.send(key=key, value=encode(letter))
        self.failed.labels(failure_reason(error)).inc()
