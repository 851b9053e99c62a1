"""The notify agent's logic: incident records, ticks and replayed messages → messages sent,
then recorded.

``Notifier`` keeps one ``NoticeState`` per subscription and incident in its table (the faust
table here, a dict in unit tests; key ``<subscription>/<incident id>``), decides with ``plan``
what goes out, sends through a ``Sender`` and records each message after it went out: the
state is written, then ``flush`` waits until the table's changelog has it, so a restart
repeats nothing recorded and a crash between a send and its record repeats that message only
(one per subscription, as a record's subscriptions are served together).

A message that fails every attempt goes to the dead-letter topic as a ``Job`` of the jobs
topic, with the URLs that failed: ``vigie dlq replay`` sends it back there, and the worker that
owns the incident's partition sends it to those URLs and records it (a letter replayed twice
sends once). A tick (``Job(tick=True)``, sent by a timer to every partition) sends the updates
held past their interval: a faust table is written only while its partition's stream is read,
so the timer cannot send them itself, and waiting for the partition's next record could hold
an update for hours.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Iterable, MutableMapping

import msgspec

from vigie.shared.errors import VigieError
from vigie.shared.messages import Incident, InvalidMessage, decode, to_dict
from vigie.shared.timestamps import epoch

from . import plan
from .delivery import Failure, Sender
from .metrics import NotifyMetrics
from .plan import DEAD_LETTERED, SENT, NoticeState, Outgoing
from .subscriptions import Subscription, SubscriptionFile

log = logging.getLogger(__name__)
# Sends a message that failed every attempt to the dead-letter topic (delivered on return).
DeadLetter = Callable[[Outgoing, list[Failure]], Awaitable[None]]


class Job(msgspec.Struct, kw_only=True, omit_defaults=True):
    """A record of the jobs topic: a tick, or a message to send again (a dead letter replayed)
    with the URLs that failed, in Apprise's privacy form."""

    tick: bool = False
    message: Outgoing | None = None
    urls: list[str] = []


class NotDelivered(VigieError, RuntimeError):
    """A message that no attempt delivered, or whose subscription is gone."""


def decode_job(value: bytes) -> Job:
    job = decode(value, Job)
    if not job.tick and job.message is None:
        raise InvalidMessage("not a Job: no tick and no message")
    return job


def state_key(subscription: str, incident_id: str) -> str:
    return f"{subscription}/{incident_id}"


class Notifier:
    def __init__(self, table: MutableMapping[str, object], subscriptions: SubscriptionFile,
                 sender: Sender, metrics: NotifyMetrics, *, max_age_s: float, keep_s: float,
                 dead_letter: DeadLetter, flush: Callable[[], Awaitable[None]],
                 clock: Callable[[], float] = time.time) -> None:
        self.table, self.subscriptions, self.sender, self.metrics = (
            table, subscriptions, sender, metrics)
        self.max_age_s, self.keep_s = max_age_s, keep_s
        self.dead_letter, self.flush, self.clock = dead_letter, flush, clock

    async def on_record(self, record: Incident, partition: int) -> None:
        """Send what ``record`` calls for, to each subscription that wants it."""
        now = self.clock()
        if now - epoch(record.updated_at) > self.max_age_s:
            self.metrics.records.labels("stale").inc()
            return
        message = to_dict(record)
        wanted = [s for s in self.subscriptions.subscriptions if s.filters.accept(message)]
        self.metrics.records.labels("wanted" if wanted else "unwanted").inc()
        await all_of(self.notify(s, record, partition, now) for s in wanted)

    async def notify(self, subscription: Subscription, record: Incident, partition: int,
                     now: float) -> None:
        key = state_key(subscription.name, record.id)
        before = self.state(key)
        state, message = plan.on_record(before, subscription.name, record, now,
                                        subscription.update_every)
        if message is None:
            self.keep(key, state, partition)
            return
        await self.send_and_record(subscription, message, key, state, partition, now)
        self.metrics.latency.observe(max(0.0, time.time() - epoch(record.updated_at)))

    async def on_tick(self, partition: int) -> None:
        """Send the held updates whose interval has passed; forget the long quiet."""
        now = self.clock()
        for key, state in self.states(partition):
            subscription = self.subscriptions.get(key.split("/", 1)[0])
            message = subscription and plan.on_tick(state, subscription.name, now,
                                                    subscription.update_every)
            if message:
                await self.send_and_record(subscription, message, key, state, partition, now)
            elif plan.expired(state, now, self.keep_s):
                del self.table[key]
        self.metrics.held.set(sum(1 for _, s in self.states() if s.pending is not None))

    async def on_replay(self, job: Job, partition: int) -> None:
        """Send a dead-lettered message again, to the URLs that failed, unless it went out
        since; raises ``NotDelivered`` (the letter goes back to the dead letters) if it fails
        again."""
        message = job.message
        subscription = self.subscriptions.get(message.subscription)
        if subscription is None:
            raise NotDelivered(f"no subscription {message.subscription!r} any more")
        key = state_key(subscription.name, message.record.id)
        state = self.state(key)
        if state is not None and state.done.get(message.name) == SENT:
            log.info("replayed message %s was sent already", message.key)
            return
        # The URLs that failed; if none is still there, the failed one was replaced: all.
        endpoints = tuple(e for e in subscription.endpoints if e.shown in job.urls)
        failures = await self.sender.send(subscription, message,
                                          endpoints or subscription.endpoints)
        if failures:
            raise NotDelivered(describe(failures))
        self.keep(key, plan.replayed(state, message), partition)
        await self.flush()
        self.sent(message, SENT)

    async def send_and_record(self, subscription: Subscription, message: Outgoing, key: str,
                              state: NoticeState, partition: int, now: float) -> None:
        failures = await self.sender.send(subscription, message)
        result = SENT
        if failures:
            await self.dead_letter(message, failures)
            result = DEAD_LETTERED
        self.keep(key, plan.after(state, message, now, result), partition)
        await self.flush()
        self.sent(message, result)

    def sent(self, message: Outgoing, result: str) -> None:
        """Count ``message``: sent (or dead-lettered) and recorded."""
        self.metrics.messages.labels(message.subscription, message.kind,
                                     result.replace("-", "_")).inc()

    def state(self, key: str) -> NoticeState | None:
        value = self.table.get(key)
        return None if value is None else NoticeState.from_table(value)

    def states(self, partition: int | None = None) -> list[tuple[str, NoticeState]]:
        """The states of ``partition`` (all if None), read at once: the table changes as they
        are kept."""
        found = [(key, NoticeState.from_table(value)) for key, value in self.table.items()]
        return [(k, s) for k, s in found if partition is None or s.partition == partition]

    def keep(self, key: str, state: NoticeState, partition: int) -> None:
        if not state.worth_keeping:
            if key in self.table:
                del self.table[key]
            return
        value = plan.changed(state, partition=partition).to_table()
        if value != self.table.get(key):
            self.table[key] = value


def describe(failures: list[Failure]) -> str:
    return "; ".join(f"{f.endpoint.shown}: {f.error}" for f in failures)


async def all_of(coroutines: Iterable[Awaitable[None]]) -> None:
    """Run them together, each to its end; then raise the first error, if any."""
    results = await asyncio.gather(*coroutines, return_exceptions=True)
    for result in results:
        if isinstance(result, BaseException):
            raise result
