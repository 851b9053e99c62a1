"""A faust worker that copies ``VIGIE_TOPIC_RAW`` to ``VIGIE_TOPIC_ENRICHED`` as the group
``COPY_APP_ID``, with a stream watch, and leaves records unprocessed on purpose, the way
faust was seen to:

* ``COPY_SKIP_KEY=K``: the record keyed K is left unacknowledged the first time it is seen,
  as a record dropped from faust's queues, or still in flight, is;
* ``COPY_STRAND_AFTER=N``: after N records it moves its fetch position to the end of its
  partitions and leaves every record it sees after that unacknowledged the first time (the
  queued records faust dropped): the worker is stranded, records waiting behind its fetch
  position, its queues empty, no error.

Nothing may be committed past a record left unacknowledged; the stream watch reads them again
once nothing moves for ``VIGIE_FAUST_READ_STALL_S``. ``COPY_FAUST_RULE=1`` restores faust's own
commit rule (faust-streaming #606). Run as ``python -m tests.integration.copy_worker``.
"""

from __future__ import annotations

import logging
import os

from aiokafka.structs import TopicPartition
from faust.transport.consumer import Consumer
from prometheus_client import CollectorRegistry

from vigie.shared.logs import configure_logging
from vigie.shared.streams import StreamSettings, StreamWatch, make_app, prepare_group, run_worker

log = logging.getLogger("copy_worker")


async def strand(app, topic: str) -> None:
    """Move the Kafka client's fetch position to the end of ``topic``'s partitions."""
    consumer = app.consumer
    partitions = [TopicPartition(tp.topic, tp.partition) for tp in consumer.assignment()
                  if tp.topic == topic]
    client = consumer._thread._ensure_consumer()
    await consumer._thread.call_thread(client.seek_to_end, *partitions)
    log.warning("stranded: fetch position at the end, records seen from now on left"
                " unacknowledged once")


def main() -> int:
    settings = StreamSettings.from_env()
    configure_logging(settings.log_level, settings.log_format)
    app_id = os.environ["COPY_APP_ID"]
    skip_key = os.environ.get("COPY_SKIP_KEY", "").encode() or None
    strand_after = int(os.environ.get("COPY_STRAND_AFTER", "0"))
    prepare_group(settings, app_id, [settings.topic_raw], {})
    app = make_app(settings, app_id)  # installs the corrections
    if os.environ.get("COPY_FAUST_RULE") == "1":
        Consumer._new_offset = Consumer._new_offset.__wrapped__
    sink = app.topic(settings.topic_enriched)
    watch = StreamWatch(CollectorRegistry(), "copy")
    left: set = set()  # (partition, offset) of the records left unacknowledged
    copied, stranded = 0, False

    def leave_once(event) -> bool:
        """Leave the event unacknowledged if it is to be, the first time only."""
        place = (event.message.partition, event.message.offset)
        if place in left or not (stranded or event.key == skip_key):
            return False
        left.add(place)
        log.warning("left unacknowledged: offset %d", event.message.offset)
        return True

    @app.agent(app.topic(settings.topic_raw))
    async def copy(stream):
        nonlocal copied, stranded
        async for event in stream.noack().events():
            if leave_once(event):
                continue
            with watch.working():
                await sink.send(key=event.key, value=event.value)
            await stream.ack(event)
            copied += 1
            if copied == strand_after:
                stranded = True
                await strand(app, settings.topic_raw)

    @app.timer(1.0)
    async def watch_stream():
        await watch.check(app, settings)

    return run_worker(app, settings)


if __name__ == "__main__":
    raise SystemExit(main())
