"""The corrections of faust's offset handling, and what they rely on in faust, aiokafka and
mode. A test named ``..._faust_...`` describes faust's own behaviour, the reason for a
correction: it fails when an upgrade fixes the bug (drop the correction) or changes what the
correction relies on (rework it). The rest check the corrected behaviour."""

from __future__ import annotations

import asyncio
import signal
import subprocess
import sys
from collections import defaultdict
from types import SimpleNamespace
from unittest.mock import AsyncMock, MagicMock

import mode
import pytest
from aiokafka.consumer.fetcher import Fetcher, FetchResult
from faust.tables.recovery import Recovery
from faust.transport.consumer import Consumer
from faust.transport.drivers.aiokafka import AIOKafkaConsumerThread
from faust.types import TP
from intervaltree import IntervalTree

from vigie.shared.config import ConfigError
from vigie.shared.streams import StreamSettings, faust_internals, make_app

RAW0, RAW1, RAW2 = TP("raw", 0), TP("raw", 1), TP("raw", 2)
ORIGINAL, CORRECTED = faust_internals.ORIGINALS, faust_internals.corrected()


def offsets(committed: int | None, acked: list[int], gap: tuple[int, int] | None = None):
    """A consumer's offset bookkeeping for RAW0, as faust keeps it."""
    state = SimpleNamespace(_committed_offset=defaultdict(lambda: None), _acked=defaultdict(list),
                            _acked_index=defaultdict(set), _gap=defaultdict(IntervalTree))
    state._committed_offset[RAW0] = committed
    state._acked[RAW0] = list(acked)
    state._acked_index[RAW0] = set(acked)
    if gap:
        state._gap[RAW0].addi(*gap)
    return state


# --- faust-streaming #606: never commit past an unacknowledged head ---------------------------

def new_offset(which, state):
    return which[Consumer, "_new_offset"](state, RAW0)


def test_faust_commits_past_a_single_unacked_record_at_the_head():
    assert new_offset(ORIGINAL, offsets(2585, [2586, 2587, 2588, 2589])) == 2590  # 2585 lost
    assert new_offset(ORIGINAL, offsets(0, [1, 2, 3])) == 4  # committed 0 is not checked


def test_a_run_is_committed_only_from_the_committed_offset():
    assert new_offset(CORRECTED, offsets(2585, [2586, 2587, 2588, 2589])) is None
    assert new_offset(CORRECTED, offsets(0, [1, 2, 3])) is None
    assert new_offset(CORRECTED, offsets(2585, [2585, 2586, 2588])) == 2587
    assert new_offset(CORRECTED, offsets(0, [0, 1, 2])) == 3


def read(state, offsets: list[int], acked: list[int]) -> None:
    """Records read by faust's fetch loop after a seek to the committed offset (the read
    offset as ``perform_seek`` leaves it), with its rule for holes, then acknowledged."""
    state._read_offset = state._committed_offset[RAW0] - 1
    for offset in offsets:
        last = state._read_offset
        if offset - (last or 0) > 1 and last:  # as in Consumer._drain_messages
            asyncio.run(Consumer._add_gap(state, RAW0, last + 1, offset))
        state._read_offset = offset
    state._acked[RAW0] += acked
    state._acked_index[RAW0] |= set(acked)


def commit_all(state) -> int:
    """Commit as faust's commit loop does, until nothing more is committable."""
    while (offset := new_offset(CORRECTED, state)) is not None:
        state._committed_offset[RAW0] = offset
    return state._committed_offset[RAW0]


def test_a_head_the_first_read_jumped_over_is_committed_over():
    """Records from the committed offset on were deleted by retention: the first read is
    past it, faust records a hole, and the run after it is committed."""
    for committed, first in ((10, 11), (10, 15), (0, 5), (0, 1)):
        state = offsets(committed, [])
        read(state, [first, first + 1], acked=[first, first + 1])
        assert commit_all(state) == first + 2


def test_a_head_read_but_not_acked_holds_the_commit_whatever_follows():
    for committed in (10, 0):
        state = offsets(committed, [])
        read(state, [committed, committed + 1, committed + 2], acked=[committed + 1,
                                                                      committed + 2])
        assert commit_all(state) == committed


def test_nothing_acked_nothing_committed():
    assert new_offset(CORRECTED, offsets(7, [])) is None


# --- aiokafka #1003 and faust's 0 as None: a partition committed at 0 -------------------------

