"""A faust worker that strands itself: after its first records it moves its fetch position to
the end of its partitions and drops what it had queued, leaving records it never delivered
behind the position. That is the state a worker that took over partitions was found in when
it stopped reading for good; the stream watch must get it reading again.

It copies ``VIGIE_TOPIC_RAW`` to ``VIGIE_TOPIC_ENRICHED`` as the group ``STRANDED_APP_ID``,
and strands itself after ``STRANDED_AFTER`` records (``python -m tests.integration.stranded_worker``).
"""

from __future__ import annotations

import logging
import os

from aiokafka.structs import TopicPartition
from prometheus_client import CollectorRegistry

from vigie.shared.logs import configure_logging
from vigie.shared.streams import StreamSettings, StreamWatch, make_app, prepare_group, run_worker

log = logging.getLogger("stranded_worker")


async def strand(app, topic: str) -> None:
    consumer = app.consumer
    partitions = [TopicPartition(tp.topic, tp.partition) for tp in consumer.assignment()
                  if tp.topic == topic]
    client = consumer._thread._ensure_consumer()
    await consumer._thread.call_thread(client.seek_to_end, *partitions)
    app.flow_control.clear()  # what faust does to the records it read during a recovery
    log.warning("stranded: fetch position at the end, queued records dropped")


def main() -> int:
    settings = StreamSettings.from_env()
    configure_logging(settings.log_level, settings.log_format)
    app_id, after = os.environ["STRANDED_APP_ID"], int(os.environ["STRANDED_AFTER"])
    prepare_group(settings, app_id, [settings.topic_raw], {})
    app = make_app(settings, app_id)
    sink = app.topic(settings.topic_enriched)
    watch = StreamWatch(CollectorRegistry(), "stranded")
    copied = 0

    @app.agent(app.topic(settings.topic_raw))
    async def copy(stream):
        nonlocal copied
        async for event in stream.events():
            with watch.working():
                await sink.send(key=event.key, value=event.value)
            copied += 1
            if copied == after:
                await strand(app, settings.topic_raw)

    @app.timer(1.0)
    async def watch_stream():
        await watch.check(app, settings)

    return run_worker(app, settings)


if __name__ == "__main__":
    raise SystemExit(main())
