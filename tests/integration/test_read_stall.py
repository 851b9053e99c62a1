"""A worker stranded past records it never delivered reads again (real broker, real faust).

Workers that took over partitions were seen to stop reading for good, with records waiting,
their queues empty and no error. ``copy_worker`` puts a real faust worker in that state on
purpose, every time: after its first records it moves its fetch position to the end and
leaves unacknowledged the records it had already fetched. The stream watch must notice and
seek back to the committed offsets.
"""

from __future__ import annotations

import time

import pytest

from .faults import collect, has_keys, produce, stop_process, topic_size, wait_until
from .helpers import start_module

pytestmark = [pytest.mark.integration, pytest.mark.fault]
RECORDS = 200
STRAND_AFTER = 20


def start_stranded(settings, tmp_path, stall_s: str):
    env = {"COPY_APP_ID": settings.topic_raw.removesuffix(".raw") + "-stranded",
           "COPY_STRAND_AFTER": str(STRAND_AFTER), "VIGIE_FAUST_READ_STALL_S": stall_s,
           "VIGIE_FAUST_SESSION_TIMEOUT_S": "6", "VIGIE_FAUST_DATA_DIR": str(tmp_path / "faust")}
    log = tmp_path / f"stranded-{stall_s}.log"
    return start_module(settings, "tests.integration.copy_worker", log_path=log, **env), log


def test_a_stranded_worker_seeks_back_and_copies_every_record(kafka_settings, tmp_path):
    settings = kafka_settings
    produce(settings, settings.topic_raw, [(f"k{n}".encode(), b"v") for n in range(RECORDS)])
    worker, log = start_stranded(settings, tmp_path, stall_s="3")
    try:
        collect(settings, settings.topic_enriched,
                has_keys({f"k{n}".encode() for n in range(RECORDS)}), timeout=120)
    finally:
        stop_process(worker)
    text = log.read_text()
    assert "stranded: fetch position at the end" in text
    assert "seeking back to the committed offsets" in text


def test_without_the_watch_a_stranded_worker_stays_stranded(kafka_settings, tmp_path):
    """The control: the stranding is real, and nothing but the watch undoes it. Once stranded
    the worker copies nothing more, so the output holds exactly the records copied before."""
    settings = kafka_settings
    produce(settings, settings.topic_raw, [(f"k{n}".encode(), b"v") for n in range(RECORDS)])
    worker, log = start_stranded(settings, tmp_path, stall_s="3600")
    try:
        wait_until(lambda: "stranded: fetch position" in log.read_text(), 120, "the stranding")
        time.sleep(10)  # what the watch would have undone within 3 s plus a check
        assert topic_size(settings, settings.topic_enriched) == STRAND_AFTER
    finally:
        stop_process(worker)
