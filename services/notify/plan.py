"""What to send, and when: one message when an incident opens, at most one update per
``update_every`` while it changes, one when it closes. Pure functions of a ``NoticeState``
(what the table keeps per subscription and incident), an incident record and the worker's
clock (``now``, seconds): the throttle limits how often a person is messaged, so it runs on
the clock of the sender, not on event time.

* The first record a subscription wants opens (``open``), whatever its status, except a
  ``closed`` one: an incident never announced ends unannounced.
* A later record that changes what the last message showed (reports, sources, place) is an
  update: sent at once if the last message is ``update_every`` old, else held (the newest
  record held replaces an older one) until a tick finds the interval passed.
* ``closed`` goes at once and drops a held update; after it the incident sends nothing more.
* A record not newer than the last one folded in (a redelivery) changes nothing.

A message's key is subscription + incident id + kind (``open``, ``update-<n>``,
``closed``): the state records each key once sent (or dead-lettered), so a record or a
replayed letter met again sends nothing twice.
"""

from __future__ import annotations

import hashlib

import msgspec

from vigie.shared.messages import Incident, encode

STATE_VERSION = 1
SENT, DEAD_LETTERED = "sent", "dead-lettered"


class Outgoing(msgspec.Struct, kw_only=True):
    """A message to send: its ``kind`` (``open``, ``update``, ``closed``), the update's number
    ``n``, and the record it tells of."""

    subscription: str
    kind: str
    n: int = 0
    record: Incident

    @property
    def name(self) -> str:
        return f"update-{self.n}" if self.kind == "update" else self.kind

    @property
    def key(self) -> str:
        return f"{self.subscription}/{self.record.id}/{self.name}"


class NoticeState(msgspec.Struct, kw_only=True):
    """The messages of one subscription about one incident: ``done`` maps each message name
    sent (or dead-lettered) to that result; ``revision`` is the newest record folded in,
    ``shown`` a digest of what the last message showed, ``last_at`` when it went out (worker
    clock), ``pending`` the update held; ``partition`` the table partition it lives in."""

    schema_version: int = STATE_VERSION
    done: dict[str, str] = {}
    revision: int = 0
    shown: str = ""
    last_at: float | None = None
    updates: int = 0
    pending: Incident | None = None
    partition: int | None = None

    @classmethod
    def from_table(cls, value: object) -> NoticeState:
        return msgspec.convert(value, cls)

    def to_table(self) -> dict:
        return msgspec.to_builtins(self)

    @property
    def closed(self) -> bool:
        return "closed" in self.done

    @property
    def worth_keeping(self) -> bool:
        return bool(self.done or self.pending)


def changed(state: NoticeState, **fields) -> NoticeState:
    return msgspec.structs.replace(state, **fields)


def digest(record: Incident) -> str:
    """What an update is about: the reports, the sources, the place."""
    shown = encode([record.reports, sorted(record.sources), record.place])
    return hashlib.sha256(shown).hexdigest()[:16]


def due(state: NoticeState, now: float, every: float) -> bool:
    return state.last_at is None or now - state.last_at >= every


def on_record(state: NoticeState | None, subscription: str, record: Incident, now: float,
              every: float) -> tuple[NoticeState, Outgoing | None]:
    """The state after ``record``, and the message to send now, if any."""
    state = state or NoticeState()
    if record.revision <= state.revision or state.closed:
        return state, None
    state = changed(state, revision=record.revision)
    if record.status == "closed":
        if "open" not in state.done:
            return state, None
        return changed(state, pending=None), Outgoing(subscription=subscription, kind="closed",
                                                      record=record)
    if "open" not in state.done:
        return state, Outgoing(subscription=subscription, kind="open", record=record)
    if digest(record) == state.shown:
        return changed(state, pending=None), None
    if due(state, now, every):
        return changed(state, pending=None), update(state, subscription, record)
    return changed(state, pending=record), None


def on_tick(state: NoticeState, subscription: str, now: float,
            every: float) -> Outgoing | None:
    """The held update, once its interval has passed."""
    if state.pending is None or not due(state, now, every):
        return None
    return update(state, subscription, state.pending)


def update(state: NoticeState, subscription: str, record: Incident) -> Outgoing:
    return Outgoing(subscription=subscription, kind="update", n=state.updates + 1, record=record)


def after(state: NoticeState, message: Outgoing, now: float, result: str) -> NoticeState:
    """The state once ``message`` was sent (or dead-lettered: ``result``)."""
    return changed(state, done={**state.done, message.name: result}, last_at=now,
                   shown=digest(message.record), pending=None,
                   updates=state.updates + (message.kind == "update"))


def replayed(state: NoticeState | None, message: Outgoing) -> NoticeState:
    """The state once a dead-lettered ``message`` was sent on replay."""
    state = state or NoticeState(revision=message.record.revision)
    return changed(state, done={**state.done, message.name: SENT})


def expired(state: NoticeState, now: float, keep_s: float) -> bool:
    """Forgotten ``keep_s`` after its last message, unless an update is held."""
    return state.pending is None and now - (state.last_at or 0.0) > keep_s