class SeekingConsumer:
    """What perform_seek uses of a consumer: the committed offsets, and seeks."""

    def __init__(self, committed: dict) -> None:
        self.committed, self.seeks = committed, []
        self._read_offset = defaultdict(lambda: None)
        self._committed_offset = defaultdict(lambda: None)

    async def seek_to_committed(self) -> dict:
        return self.committed

    async def seek(self, tp, offset) -> None:  # faust's own: runs aiokafka on the event loop
        self.seeks.append(("seek", tp, offset))

    async def seek_wait(self, partitions: dict) -> None:  # on the consumer's thread
        self.seeks += [("seek_wait", tp, offset) for tp, offset in partitions.items()]


def test_faust_forgets_a_committed_offset_of_zero():
    consumer = SeekingConsumer({RAW0: 0, RAW1: 7})
    asyncio.run(ORIGINAL[Consumer, "perform_seek"](consumer))
    assert consumer._committed_offset[RAW0] is None and consumer._committed_offset[RAW1] == 7
    assert consumer.seeks == []  # it relies on aiokafka's seek, which skips 0
    assert consumer._read_offset[RAW1] == 7  # the next to read, taken for the last one read


def test_a_partition_committed_at_zero_is_sought_there_and_remembered():
    consumer = SeekingConsumer({RAW0: 0, RAW1: 7, RAW2: None})
    asyncio.run(CORRECTED[Consumer, "perform_seek"](consumer))
    assert consumer.seeks == [("seek_wait", RAW0, 0)]
    assert dict(consumer._committed_offset) == {RAW0: 0, RAW1: 7}
    assert consumer._read_offset[RAW0] == -1 and consumer._read_offset[RAW1] == 6


# --- faust-streaming #596: the end of a recovery resumes the streams before the seek ------------

class RecoveringConsumer:
    """The consumer at the end of a recovery: records the order of resume and seek."""

    def __init__(self) -> None:
        self.calls: list[str] = []

    def assignment(self) -> set:
        return {RAW0, RAW1}

    def resume_partitions(self, partitions) -> None:
        self.calls.append(f"resume {len(set(partitions))}")

    async def perform_seek(self) -> None:
        self.calls.append("seek")

    def resume_flow(self) -> None:
        self.calls.append("flow")


def end_of_recovery(method_name: str, which) -> list[str]:
    """Run faust's end of recovery (or its correction) on a recovery whose app has two stream
    partitions; returns what it asked the consumer, in order."""
    consumer = RecoveringConsumer()
    app = MagicMock(consumer=consumer, consumer_generation_id=0)
    app.on_rebalance_complete.send = AsyncMock()
    app._fetcher.maybe_start = AsyncMock()
    recovery = MagicMock(app=app)
    recovery.tables.values.return_value = []
    recovery._is_changelog_tp.return_value = False

    async def wait(coro, timeout=None):
        return await coro

    recovery._wait = wait
    asyncio.run(which[Recovery, method_name](recovery, 0))
    return consumer.calls


@pytest.mark.parametrize("method_name", ["on_recovery_completed", "_resume_streams"])
def test_faust_resumes_the_streams_through_the_consumer_before_the_seek(method_name):
    calls = end_of_recovery(method_name, ORIGINAL)
    assert calls.index("resume 2") < calls.index("seek")


@pytest.mark.parametrize("method_name", ["on_recovery_completed", "_resume_streams"])
def test_the_streams_are_resumed_only_after_the_seek(method_name):
    calls = end_of_recovery(method_name, CORRECTED)
    assert calls.index("seek") < calls.index("resume 2")
    assert calls.count("resume 2") == 1


# --- robinhood/faust #69: the fetch reads faust's live set of active partitions ---------------

class Records:
    """What aiokafka's FetchResult iterates: records with the next offset to fetch."""

    def __init__(self, offsets: list[int]) -> None:
        self.offsets, self.next_fetch_offset = iter(offsets), offsets[0]

    def __iter__(self):
        return self

    def __next__(self) -> int:
        offset = next(self.offsets)
        self.next_fetch_offset = offset + 1
        return offset


def prefetched(*tps) -> SimpleNamespace:
    """aiokafka's fetcher holding two records of each of ``tps``, none paused in aiokafka
    (faust pauses in its own bookkeeping only)."""
    state = SimpleNamespace(paused=False, position=0, consumed_to=lambda offset: None)
    assignment = SimpleNamespace(active=True, state_value=lambda tp: state)
    records = {tp: FetchResult(tp, assignment=assignment, partition_records=Records([0, 1]),
                               backoff=0) for tp in tps}
    return SimpleNamespace(_records=records, _notify=lambda future: None,
                           _wait_consume_future=None, _subscriptions=SimpleNamespace(
                               reassignment_in_progress=False, is_assigned=lambda tp: True))


