"""Start offsets of a worker's group and the seek faust makes after table recovery (real broker).

A worker that took over from one that died before its first commit stalled with a backlog:
the records its fetcher read during table recovery were dropped, and the seek back to the
committed offsets skipped the partitions committed at 0 (or not at all). The correction is in
``faust_internals.perform_seek`` (unit-tested); what it relies on is checked here.
"""

from __future__ import annotations

import asyncio

from aiokafka import AIOKafkaConsumer
from aiokafka.structs import TopicPartition as AioTopicPartition
from kafka import KafkaAdminClient
from kafka import TopicPartition as KafkaTopicPartition

from vigie.shared.kafka import client_options, commit_start_offsets

from .faults import committed_offsets, produce


def test_start_offsets_are_committed_once_for_partitions_without_any(kafka_settings):
    topic, group = kafka_settings.topic_raw, "start-offsets"
    assert set(committed_offsets(kafka_settings, group, topic).values()) == {None}
    partitions = len(committed_offsets(kafka_settings, group, topic))

    assert commit_start_offsets(kafka_settings, group, [topic]) == partitions
    assert set(committed_offsets(kafka_settings, group, topic).values()) == {0}
    assert commit_start_offsets(kafka_settings, group, [topic]) == 0


def test_a_start_offset_below_the_earliest_moves_up_to_it(kafka_settings, caplog):
    """Records deleted by retention before the group processed them are lost; the group starts
    at the earliest record left rather than at an offset no read will ever return."""
    topic, group = kafka_settings.topic_raw, "start-retention"
    produce(kafka_settings, topic, [(None, f"record {n}".encode()) for n in range(5)],
            partition=0)
    commit_start_offsets(kafka_settings, group, [topic])
    admin = KafkaAdminClient(**client_options(kafka_settings))
    try:
        admin.delete_records({KafkaTopicPartition(topic, 0): 3})
    finally:
        admin.close()

    assert commit_start_offsets(kafka_settings, group, [topic]) == 1
    assert committed_offsets(kafka_settings, group, topic)[0] == 3
    assert "3 records deleted by retention before the group processed them" in caplog.text


def test_aiokafka_seek_to_committed_still_skips_a_partition_committed_at_zero(kafka_settings):
    """aiokafka #1003, the reason for the correction: when this fails, aiokafka has fixed it."""
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
            return first, await read_all(consumer, tp, 5, tries=4)
        finally:
            await consumer.stop()

    first, again = asyncio.run(read_twice())
    assert first == [0, 1, 2, 3, 4]
    assert again == []  # left where the fetcher had got to


async def read_all(consumer: AIOKafkaConsumer, tp, count: int, tries: int = 20) -> list[int]:
    offsets: list[int] = []
    for _ in range(tries):
        batch = await consumer.getmany(tp, timeout_ms=500)
        offsets += [record.offset for record in batch.get(tp, [])]
        if len(offsets) >= count:
            break
    return offsets


def test_a_workers_table_changelogs_exist_compacted_before_it_joins(kafka_settings):
    """faust would declare them itself, racing the first table write (PartitionsMismatch on a
    changelog whose partitions are not known yet): they are created first."""
    from kafka.admin import ConfigResource, ConfigResourceType

    from vigie.shared.streams.app import CHANGELOG_CONFIGS, changelog_name, prepare_group

    app_id = kafka_settings.topic_raw.removesuffix(".raw") + "-tables"
    prepare_group(kafka_settings, app_id, [kafka_settings.topic_raw], {}, {"seen": 4, "one": 1})
    admin = KafkaAdminClient(**client_options(kafka_settings))
    try:
        described = {t["name"]: len(t["partitions"]) for t in admin.describe_topics(
            [changelog_name(app_id, "seen"), changelog_name(app_id, "one")])}
        configs = admin.describe_configs([ConfigResource(
            ConfigResourceType.TOPIC, changelog_name(app_id, "seen"))], config_filter="all")
    finally:
        admin.close()
    assert described == {changelog_name(app_id, "seen"): 4, changelog_name(app_id, "one"): 1}
    values = {k: v["value"] for k, v in configs["topic"][changelog_name(app_id, "seen")].items()}
    assert values["cleanup.policy"] == "compact"
    assert values["segment.bytes"] == str(CHANGELOG_CONFIGS["segment.bytes"])
