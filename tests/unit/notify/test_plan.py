"""What goes out when: one open, at most one update per interval while the incident changes,
one close; a redelivered record and a replayed message send nothing twice."""

from __future__ import annotations

from vigie.notify import plan
from vigie.notify.plan import DEAD_LETTERED, SENT, NoticeState

from .conftest import KHARKIV, record

EVERY = 300.0


def run(records, ticks=(), every=EVERY):
    """Feed ``records`` ((time, record)) and ``ticks`` (times) in time order; every message
    planned is sent at once. Returns [(time, message name, reports)]."""
    events = sorted([(t, 0, r) for t, r in records] + [(t, 1, None) for t in ticks],
                    key=lambda e: (e[0], e[1]))
    state, sent = None, []
    for now, _, item in events:
        if item is None:
            message = state and plan.on_tick(state, "desk", now, every)
        else:
            state, message = plan.on_record(state, "desk", item, now, every)
        if message:
            state = plan.after(state, message, now, SENT)
            sent.append((now, message.name, message.record.reports))
    return sent, state


def test_one_open_at_most_one_update_per_interval_one_close():
    burst = [(n * 10.0, record(n + 1, "open" if n == 0 else "update", reports=n + 1))
             for n in range(70)]  # a report every 10 s for 700 s
    sent, state = run([*burst, (1000.0, record(71, "closed", reports=70))],
                      ticks=range(0, 1100, 5))
    assert [name for _, name, _ in sent] == ["open", "update-1", "update-2", "update-3",
                                             "closed"]
    times = [t for t, _, _ in sent]
    # the last update, held from 610 s with no record after 690 s, goes with the tick at 900 s
    assert times == [0.0, 300.0, 600.0, 900.0, 1000.0]
    assert sent[3][2] == 70
    assert sent[-1][2] == 70 and state.closed and state.pending is None


def test_a_held_update_goes_out_when_its_interval_passes_without_a_new_record():
    sent, state = run([(0.0, record(1)), (10.0, record(2, "update", reports=2))],
                      ticks=[100.0, 299.0, 300.0, 305.0])
    assert sent == [(0.0, "open", 1), (300.0, "update-1", 2)]
    assert state.pending is None


def test_the_close_goes_at_once_and_drops_the_held_update():
    sent, _ = run([(0.0, record(1)), (10.0, record(2, "update", reports=2)),
                   (20.0, record(3, "closed", reports=2))], ticks=[300.0])
    assert sent == [(0.0, "open", 1), (20.0, "closed", 2)]


def test_an_update_that_changes_nothing_shown_sends_nothing():
    later_event_time = record(2, "update", started_at="2025-08-22T01:50:00.000Z")
    sent, _ = run([(0.0, record(1)), (400.0, later_event_time)])
    assert sent == [(0.0, "open", 1)]
    moved, _ = run([(0.0, record(1)), (400.0, record(2, "update", place=KHARKIV))])
    assert [name for _, name, _ in moved] == ["open", "update-1"]


def test_the_first_record_wanted_opens_and_a_close_never_announced_sends_nothing():
    sent, _ = run([(0.0, record(4, "update", reports=4))])
    assert sent == [(0.0, "open", 4)]
    sent, state = run([(0.0, record(5, "closed", reports=4))])
    assert sent == [] and not state.worth_keeping


def test_a_redelivered_record_and_a_record_after_the_close_change_nothing():
    state = NoticeState()
    state, first = plan.on_record(state, "desk", record(1), 0.0, EVERY)
    state = plan.after(state, first, 0.0, SENT)
    assert plan.on_record(state, "desk", record(1), 1000.0, EVERY) == (state, None)
    state, close = plan.on_record(state, "desk", record(2, "closed"), 5.0, EVERY)
    state = plan.after(state, close, 5.0, SENT)
    assert plan.on_record(state, "desk", record(3, "update", reports=2), 1000.0,
                          EVERY) == (state, None)


def test_keys_name_subscription_incident_and_kind():
    state, message = plan.on_record(None, "desk", record(1), 0.0, EVERY)
    assert message.key == "desk/i1/open"
    state = plan.after(state, message, 0.0, DEAD_LETTERED)  # handled: the next is an update
    state, message = plan.on_record(state, "desk", record(2, "update", reports=3), 400.0, EVERY)
    assert (message.key, message.n) == ("desk/i1/update-1", 1)
    assert plan.replayed(state, plan.Outgoing(subscription="desk", kind="open",
                                              record=record(1))).done["open"] == SENT


def test_a_state_survives_the_table():
    state, message = plan.on_record(None, "desk", record(1), 0.0, EVERY)
    state = plan.after(state, message, 0.0, SENT)
    state, _ = plan.on_record(state, "desk", record(2, "update", reports=2), 10.0, EVERY)
    assert NoticeState.from_table(state.to_table()) == state
    assert plan.expired(plan.changed(state, pending=None), 86401.0, 86400.0)
    assert not plan.expired(state, 86401.0, 86400.0)  # an update still held
