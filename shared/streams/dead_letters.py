"""Dead-lettering a consumed event: what an agent cannot process goes to the dead-letter topic
with its original bytes (an agent that raised would still ack the event, so errors are caught
and dead-lettered, never raised)."""

from __future__ import annotations

import logging

import faust

from ..messages import dead_letter, encode

log = logging.getLogger(__name__)


def event_origin(event) -> dict:
    """Topic, partition, offset and key of a consumed event, for dead letters and logs."""
    message = event.message
    return {"topic": message.topic, "partition": message.partition, "offset": message.offset,
            "key": message.key}


async def send_dead_letter(topic: faust.TopicT, service: str, event, error: BaseException,
                           ) -> None:
    origin = event_origin(event)
    letter = dead_letter(service=service, value=event.message.value, error=error, **origin)
    log.warning("dead-lettered: %s", letter.error, extra={k: v for k, v in origin.items()
                                                          if k != "key"})
    key = origin["key"] if isinstance(origin["key"], bytes) else None
    await topic.send(key=key, value=encode(letter))
