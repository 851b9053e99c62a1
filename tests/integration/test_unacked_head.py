"""A record left unacknowledged at the head of a partition is never committed past, so the
stream watch reads it again (faust-streaming #606; real broker, real faust).

faust committed the acknowledged records after it as soon as the committed offset reached it:
one record of 200 was lost that way in a full run of the suite (``test_read_stall``), where
faust had dropped it from its queues while the next one was processed. ``copy_worker`` leaves
it unacknowledged on purpose, every time.
"""

from __future__ import annotations

import pytest

from .faults import collect, committed_offsets, has_keys, produce, stop_process, wait_until
from .helpers import start_module

pytestmark = [pytest.mark.integration, pytest.mark.fault]
PER_PARTITION = 25
SKIPPED = "p0-2"  # the records before it are committed first, those after it acknowledged


def produce_keys(settings) -> set[bytes]:
    keys = set()
    for partition in range(settings.topic_partitions):
        batch = [(f"p{partition}-{n}".encode(), b"v") for n in range(PER_PARTITION)]
        produce(settings, settings.topic_raw, batch, partition=partition)
        keys |= {key for key, _ in batch}
    return keys


def start_worker(settings, tmp_path, **env: str):
    group = settings.topic_raw.removesuffix(".raw") + "-unacked"
    log = tmp_path / "unacked.log"
    worker = start_module(settings, "tests.integration.copy_worker", log_path=log,
                          COPY_APP_ID=group, COPY_SKIP_KEY=SKIPPED,
                          VIGIE_FAUST_READ_STALL_S="3", VIGIE_FAUST_SESSION_TIMEOUT_S="6",
                          VIGIE_FAUST_DATA_DIR=str(tmp_path / "faust"), **env)
    return worker, log, group


def test_a_record_left_unacknowledged_is_read_again(kafka_settings, tmp_path):
    settings = kafka_settings
    keys = produce_keys(settings)
    worker, log, group = start_worker(settings, tmp_path)
    try:
        collect(settings, settings.topic_enriched, has_keys(keys), timeout=120)
        wait_until(lambda: committed_offsets(settings, group, settings.topic_raw)[0]
                   == PER_PARTITION, 60, "the commit of partition 0")
    finally:
        stop_process(worker)
    text = log.read_text()
    assert "left unacknowledged: offset 2" in text
    assert "seeking back to the committed offsets" in text


def test_with_faust_rule_the_record_is_committed_past_and_lost(kafka_settings, tmp_path):
    """The control: once partition 0 is committed to its end, nothing waits there, so nothing
    will ever read the skipped record again."""
    settings = kafka_settings
    keys = produce_keys(settings)
    worker, log, group = start_worker(settings, tmp_path, COPY_FAUST_RULE="1")
    try:
        wait_until(lambda: committed_offsets(settings, group, settings.topic_raw)[0]
                   == PER_PARTITION, 120, "the commit of partition 0")
        records = collect(settings, settings.topic_enriched,
                          has_keys(keys - {SKIPPED.encode()}), timeout=60)
    finally:
        stop_process(worker)
    assert "left unacknowledged: offset 2" in log.read_text()
    assert SKIPPED.encode() not in {r.key for r in records}
