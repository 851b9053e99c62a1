"""The stream watch's verdict: stalled only when records wait, the worker is idle and nothing
has moved for the whole limit (the seek back itself is tested on a real worker in
tests/integration/test_read_stall.py)."""

from __future__ import annotations

from vigie.shared.streams.watch import Progress

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
