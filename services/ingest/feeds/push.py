"""WebSub in the poll loop: subscriptions kept in the feed states, pushes turned into outcomes.

Runs on the poll loop's thread, the one that owns the feed states; the callback (HTTP threads)
only leaves events in its inbox. A subscription's life:

- a poll finds a hub (``websub.discover``) → a new subscription (its own callback id and
  secret) is asked for on the pool (``hub_client``); the hub verifies it on the callback →
  ``active``: the feed's entries now come by push, and the feed is polled only every
  ``VIGIE_FEEDS_MAX_INTERVAL_S`` (or its own interval if longer), to catch what a hub misses;
- it is renewed before its lease ends (same callback and secret);
- back to polling, at once, when the hub refuses (an error answer, or ``hub.mode=denied``),
  cannot be reached, lets the lease end unrenewed, or when a poll finds an entry the hub never
  pushed; each counted in ``vigie_ingest_websub_fallbacks_total``. It is asked for again
  ``VIGIE_WEBSUB_RETRY_S`` later.

Subscriptions live in the feed state topic, so a restart resumes them where they were: it
answers pushes for them at once, and renews each when its own lease calls for it, not all at
start.
"""

from __future__ import annotations

import collections
import logging
import time
from collections.abc import Callable

from .callback import PATH, Callbacks, Denied, Expected, Pushed, Verified
from .feedlist import FeedConfig
from .hub_client import SubscribeOutcome, request_subscription
from .poll_feed import PollOutcome, read_pushed
from .state import FeedState
from .websub import ACTIVE, PENDING, Subscription, discover

log = logging.getLogger(__name__)

NEW = "new"  # made, not asked for yet
Task = tuple[Callable, tuple]


