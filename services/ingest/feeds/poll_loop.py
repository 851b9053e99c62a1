"""The polling loop: schedules feeds and channels, runs polls on a bounded thread pool, and
applies each outcome on its own thread (publish, flush, then save the feed's state), so the
publisher and the state need no locks. With WebSub (``push``), pushed documents and
subscription requests run on the same pool and their outcomes are applied the same way; the
loop wakes for a push as it does for a finished poll."""

from __future__ import annotations

import logging
import math
import random
import threading
import time
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from functools import partial

from vigie.shared.timestamps import epoch

from ..publisher import PublishError
from .adaptive import asked_interval, current_interval, entry_frequency_interval, is_pushing
from .feedlist import FeedConfig
from .fetch import FetchLimits, FetchRequest
from .pages import PageFetcher
from .parse import FIXES
from .poll_channel import poll_channel
from .poll_feed import PollOutcome, poll_feed
from .schedule import HostGate, first_delay, is_parked, next_delay
from .state import FeedState
from .urls import host_of

log = logging.getLogger(__name__)

IDLE_WAIT_S = 1.0


class Poller:
    def __init__(self, feeds: list[FeedConfig], states: dict[str, FeedState], settings,
                 metrics, publisher, store, *, rng: random.Random | None = None,
                 push=None) -> None:
        self.feeds = {feed.url: feed for feed in feeds}
        self.states = {url: states.get(url) or FeedState.fresh(url) for url in self.feeds}
        self.settings = settings
        self.metrics = metrics
        self.publisher = publisher
        self.store = store
        self.rng = rng or random.Random()
        self.limits = FetchLimits.from_settings(settings)
        self.gate = HostGate(settings.feeds_per_host_delay_s)
        self.pages = PageFetcher(self.limits, metrics, min_chars=settings.pages_min_chars,
                                 robots_ttl_s=settings.pages_robots_ttl_s,
                                 gap_s=settings.feeds_per_host_delay_s)
        self.due: dict[str, float] = {}
        self.push = push  # a push.PushAgent, or None: every feed is polled
        for feed in feeds:  # polled until a hub says otherwise (push.start)
            self.metrics.push_active.labels(feed.name).set(0)
        if push is not None:
            push.start(self.feeds, self.states, self.pages)
        for feed in feeds:
            self.metrics.consecutive_failures.labels(feed.name).set(self.states[feed.url].failures)
            self._interval(feed, self.states[feed.url])
            for fix in FIXES:  # a zero series, so the first repair is an increase
                self.metrics.entry_fixes.labels(feed.name, fix)
            if feed.telegram:
                self.metrics.channel_pages.labels(feed.name)

    def run(self, *, once: bool, stop_event: threading.Event | None = None) -> None:
        """Poll until ``stop_event`` is set; with ``once``, poll every feed once and return."""
        stop = stop_event or threading.Event()
        now = time.monotonic()
        for url, feed in self.feeds.items():
            state = self.states[url]
            # A feed never read yet goes at once; the others resume spread out.
            at_once = once or state.last_success is None
            self.due[url] = now if at_once else now + first_delay(self._interval(feed, state),
                                                                 self.rng)
        in_flight: dict[Future, FeedConfig] = {}
        with ThreadPoolExecutor(self.settings.feeds_concurrency, "feed-poll") as pool:
            while not stop.is_set():
                self._start_due(pool, in_flight)
                if self.push is not None and not once:
                    self._start_push_work(pool, in_flight)
                if once and not in_flight and not self.due:
                    break
                self._wait_and_apply(in_flight, stop, once)

    def _start_due(self, pool: ThreadPoolExecutor, in_flight: dict) -> None:
        now = time.monotonic()
        for url, when in sorted(self.due.items(), key=lambda item: item[1]):
            if when > now or len(in_flight) >= self.settings.feeds_concurrency:
                break
            state = self.states[url]
            host = host_of(state.url)
            if not self.gate.can_start(host, now):
                continue
            self.gate.started(host, now)
            del self.due[url]
            in_flight[pool.submit(self._poll(self.feeds[url], state))] = host

    def _poll(self, feed: FeedConfig, state: FeedState):
        """The poll to run on a worker: it gets copies, never the state itself."""
        if feed.telegram:
            return partial(poll_channel, feed, state.url, self.limits, self.pages.turns,
                           state.last_post, dict(state.seen), self.settings.telegram_backfill)
        request = FetchRequest(state.url, state.etag, state.last_modified)
        return partial(poll_feed, feed, request, self.limits, self.pages, dict(state.seen))

    def _start_push_work(self, pool: ThreadPoolExecutor, in_flight: dict) -> None:
        """Arm the doorbell, then run what the callback brought (see ``callback.Doorbell``)."""
        self.doorbell = self.push.callbacks.doorbell.armed()
        tasks, poll_now = self.push.work(self.feeds, self.states)
        for function, args in tasks:
            in_flight[pool.submit(function, *args)] = None  # no host of the gate's
        for url in poll_now:
            if url in self.due:
                self.due[url] = time.monotonic()

    def _wait_and_apply(self, in_flight: dict, stop: threading.Event, once: bool) -> None:
        timeout = self._time_to_next_due()
        waiting = list(in_flight) + ([self.doorbell] if self.push is not None and not once else [])
        if not waiting:
            stop.wait(timeout)
            return
        done, _ = wait(waiting, timeout=timeout, return_when=FIRST_COMPLETED)
        for future in done:
            if future not in in_flight:
                continue  # the doorbell: the next turn takes what rang it
            host = in_flight.pop(future)
            if host is not None:
                self.gate.finished(host)
            outcome = future.result()
            if not isinstance(outcome, PollOutcome):  # a hub's answer to a subscription
                self._apply_subscribe(outcome)
                continue
            self.apply(outcome)
            if not once and not outcome.pushed:
                self.due[outcome.feed.url] = time.monotonic() + self._delay(outcome)

    def _apply_subscribe(self, outcome) -> None:
        state = self.states[outcome.feed_url]
        for url in self.push.applied(outcome, self.feeds[outcome.feed_url], state):
            if url in self.due:
                self.due[url] = time.monotonic()

    def _time_to_next_due(self) -> float:
        soonest = min(self.due.values(), default=math.inf)
        # Short waits: a feed blocked only by host politeness becomes startable without a due.
        return max(0.01, min(soonest - time.monotonic(), IDLE_WAIT_S))

    def _delay(self, outcome: PollOutcome) -> float:
        state = self.states[outcome.feed.url]
        asked = asked_interval(outcome.response.headers,
                               outcome.parsed.ttl if outcome.parsed else None) \
            if outcome.response is not None else None
        return next_delay(self._interval(outcome.feed, state), state.failures,
                          self.settings.feeds_max_backoff_s,
                          retry_after_s=max(outcome.retry_after_s or 0, asked or 0) or None,
                          rng=self.rng)

    def _interval(self, feed: FeedConfig, state: FeedState) -> float:
        # A subscription kept from a run with push counts only while push is on.
        interval = current_interval(feed, state,
                                    pushing=self.push is not None and is_pushing(state),
                                    max_interval_s=self.settings.feeds_max_interval_s)
        self.metrics.poll_interval.labels(feed.name).set(interval)
        return interval

    def apply(self, outcome: PollOutcome) -> None:
        """Count, publish what is new, and only then save the feed's state."""
        feed, state = outcome.feed, self.states[outcome.feed.url]
        if outcome.pushed:
            self._apply_push(outcome, state)
            return
        self.metrics.fetches.labels(feed.name, outcome.result).inc()
        self.metrics.fetch_duration.labels(feed.name).observe(outcome.duration_s)
        if feed.telegram:
            self.metrics.channel_pages.labels(feed.name).inc(outcome.pages)
        if outcome.succeeded:
            try:
                self._apply_success(outcome, state)
            except PublishError as exc:
                # Nothing saved: the next poll fetches and publishes these entries again.
                log.error("articles not acknowledged: %s", exc, extra={"feed": feed.name})
                return
        else:
            self._apply_failure(outcome, state)
        self.metrics.consecutive_failures.labels(feed.name).set(state.failures)
        self.store.save(state)
        self.store.flush()

    def _apply_success(self, outcome: PollOutcome, state: FeedState) -> None:
        feed, response = outcome.feed, outcome.response
        if outcome.parsed is not None:
            for fix, count in outcome.parsed.fixes.items():
                self.metrics.entry_fixes.labels(feed.name, fix).inc(count)
            published = self._publish_new(outcome, state)
            if outcome.newest_post is not None:  # published: the next poll pages back to it
                state.last_post = outcome.newest_post
            if self.push is not None:
                self.push.after_poll(feed, state, outcome, published)
            state.etag = response.headers.get("etag")
            state.last_modified = response.headers.get("last-modified")
            self._adapt(feed, state, outcome)
        if response.permanent_url and response.permanent_url != state.url:
            log.info("feed moved permanently to %s", response.permanent_url,
                     extra={"feed": feed.name})
            state.url = response.permanent_url
        state.failures = 0
        state.last_success = time.time()
        self.metrics.last_success.labels(feed.name).set(state.last_success)

    def _apply_push(self, outcome: PollOutcome, state: FeedState) -> None:
        """A pushed document: its new entries published, then the state saved; a push says
        nothing of the feed's HTTP state or health."""
        try:
            if outcome.succeeded:
                self._publish_new(outcome, state)
        except PublishError as exc:  # nothing saved: the next poll publishes them
            log.error("pushed articles not acknowledged: %s", exc,
                      extra={"feed": outcome.feed.name})
            return
        finally:
            self.push.after_poll(outcome.feed, state, outcome, 0)
        self.store.save(state)
        self.store.flush()

    def _adapt(self, feed: FeedConfig, state: FeedState, outcome: PollOutcome) -> None:
        if not feed.adaptive:
            return
        times = [moment for entry in outcome.parsed.entries
                 if (moment := epoch(entry.article.published)) is not None]
        interval = entry_frequency_interval(
            times, factor=self.settings.feeds_entry_frequency_factor,
            min_s=self.settings.feeds_min_interval_s, max_s=self.settings.feeds_max_interval_s,
            now=time.time())
        if interval is not None:
            state.interval_s = interval

    def _publish_new(self, outcome: PollOutcome, state: FeedState) -> int:
        entries = outcome.parsed.entries
        fresh: dict[str, str] = {}
        for entry in entries:
            key, article = entry.key, entry.article
            if state.is_new(key, article.revision) and fresh.get(key) != article.revision:
                fresh[key] = article.revision
                self.publisher.publish(article)
        published = self.publisher.flush() if fresh else 0
        for key, entry_revision in fresh.items():
            state.remember(key, entry_revision, self.settings.feeds_seen_max)
        name = outcome.feed.name
        self.metrics.entries.labels(name, "new").inc(published)
        self.metrics.entries.labels(name, "seen").inc(len(entries) - published)
        if published:
            log.info("published %d new entries%s", published,
                     " (pushed)" if outcome.pushed else "", extra={"feed": name})
        return published

    def _apply_failure(self, outcome: PollOutcome, state: FeedState) -> None:
        state.failures += 1
        feed = outcome.feed
        parked = is_parked(feed.interval_s, state.failures, self.settings.feeds_max_backoff_s)
        log.warning("feed poll failed (%s, %d in a row%s): %s", outcome.result, state.failures,
                    ", parked at max backoff" if parked else "", outcome.error,
                    extra={"feed": feed.name})
