"""A faust worker that leaves one record unacknowledged the first time it sees it, as faust
leaves a record dropped from its queues or still in flight, and acknowledges every other.

It copies ``VIGIE_TOPIC_RAW`` to ``VIGIE_TOPIC_ENRICHED`` as the group ``UNACKED_APP_ID`` and
skips the record keyed ``UNACKED_KEY`` once. Nothing may be committed past that record, so
the stream watch reads it again once nothing else moves. ``UNACKED_FAUST_RULE=1`` restores
faust's own commit rule (faust-streaming #606).
"""

from __future__ import annotations

import logging
import os

from faust.transport.consumer import Consumer
from prometheus_client import CollectorRegistry

from vigie.shared.logs import configure_logging
from vigie.shared.streams import StreamSettings, StreamWatch, make_app, prepare_group, run_worker

log = logging.getLogger("unacked_worker")


def main() -> int:
    settings = StreamSettings.from_env()
    configure_logging(settings.log_level, settings.log_format)
    app_id, skip = os.environ["UNACKED_APP_ID"], os.environ["UNACKED_KEY"].encode()
    prepare_group(settings, app_id, [settings.topic_raw], {})
    app = make_app(settings, app_id)  # installs the corrections
    if os.environ.get("UNACKED_FAUST_RULE") == "1":
        Consumer._new_offset = Consumer._new_offset.__wrapped__
    sink = app.topic(settings.topic_enriched)
    watch = StreamWatch(CollectorRegistry(), "unacked")
    skipped = False

    @app.agent(app.topic(settings.topic_raw))
    async def copy(stream):
        nonlocal skipped
        async for event in stream.noack().events():
            if event.key == skip and not skipped:
                skipped = True
                log.warning("left unacknowledged: offset %d", event.message.offset)
                continue
            with watch.working():
                await sink.send(key=event.key, value=event.value)
            await stream.ack(event)

    @app.timer(1.0)
    async def watch_stream():
        await watch.check(app, settings)

    return run_worker(app, settings)


if __name__ == "__main__":
    raise SystemExit(main())