class PushAgent:
    def __init__(self, settings, metrics, callbacks: Callbacks, limits, store) -> None:
        self.settings, self.metrics, self.callbacks = settings, metrics, callbacks
        self.limits, self.store, self.pages = limits, store, None
        self.base = settings.websub_callback_url.rstrip("/")
        self.asking: set[str] = set()  # feeds with a subscription request in flight
        # Pushed documents, read one at a time per feed in the order they came: a later
        # revision of an entry is never overtaken by an earlier one.
        self.pushed: dict[str, collections.deque[Pushed]] = collections.defaultdict(
            collections.deque)
        self.reading: set[str] = set()
        self.feed_of: dict[str, str] = {}  # callback id → feed URL

    def start(self, feeds: dict[str, FeedConfig], states: dict[str, FeedState],
              pages=None) -> None:
        """Answer for the subscriptions the feed states hold; ``pages`` completes pushed
        entries as it does polled ones."""
        self.pages = pages
        for url, state in states.items():
            subscription = _subscription(state)
            if subscription is not None:
                self._expect(url, subscription)
            self.metrics.push_active.labels(feeds[url].name).set(
                int(subscription is not None and subscription.pushing))

    def work(self, feeds: dict[str, FeedConfig], states: dict[str, FeedState],
             now: float | None = None) -> tuple[list[Task], list[str]]:
        """The callback's news applied; returns the tasks to run on the pool (pushed documents
        to read, subscriptions to ask for) and the feeds to poll at once."""
        now = time.time() if now is None else now
        tasks: list[Task] = []
        poll_now: list[str] = []
        for event in self.callbacks.take():
            url = self.feed_of.get(event.callback_id)
            current = _subscription(states[url]) if url in states else None
            if current is None or current.callback_id != event.callback_id:
                continue  # the feed named another hub since
            if isinstance(event, Pushed):
                self.pushed[url].append(event)
            elif isinstance(event, Verified):
                self._verified(feeds[url], states[url], event, now)
            elif isinstance(event, Denied):
                poll_now += self._fall_back(feeds[url], states[url], "refused", now)
        for url, queue in self.pushed.items():
            if queue and url not in self.reading:
                self.reading.add(url)
                event = queue.popleft()
                tasks.append((read_pushed, (feeds[url], event.body, event.headers,
                                            event.received_at, self.pages,
                                            dict(states[url].seen))))
        for url, state in states.items():
            subscription = _subscription(state)
            if subscription is None:
                continue
            if subscription.pushing and now >= (subscription.lease_ends or now):
                poll_now += self._fall_back(feeds[url], state, "expired", now)
            elif url not in self.asking and now >= self._due(subscription):
                tasks.append(self._ask(url, state, subscription))
        return tasks, poll_now

    def after_poll(self, feed: FeedConfig, state: FeedState, outcome: PollOutcome,
                   new_entries: int, now: float | None = None) -> None:
        """What a poll of ``feed`` says of its hub: found, changed, gone; or missed."""
        now = time.time() if now is None else now
        if outcome.pushed:
            self.reading.discard(state.feed_url)
            self.metrics.websub_pushes.labels(
                "accepted" if outcome.succeeded else "parse_error").inc()
            if not outcome.succeeded:
                log.warning("pushed document refused: %s", outcome.error,
                            extra={"feed": feed.name})
            return
        if outcome.parsed is None:
            return
        hub = discover(outcome.response.headers, list(outcome.parsed.links), state.url)
        state.hub = hub.hub if hub else None
        subscription = _subscription(state)
        if subscription is not None and (hub is None or not subscription.matches(hub)):
            self.callbacks.forget(subscription.callback_id)
            state.websub = subscription = None
            self.metrics.push_active.labels(feed.name).set(0)
        if hub is not None and subscription is None and self.base:
            subscription = Subscription.new(hub, now)
            subscription.status = NEW
            self._expect(state.feed_url, subscription)
            state.websub = subscription.to_dict()
        elif subscription is not None and subscription.pushing and new_entries:
            log.warning("a poll found %d entries the hub never pushed", new_entries,
                        extra={"feed": feed.name})
            self._fall_back(feed, state, "missed_entry", now)

    def applied(self, outcome: SubscribeOutcome, feed: FeedConfig, state: FeedState,
                now: float | None = None) -> list[str]:
        """The hub's answer to a request; returns the feed to poll at once, if it fell back."""
        now = time.time() if now is None else now
        self.asking.discard(outcome.feed_url)
        self.metrics.websub_requests.labels(outcome.result).inc()
        subscription = _subscription(state)
        if subscription is None or subscription.callback_id != outcome.callback_id:
            return []  # the feed named another hub since
        if outcome.result == "accepted":
            # The hub may have verified it already (then it is active): else it waits for that.
            if subscription.status != ACTIVE:
                subscription.set_status(PENDING, now)
                self._save(state, subscription)
            return []
        log.warning("hub %s: %s", outcome.result, outcome.detail, extra={"feed": feed.name})
        return self._fall_back(feed, state, outcome.result, now)

    def _due(self, subscription: Subscription) -> float:
        if subscription.status == NEW:
            return subscription.since
        if subscription.renewing:
            return float("inf")  # asked: the verification renews it, else the lease ends
        return subscription.due_at(self.settings.websub_renew_before_s,
                                   self.settings.websub_retry_s)

    def _ask(self, url: str, state: FeedState, subscription: Subscription) -> Task:
        """The request to run; a renewal is marked before it goes, since the hub's
        verification (which ends it) may come before its answer."""
        self.asking.add(url)
        if subscription.pushing:
            subscription.renewing = True
            self._save(state, subscription)
        callback = f"{self.base}{PATH}{subscription.callback_id}"
        return (request_subscription, (url, subscription, callback,
                                       self.settings.websub_lease_s, self.limits))

    def _verified(self, feed: FeedConfig, state: FeedState, event: Verified, now: float) -> None:
        subscription = _subscription(state)
        lease = event.lease_s or self.settings.websub_lease_s
        subscription.set_status(ACTIVE, now)
        subscription.lease_ends = now + lease
        self._save(state, subscription)
        self.metrics.push_active.labels(feed.name).set(1)
        log.info("subscribed: entries come by push, lease %g s", lease, extra={"feed": feed.name})

    def _fall_back(self, feed: FeedConfig, state: FeedState, reason: str,
                   now: float) -> list[str]:
        """Back to polling: at once if the feed was pushing (its entries may be waiting)."""
        subscription = _subscription(state)
        was_pushing = subscription.pushing
        subscription.set_status(reason, now)
        subscription.lease_ends = None
        self._save(state, subscription)
        self.metrics.websub_fallbacks.labels(reason).inc()
        self.metrics.push_active.labels(feed.name).set(0)
        log.warning("back to polling: %s", reason, extra={"feed": feed.name})
        return [state.feed_url] if was_pushing else []

    def _expect(self, url: str, subscription: Subscription) -> None:
        self.feed_of[subscription.callback_id] = url
        self.callbacks.expect(subscription.callback_id,
                              Expected(url, subscription.topic, subscription.secret))

    def _save(self, state: FeedState, subscription: Subscription) -> None:
        state.websub = subscription.to_dict()
        self.store.save(state)
        self.store.flush()


def _subscription(state: FeedState) -> Subscription | None:
    return Subscription.from_dict(state.websub) if state.websub else None
