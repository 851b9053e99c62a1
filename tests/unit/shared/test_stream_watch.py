"""The stream watch's verdicts: a worker is stalled only when records wait, it is idle and
nothing has moved for the whole limit (the seek back itself is tested on a real worker in
tests/integration/test_read_stall.py); a partition is stalled when records wait beyond a
committed offset that has not moved for its limit, whatever the worker does."""

from __future__ import annotations

from types import SimpleNamespace

from faust.types import TP
from prometheus_client import CollectorRegistry

from vigie.shared.streams.watch import Progress, Standstill, StreamWatch

OFFSETS = ((("raw", 0), 41),)
LIMIT = 30.0


def test_stalled_once_nothing_moved_for_the_limit_with_records_waiting():
    progress = Progress()
    assert not progress.stalled(0.0, OFFSETS, waiting=True, limit=LIMIT)
    assert not progress.stalled(29.0, OFFSETS, waiting=True, limit=LIMIT)
    assert progress.stalled(30.0, OFFSETS, waiting=True, limit=LIMIT)


def test_a_verdict_restarts_the_clock():
    progress = Progress()
    progress.stalled(0.0, OFFSETS, waiting=True, limit=LIMIT)
    assert progress.stalled(30.0, OFFSETS, waiting=True, limit=LIMIT)
    assert not progress.stalled(45.0, OFFSETS, waiting=True, limit=LIMIT)
    assert progress.stalled(60.0, OFFSETS, waiting=True, limit=LIMIT)


def test_moving_offsets_mean_progress():
    progress = Progress()
    progress.stalled(0.0, OFFSETS, waiting=True, limit=LIMIT)
    assert not progress.stalled(40.0, ((("raw", 0), 42),), waiting=True, limit=LIMIT)
    assert not progress.stalled(60.0, ((("raw", 0), 42),), waiting=True, limit=LIMIT)
    assert progress.stalled(70.0, ((("raw", 0), 42),), waiting=True, limit=LIMIT)


def test_nothing_waiting_or_a_busy_worker_is_never_stalled():
    progress = Progress()
    assert not any(progress.stalled(t, OFFSETS, waiting=False, limit=LIMIT)
                   for t in (0.0, 100.0, 1000.0))
    progress.stalled(1000.0, OFFSETS, waiting=True, limit=LIMIT)
    assert not progress.stalled(1020.0, OFFSETS, waiting=False, limit=LIMIT)
    # the clock started again
    assert not progress.stalled(1040.0, OFFSETS, waiting=True, limit=LIMIT)


# --- stalled partitions, and the lag of partitions the worker owns ------------------------------

def test_a_partition_stands_still_while_its_committed_offset_does_not_move():
    standstill = Standstill()
    assert standstill.update(0.0, {"raw-0": 41, "raw-1": 7}) == {"raw-0": 0.0, "raw-1": 0.0}
    assert standstill.update(200.0, {"raw-0": 41, "raw-1": 9}) == {"raw-0": 200.0, "raw-1": 0.0}
    assert standstill.update(400.0, {"raw-1": 9}) == {"raw-1": 200.0}  # raw-0: nothing waits
    assert standstill.update(500.0, {"raw-0": 41, "raw-1": 9}) == {"raw-0": 0.0, "raw-1": 300.0}


class FakeConsumer:
    """What the watch reads of a faust consumer."""

    def __init__(self, assignment: dict, committed: dict) -> None:
        self._assignment, self._committed_offset = assignment, committed
        self._read_offset: dict = {}
        self._paused_partitions: set = set()
        self.flow_active = True

    def assignment(self) -> set:
        return set(self._assignment)

    def highwater(self, tp):
        return self._assignment[tp]

    def _get_active_partitions(self) -> set:
        return set(self._assignment)


def fake_app(consumer: FakeConsumer):
    return SimpleNamespace(consumer=consumer, tables=SimpleNamespace(changelog_topics={"cl"}),
                           topics=[], rebalancing=False, in_recovery=False)


def samples(registry: CollectorRegistry, name: str) -> dict:
    return {(s.labels.get("topic"), s.labels.get("partition")): s.value
            for metric in registry.collect() for s in metric.samples if s.name == name}


def test_the_lag_shows_only_partitions_the_worker_owns():
    registry = CollectorRegistry()
    watch = StreamWatch(registry, "test")
    raw0, raw1, changelog = TP("raw", 0), TP("raw", 1), TP("cl", 0)
    consumer = FakeConsumer({raw0: 50, raw1: 10, changelog: 99}, {raw0: 40, raw1: 10})
    assert watch.update_lag(fake_app(consumer)) == {raw0: 40}
    assert samples(registry, "vigie_test_consumer_lag_messages") == {("raw", "0"): 10,
                                                                      ("raw", "1"): 0}
    consumer._assignment = {raw1: 10}  # raw 0 went to another worker
    watch.update_lag(fake_app(consumer))
    assert samples(registry, "vigie_test_consumer_lag_messages") == {("raw", "1"): 0}


def test_a_partition_stalled_beyond_the_limit_is_counted_whatever_the_worker_does(caplog):
    registry = CollectorRegistry()
    watch = StreamWatch(registry, "test")
    raw0 = TP("raw", 0)
    app = fake_app(FakeConsumer({raw0: 50}, {raw0: 40}))
    with watch.working():  # an agent hung on a call: the partition stalls all the same
        watch.update_stalled(app, {raw0: 40}, limit=300.0, now=1000.0)
        watch.update_stalled(app, {raw0: 40}, limit=300.0, now=1299.0)
        assert samples(registry, "vigie_test_stalled_partitions") == {(None, None): 0}
        watch.update_stalled(app, {raw0: 40}, limit=300.0, now=1300.0)
    assert samples(registry, "vigie_test_stalled_partitions") == {(None, None): 1}
    assert "has not moved for 300 s" in caplog.text
    watch.update_stalled(app, {raw0: 41}, limit=300.0, now=1310.0)  # it moved
    assert samples(registry, "vigie_test_stalled_partitions") == {(None, None): 0}
