"""The polling loop: schedules feeds and channels, runs polls on a bounded thread pool, and
applies each outcome on its own thread (publish, flush, then save the feed's state), so the
publisher and the state need no locks."""

from __future__ import annotations

import logging
import math
import random
import threading
import time
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from functools import partial

from ..publisher import PublishError
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
                 metrics, publisher, store, *, rng: random.Random | None = None) -> None:
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
        for feed in feeds:
            self.metrics.consecutive_failures.labels(feed.name).set(self.states[feed.url].failures)
            for fix in FIXES:  # a zero series, so the first repair is an increase
                self.metrics.entry_fixes.labels(feed.name, fix)
            if feed.telegram:
                self.metrics.channel_pages.labels(feed.name)

    def run(self, *, once: bool, stop_event: threading.Event | None = None) -> None:
        """Poll until ``stop_event`` is set; with ``once``, poll every feed once and return."""
        stop = stop_event or threading.Event()
        now = time.monotonic()
        for url, feed in self.feeds.items():
            self.due[url] = now if once else now + first_delay(feed.interval_s, self.rng)
        in_flight: dict[Future, FeedConfig] = {}
        with ThreadPoolExecutor(self.settings.feeds_concurrency, "feed-poll") as pool:
            while not stop.is_set():
                self._start_due(pool, in_flight)
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

    def _wait_and_apply(self, in_flight: dict, stop: threading.Event, once: bool) -> None:
        timeout = self._time_to_next_due()
        if not in_flight:
            stop.wait(timeout)
            return
        done, _ = wait(list(in_flight), timeout=timeout, return_when=FIRST_COMPLETED)
        for future in done:
            self.gate.finished(in_flight.pop(future))
            outcome = future.result()
            self.apply(outcome)
            if not once:
                self.due[outcome.feed.url] = time.monotonic() + self._delay(outcome)

    def _time_to_next_due(self) -> float:
        soonest = min(self.due.values(), default=math.inf)
        # Short waits: a feed blocked only by host politeness becomes startable without a due.
        return max(0.01, min(soonest - time.monotonic(), IDLE_WAIT_S))

    def _delay(self, outcome: PollOutcome) -> float:
        state = self.states[outcome.feed.url]
        return next_delay(outcome.feed.interval_s, state.failures,
                          self.settings.feeds_max_backoff_s,
                          retry_after_s=outcome.retry_after_s, rng=self.rng)

    def apply(self, outcome: PollOutcome) -> None:
        """Count, publish what is new, and only then save the feed's state."""
        feed, state = outcome.feed, self.states[outcome.feed.url]
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
            self._publish_new(outcome, state)
            if outcome.newest_post is not None:  # published: the next poll pages back to it
                state.last_post = outcome.newest_post
            state.etag = response.headers.get("etag")
            state.last_modified = response.headers.get("last-modified")
        if response.permanent_url and response.permanent_url != state.url:
            log.info("feed moved permanently to %s", response.permanent_url,
                     extra={"feed": feed.name})
            state.url = response.permanent_url
        state.failures = 0
        state.last_success = time.time()
        self.metrics.last_success.labels(feed.name).set(state.last_success)

    def _publish_new(self, outcome: PollOutcome, state: FeedState) -> None:
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
            log.info("published %d new entries", published, extra={"feed": name})

    def _apply_failure(self, outcome: PollOutcome, state: FeedState) -> None:
        state.failures += 1
        feed = outcome.feed
        parked = is_parked(feed.interval_s, state.failures, self.settings.feeds_max_backoff_s)
        log.warning("feed poll failed (%s, %d in a row%s): %s", outcome.result, state.failures,
                    ", parked at max backoff" if parked else "", outcome.error,
                    extra={"feed": feed.name})
