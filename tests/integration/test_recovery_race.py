"""faust's end of recovery on a real broker: nothing is read before the seek back to the
committed offsets, so nothing read can be dropped or counted as a gap.

At the end of a recovery faust resumed the stream partitions, sought them back to their
committed offsets, then cleared its queues. A worker that took over a backlog (the SIGKILL
fault test) committed past 17 articles per partition it never processed, or stranded them.
``recovery_race_worker`` reports whether the stream partitions are active at the seek and
gives the race time to happen: its seek waits for records to be read.
"""

from __future__ import annotations

import re

import pytest

from vigie.shared.kafka import ensure_topics

from .faults import collect, has_keys, produce, stop_process, wait_until
from .helpers import start_module

pytestmark = [pytest.mark.integration, pytest.mark.fault]
RECORDS = 200


def start_race_worker(settings, tmp_path, **env: str):
    """The worker on a backlog of ``RECORDS``, with a table to recover first (its changelog
    holds a record per partition, so faust's fetcher runs before the seek)."""
    app_id = settings.topic_raw.removesuffix(".raw") + "-race"
    changelog = f"{app_id}-seen-changelog"
    ensure_topics(settings, {changelog: settings.topic_partitions}, compacted=[changelog])
    for partition in range(settings.topic_partitions):
        produce(settings, changelog, [(f'"t{partition}"'.encode(), b"1")], partition=partition)
    produce(settings, settings.topic_raw, [(f"k{n}".encode(), b"v") for n in range(RECORDS)])
    log = tmp_path / "race.log"
    worker = start_module(settings, "tests.integration.recovery_race_worker", log_path=log,
                          RACE_APP_ID=app_id, VIGIE_FAUST_DATA_DIR=str(tmp_path / "faust"),
                          VIGIE_LOG_LEVEL="DEBUG", **env)
    return worker, log


def logged(log, what: str) -> list[int]:
    """The numbers the worker logged as ``what: N``."""
    return [int(n) for n in re.findall(what + r": (\d+)", log.read_text())]


def read_before_seeks(log) -> list[int]:
    return logged(log, "read before the seek")


def test_nothing_is_read_before_the_seek_and_every_record_is_copied(kafka_settings, tmp_path):
    settings = kafka_settings
    worker, log = start_race_worker(settings, tmp_path)
    try:
        collect(settings, settings.topic_enriched,
                has_keys({f"k{n}".encode() for n in range(RECORDS)}), timeout=120)
    finally:
        stop_process(worker)
    assert "Restoring state from changelog topics" in log.read_text()  # the fetcher ran
    assert logged(log, "active at the seek") and max(logged(log, "active at the seek")) == 0
    assert read_before_seeks(log) and max(read_before_seeks(log)) == 0


def test_in_faust_order_records_are_read_before_the_seek(kafka_settings, tmp_path):
    """The control: in faust's own order the stream partitions are active at the seek, so the
    seek, which here waits for a record to be read (as long as it takes), always finds one.
    What follows varies (records copied twice, dropped, or committed unprocessed), so only the
    opening of the race is asserted."""
    worker, log = start_race_worker(kafka_settings, tmp_path, RACE_FAUST_ORDER="1",
                                    RACE_WAIT_S="120")
    try:
        wait_until(lambda: read_before_seeks(log), 150, "the seek")
    finally:
        stop_process(worker)
    assert logged(log, "active at the seek")[0] > 0  # the first seek: the end of recovery
    assert read_before_seeks(log)[0] > 0, diagnosis(log)


def diagnosis(log) -> str:
    """What the worker logged of its consumer when its wait for a record expired."""
    return "\n".join(line for line in log.read_text().splitlines() if "nothing read in" in line)