def test_aiokafka_takes_an_empty_set_of_partitions_for_every_partition():
    fetched = asyncio.run(Fetcher.fetched_records(prefetched(RAW0, RAW1), set()))
    assert set(fetched) == {RAW0, RAW1}
    fetched = asyncio.run(Fetcher.fetched_records(prefetched(RAW0, RAW1), {RAW0}))
    assert set(fetched) == {RAW0}


class ConsumerThread:
    """What the driver's getmany uses: the Kafka client, and the hand-over to its thread."""

    def __init__(self) -> None:
        self.handed: list = []

    def _ensure_consumer(self):
        return SimpleNamespace(_max_poll_records=None)

    async def _fetch_records(self, *args, **kwargs):  # runs on the thread: never here
        raise AssertionError("the hand-over is what is under test")

    async def call_thread(self, method, consumer, active_partitions, **kwargs):
        self.handed.append(active_partitions)
        return {"fetched": True}


def test_faust_hands_its_live_set_of_active_partitions_to_the_fetch():
    thread, active = ConsumerThread(), {RAW0}
    asyncio.run(ORIGINAL[AIOKafkaConsumerThread, "getmany"](thread, active, 1.0))
    assert thread.handed[0] is active  # a pause during the fetch empties the set it reads


def test_the_fetch_gets_a_copy_and_an_empty_one_fetches_nothing():
    thread, active = ConsumerThread(), {RAW0}
    getmany = CORRECTED[AIOKafkaConsumerThread, "getmany"]
    assert asyncio.run(getmany(thread, active, 1.0)) == {"fetched": True}
    active.clear()  # faust pauses the last active partition while the fetch runs
    assert thread.handed == [frozenset({RAW0})]
    assert asyncio.run(getmany(thread, set(), 1.0)) == {} and len(thread.handed) == 1
    assert asyncio.run(getmany(thread, None, 1.0)) == {"fetched": True}  # client-only app


# --- mode: the signal handlers StopAtOnce overrides ---------------------------------------------

def test_mode_makes_the_handlers_stop_at_once_overrides_the_signal_handlers():
    worker = MagicMock()
    mode.Worker.install_signal_handlers(worker)
    worker._install_signal_handlers_unix.assert_called_once()
    mode.Worker._install_signal_handlers_unix(worker)
    handlers = {call.args[0]: call.args[1] for call in worker.loop.add_signal_handler.mock_calls}
    assert handlers[signal.SIGTERM] is worker._on_sigterm
    assert handlers[signal.SIGINT] is worker._on_sigint


# --- applied explicitly, on tested versions only --------------------------------------------------

def test_importing_every_module_patches_nothing():
    script = (
        "import importlib, pkgutil, vigie\n"
        "for m in pkgutil.walk_packages(vigie.__path__, 'vigie.'):\n"
        "    importlib.import_module(m.name)\n"
        "from vigie.shared.streams import faust_internals as fi\n"
        "changed = [n for (o, n), f in fi.ORIGINALS.items() if getattr(o, n) is not f]\n"
        "print('changed:', changed)\n"
    )
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                         timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "changed: []"


def test_creating_an_app_applies_every_correction(tmp_path):
    make_app(StreamSettings.from_env({}, faust_data_dir=str(tmp_path)), "vigie-test-apply")
    assert faust_internals.is_applied()
    for (owner, name), original in ORIGINAL.items():
        assert getattr(owner, name).__wrapped__ is original


def test_the_pinned_versions_are_the_tested_ones():
    assert faust_internals.untested_versions() == {}
    faust_internals.check_versions(allow_untested=False)


def test_a_worker_refuses_untested_versions_unless_allowed(monkeypatch, tmp_path, caplog):
    monkeypatch.setattr(faust_internals.importlib.metadata, "version", lambda name: "9.9.9")
    settings = StreamSettings.from_env({}, faust_data_dir=str(tmp_path))
    with pytest.raises(ConfigError, match="faust-streaming 9.9.9 .tested: 0.15.3.*"
                                          "VIGIE_FAUST_ALLOW_UNTESTED=1"):
        make_app(settings, "vigie-test-versions")
    allowed = StreamSettings.from_env({"VIGIE_FAUST_ALLOW_UNTESTED": "1"},
                                      faust_data_dir=str(tmp_path))
    make_app(allowed, "vigie-test-versions")
    assert "untested stream library versions" in caplog.text


def test_a_worker_refuses_an_unknown_table_store(tmp_path):
    settings = StreamSettings.from_env({"VIGIE_FAUST_TABLE_STORE": "redis://"},
                                       faust_data_dir=str(tmp_path))
    with pytest.raises(ConfigError, match="VIGIE_FAUST_TABLE_STORE must be one of memory://"):
        make_app(settings, "vigie-test-store")
