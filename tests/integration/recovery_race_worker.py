"""A faust worker that shows whether records reach it before the seek that ends a recovery.

It copies ``VIGIE_TOPIC_RAW`` to ``VIGIE_TOPIC_ENRICHED`` as the group ``RACE_APP_ID`` and
owns a table, so faust recovers before it reads. Its ``perform_seek`` logs how many stream
partitions are active ("active at the seek: N"), waits up to ``RACE_WAIT_S`` for records of
the stream to be read, logs how many were ("read before the seek: N") and seeks. faust's own
order (resume, seek, clear) lets records be read before the seek, which is how a worker that
took over lost or stranded them; with the correction the partitions are paused at the seek and
none can be. ``RACE_FAUST_ORDER=1`` restores faust's order.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import os

from vigie.shared.logs import configure_logging
from vigie.shared.streams import StreamSettings, make_app, prepare_group, run_worker
from vigie.shared.streams.faust_internals import partition_state

log = logging.getLogger("recovery_race_worker")
FRAMES = ("cr_frame", "ag_frame", "gi_frame")


def read_beyond_committed(consumer, topic: str) -> int:
    total = 0
    for tp in consumer.assignment():
        read, committed = consumer._read_offset.get(tp), consumer._committed_offset.get(tp)
        if tp.topic == topic and read is not None:
            total += read + 1 - (committed or 0)
    return total


def what_the_consumer_holds(app, topic: str) -> dict:
    """Why nothing was read: flow flags, each stream partition's state, what the Kafka
    client has fetched and not yet handed over, and whether the fetch loop runs."""
    consumer = app.consumer
    try:
        client = consumer._thread._ensure_consumer()
        prefetched = sorted(str(tp) for tp in client._fetcher._records)
    except Exception as exc:  # noqa: BLE001 - a diagnosis must not stop the worker
        prefetched = [f"unknown: {exc!r}"]
    fetch_loops = [task for task in asyncio.all_tasks()
                   if any("_drain_messages" in frame for frame in awaits(task.get_coro()))]
    return {
        "flow_active": consumer.flow_active,
        "flow_control_active": app.flow_control.is_active(),
        "partitions": {str(tp): partition_state(app, tp) for tp in consumer.assignment()
                       if tp.topic == topic},
        "prefetched": prefetched,
        "fetcher": app._fetcher.state,
        "fetch_loops_awaiting": [awaits(task.get_coro()) for task in fetch_loops],
    }


def awaits(coroutine) -> list[str]:
    """Where a coroutine is suspended: each frame of its chain of awaits."""
    chain = []
    while coroutine is not None:
        frame = next((getattr(coroutine, name) for name in FRAMES
                      if getattr(coroutine, name, None) is not None), None)
        if frame is not None:
            chain.append(f"{frame.f_code.co_filename}:{frame.f_lineno} {frame.f_code.co_name}")
        awaited = next((getattr(coroutine, name) for name in ("cr_await", "ag_await",
                                                              "gi_yieldfrom")
                        if getattr(coroutine, name, None) is not None), None)
        if awaited is not None and not any(hasattr(awaited, name) for name in FRAMES):
            # an ``async for`` step or a future: the generator it drives is among its referents
            awaited = next((ref for ref in gc.get_referents(awaited)
                            if any(hasattr(ref, name) for name in FRAMES)), awaited)
        coroutine = awaited if any(hasattr(awaited, name) for name in FRAMES) else None
        if coroutine is None and awaited is not None:
            chain.append(repr(awaited)[:200])
    return chain


def watch_the_seek(app, topic: str, wait_s: float) -> None:
    from faust.transport.consumer import Consumer

    perform_seek = Consumer.perform_seek

    async def waiting_seek(consumer) -> None:
        active = [tp for tp in consumer.assignment()
                  if tp.topic == topic and partition_state(app, tp)["active"]]
        log.warning("active at the seek: %d", len(active))
        for _ in range(int(wait_s * 20)):
            if read_beyond_committed(consumer, topic) > 0:
                break
            await asyncio.sleep(0.05)
        else:
            log.warning("nothing read in %s s: %s", wait_s, what_the_consumer_holds(app, topic))
        log.warning("read before the seek: %d", read_beyond_committed(consumer, topic))
        await perform_seek(consumer)

    Consumer.perform_seek = waiting_seek


def restore_faust_order() -> None:
    from faust.tables.recovery import Recovery

    for name in ("on_recovery_completed", "_resume_streams"):
        setattr(Recovery, name, getattr(Recovery, name).__wrapped__)


def main() -> int:
    settings = StreamSettings.from_env()
    configure_logging(settings.log_level, settings.log_format)
    app_id = os.environ["RACE_APP_ID"]
    prepare_group(settings, app_id, [settings.topic_raw], {})
    app = make_app(settings, app_id)  # installs the corrections
    if os.environ.get("RACE_FAUST_ORDER") == "1":
        restore_faust_order()
    app.Table("seen", partitions=settings.topic_partitions)
    sink = app.topic(settings.topic_enriched)
    watch_the_seek(app, settings.topic_raw, float(os.environ.get("RACE_WAIT_S", "3")))

    @app.agent(app.topic(settings.topic_raw))
    async def copy(stream):
        async for event in stream.events():
            await sink.send(key=event.key, value=event.value)

    return run_worker(app, settings)


if __name__ == "__main__":
    raise SystemExit(main())
