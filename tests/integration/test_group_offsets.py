"""Start offsets of a worker's group and the seek faust makes after table recovery (real broker).

A worker that took over from one that died before its first commit stalled with a backlog:
the records its fetcher read during table recovery were dropped, and the seek back to the
committed offsets skipped the partitions committed at 0 (or not at all).
"""

from __future__ import annotations

import asyncio

from aiokafka import AIOKafkaConsumer
from aiokafka.structs import TopicPartition as AioTopicPartition
from kafka import TopicPartition

from vigie.shared.kafka import commit_start_offsets, make_consumer
from vigie.shared.streams import StreamSettings  # noqa: F401 - installs the seek of offset 0

from .faults import produce


def committed(settings, group: str, topic: str) -> dict[int, int | None]:
    consumer = make_consumer(settings, group_id=group, enable_auto_commit=False)
    try:
        return {partition: consumer.committed(TopicPartition(topic, partition))
                for partition in consumer.partitions_for_topic(topic)}
    finally:
        consumer.close()


def test_start_offsets_are_committed_once_for_partitions_without_any(kafka_settings):
    topic, group = kafka_settings.topic_raw, "start-offsets"
    assert set(committed(kafka_settings, group, topic).values()) == {None}
    partitions = len(committed(kafka_settings, group, topic))

    assert commit_start_offsets(kafka_settings, group, [topic]) == partitions
    assert set(committed(kafka_settings, group, topic).values()) == {0}
    assert commit_start_offsets(kafka_settings, group, [topic]) == 0


def test_seek_to_committed_rewinds_a_partition_committed_at_zero(kafka_settings):
    topic, group = kafka_settings.topic_raw, "seek-zero"
    produce(kafka_settings, topic, [(None, f"record {n}".encode()) for n in range(5)],
            partition=0)
    commit_start_offsets(kafka_settings, group, [topic])

    async def read_twice() -> tuple[list[int], list[int]]:
        consumer = AIOKafkaConsumer(bootstrap_servers=kafka_settings.kafka_bootstrap,
                                    group_id=group, enable_auto_commit=False,
                                    auto_offset_reset="earliest")
        tp = AioTopicPartition(topic, 0)
        await consumer.start()
        try:
            consumer.assign([tp])
            first = await read_all(consumer, tp, 5)
            await consumer.seek_to_committed()  # what faust does once recovery is over
            return first, await read_all(consumer, tp, 5)
        finally:
            await consumer.stop()

    first, again = asyncio.run(read_twice())
    assert first == again == [0, 1, 2, 3, 4]


async def read_all(consumer: AIOKafkaConsumer, tp, count: int) -> list[int]:
    offsets: list[int] = []
    for _ in range(20):
        batch = await consumer.getmany(tp, timeout_ms=500)
        offsets += [record.offset for record in batch.get(tp, [])]
        if len(offsets) >= count:
            break
    return offsets
