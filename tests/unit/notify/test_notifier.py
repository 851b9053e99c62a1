"""The notify agent's logic without a broker: ``Notifier`` over a dict as its table, sending
through Apprise to a real webhook and a real SMTP server on 127.0.0.1."""

from __future__ import annotations

import asyncio

import pytest
from prometheus_client import CollectorRegistry

from tests.notify_endpoints import Mailbox, Webhook
from vigie.notify.delivery import Sender
from vigie.notify.metrics import NotifyMetrics
from vigie.notify.notices import Job, NotDelivered, Notifier
from vigie.notify.plan import DEAD_LETTERED, SENT
from vigie.notify.subscriptions import Secrets, SubscriptionFile
from vigie.shared.filters import Filters
from vigie.shared.timestamps import format_time

from .conftest import record, subscription

NOW = 1_800_000_000.0


class Clock:
    def __init__(self) -> None:
        self.now = NOW

    def __call__(self) -> float:
        return self.now


def fresh(*args, **changes):
    """A record written at the clock's start (not stale)."""
    return record(*args, **{"updated_at": format_time_at(NOW), **changes})


def format_time_at(seconds: float) -> str:
    import datetime as dt

    return format_time(dt.datetime.fromtimestamp(seconds, dt.timezone.utc))


def notifier(*subscriptions, clock=None, letters=None, attempts=2, max_age_s=3600.0):
    metrics = NotifyMetrics(CollectorRegistry())
    sender = Sender(metrics, Secrets(), attempts=attempts, backoff_s=0.0, timeout_s=10.0,
                    cap_base_url="https://vigie.example.org")

    async def letter(message, failures):
        letters.append((message, failures))

    async def flush():
        pass

    return Notifier({}, SubscriptionFile(subscriptions, Secrets()), sender, metrics,
                    max_age_s=max_age_s, keep_s=86400.0, dead_letter=letter, flush=flush,
                    clock=clock or Clock())


def test_one_open_one_update_per_interval_one_close_to_a_webhook_and_a_mailbox():
    with Webhook() as hook, Mailbox() as mail:
        clock = Clock()
        desk = subscription(hook.url, mail.url, every=300.0)
        other = subscription(hook.url, name="kharkiv",
                             filters=Filters(rules=("glide-bomb",)))
        worker = notifier(desk, other, clock=clock, letters=[])

        async def scenario():
            await worker.on_record(fresh(1), 0)
            for n in range(2, 12):  # ten updates within a minute: held, the newest kept
                clock.now += 5
                await worker.on_record(fresh(n, "update", reports=n), 0)
            await worker.on_tick(0)
            clock.now = NOW + 300
            await worker.on_tick(0)  # the interval has passed: the held update goes
            await worker.on_tick(0)
            await worker.on_record(fresh(12, "closed", reports=11), 0)
            await worker.on_record(fresh(12, "closed", reports=11), 0)  # a redelivery

        asyncio.run(scenario())
    assert hook.keys() == ["desk/i1/open", "desk/i1/update-1", "desk/i1/closed"]
    assert [m["type"] for m in hook.received] == ["failure", "failure", "success"]
    assert "11 reports · 11 sources" in hook.received[1]["message"]  # the newest update
    assert mail.keys() == hook.keys()
    assert [str(m["Subject"]) for m in mail.received][0] == "🔴 Air-raid alert · Kyiv (UA-30)"
    assert "Reference: desk/i1/open" in mail.received[0].get_content()
    state = worker.state("desk/i1")
    assert state.done == {"open": SENT, "update-1": SENT, "closed": SENT}
    assert worker.state("kharkiv/i1") is None  # not its rule
    assert worker.metrics.messages.labels("desk", "update", "sent")._value.get() == 1


def test_a_url_that_keeps_failing_is_dead_lettered_alone_and_a_replay_delivers_it_once():
    letters: list = []
    with Webhook() as good, Webhook("/down") as down:
        down.failing = True
        desk = subscription(good.url, down.url)
        worker = notifier(desk, letters=letters, attempts=3)
        asyncio.run(worker.on_record(fresh(1), 2))
        assert good.keys() == ["desk/i1/open"]  # sent once: only the failed URL is retried
        assert down.server.hits["/down"] == 3 and down.received == []
        (message, failures), = letters
        assert (message.key, [f.endpoint.shown for f in failures]) == ("desk/i1/open",
                                                                       [down.url])
        assert "failure" in failures[0].error
        assert worker.state("desk/i1").done == {"open": DEAD_LETTERED}

        down.failing = False
        job = Job(message=message, urls=[down.url])
        asyncio.run(worker.on_replay(job, 2))
        asyncio.run(worker.on_replay(job, 2))  # replayed twice: sent once
    assert (good.keys(), down.keys()) == (["desk/i1/open"], ["desk/i1/open"])
    assert worker.state("desk/i1").done == {"open": SENT}
    assert worker.state("desk/i1").partition == 2


def test_a_replay_that_fails_again_or_has_no_subscription_raises():
    letters: list = []
    with Webhook("/down") as down:
        down.failing = True
        worker = notifier(subscription(down.url), letters=letters, attempts=1)
        asyncio.run(worker.on_record(fresh(1), 0))
        message = letters[0][0]
        with pytest.raises(NotDelivered, match="failure"):
            asyncio.run(worker.on_replay(Job(message=message, urls=[down.url]), 0))
        gone = notifier(subscription(down.url, name="other"), letters=[])
        with pytest.raises(NotDelivered, match="no subscription 'desk'"):
            asyncio.run(gone.on_replay(Job(message=message, urls=[]), 0))


def test_stale_records_send_nothing_and_quiet_states_are_forgotten():
    with Webhook() as hook:
        clock = Clock()
        worker = notifier(subscription(hook.url), clock=clock, letters=[])
        clock.now = NOW + 7200  # two hours after the record was written: over max_age_s
        asyncio.run(worker.on_record(fresh(1), 0))
        assert hook.received == []
        assert worker.metrics.records.labels("stale")._value.get() == 1
        clock.now = NOW
        asyncio.run(worker.on_record(fresh(1), 0))
        clock.now = NOW + 86401
        asyncio.run(worker.on_tick(0))
    assert hook.keys() == ["desk/i1/open"] and worker.table == {}
