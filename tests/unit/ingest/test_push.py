"""The push agent's decisions on the loop's thread: when a subscription is made, asked for,
dropped, or falls back to polling. The hub's side is ``tests/integration/test_websub.py``."""

from __future__ import annotations

import pytest
from prometheus_client import CollectorRegistry

from vigie.ingest.feeds.callback import Callbacks
from vigie.ingest.feeds.feedlist import FeedConfig
from vigie.ingest.feeds.fetch import FetchLimits, FetchResponse
from vigie.ingest.feeds.hub_client import SubscribeOutcome, request_subscription
from vigie.ingest.feeds.parse import ParsedFeed
from vigie.ingest.feeds.poll_feed import PollOutcome
from vigie.ingest.feeds.push import PushAgent
from vigie.ingest.feeds.state import FeedState
from vigie.ingest.metrics import IngestMetrics
from vigie.ingest.settings import IngestSettings
from vigie.shared.metrics import Request

FEED = FeedConfig(url="https://blog.example.org/feed", name="Blog", interval_s=300)
HUB = [("hub", "https://hub.example.net/"), ("self", FEED.url)]


class Store:
    def __init__(self) -> None:
        self.saved: list[FeedState] = []

    def save(self, state: FeedState) -> None:
        self.saved.append(state)

    def flush(self) -> None:
        pass


@pytest.fixture
def agent() -> PushAgent:
    settings = IngestSettings.from_env({}, websub_callback_url="https://vigie.example.org:9101/")
    metrics = IngestMetrics(CollectorRegistry())
    agent = PushAgent(settings, metrics, Callbacks(metrics), FetchLimits(), Store())
    agent.start({FEED.url: FEED}, {FEED.url: FeedState.fresh(FEED.url)})
    return agent


def polled(links) -> PollOutcome:
    return PollOutcome(FEED, "ok", 0.1, FetchResponse(200, FEED.url),
                       ParsedFeed(entries=[], version="atom10", links=tuple(links)))


def hub_says(agent, state: FeedState, mode: str, **extra: str) -> int:
    """The hub's GET to the callback of ``state``'s subscription; returns the status."""
    query = {"hub.mode": mode, "hub.topic": FEED.url, "hub.challenge": "c", **extra}
    status, _ = agent.callbacks.route(Request("GET", state.websub["callback_id"], query, {},
                                              b""))
    return status


def fallbacks(agent, reason: str) -> float:
    return agent.metrics.registry.get_sample_value("vigie_ingest_websub_fallbacks_total",
                                                   {"reason": reason})


def subscribed(agent, state: FeedState, now: float = 1000.0) -> None:
    """Through discovery, the request and the hub's verification, to active."""
    agent.after_poll(FEED, state, polled(HUB), 0, now)
    [(function, args)], _ = agent.work({FEED.url: FEED}, {FEED.url: state}, now)
    assert function is request_subscription
    assert args[2] == f"https://vigie.example.org:9101/websub/{state.websub['callback_id']}"
    agent.applied(SubscribeOutcome(FEED.url, state.websub["callback_id"], "accepted"), FEED,
                  state, now)
    assert state.websub["status"] == "pending"
    assert hub_says(agent, state, "subscribe", **{"hub.lease_seconds": "600"}) == 200
    agent.work({FEED.url: FEED}, {FEED.url: state}, now)
    assert state.websub["status"] == "active" and state.websub["lease_ends"] == now + 600


def test_no_hub_no_subscription_and_no_callback_url_no_subscription(agent):
    state = FeedState.fresh(FEED.url)
    agent.after_poll(FEED, state, polled([]), 0)
    assert state.hub is None and state.websub is None
    agent.base = ""
    agent.after_poll(FEED, state, polled(HUB), 0)
    assert state.hub == "https://hub.example.net/" and state.websub is None


def test_renewed_halfway_through_a_short_lease_and_polled_at_once_when_it_ends(agent):
    state = FeedState.fresh(FEED.url)
    subscribed(agent, state)
    assert agent.work({FEED.url: FEED}, {FEED.url: state}, 1299.0) == ([], [])
    [(_, args)], poll_now = agent.work({FEED.url: FEED}, {FEED.url: state}, 1300.0)
    assert args[1].callback_id == state.websub["callback_id"] and poll_now == []
    agent.applied(SubscribeOutcome(FEED.url, args[1].callback_id, "accepted"), FEED, state,
                  1301.0)
    assert agent.work({FEED.url: FEED}, {FEED.url: state}, 1599.0) == ([], [])  # asked
    assert agent.work({FEED.url: FEED}, {FEED.url: state}, 1600.0) == ([], [FEED.url])
    assert state.websub["status"] == "expired" and fallbacks(agent, "expired") == 1


def test_a_renewal_the_hub_verifies_before_it_answers_is_renewed_again_later(agent):
    state = FeedState.fresh(FEED.url)
    subscribed(agent, state)
    [(_, args)], _ = agent.work({FEED.url: FEED}, {FEED.url: state}, 1300.0)
    assert hub_says(agent, state, "subscribe", **{"hub.lease_seconds": "600"}) == 200
    agent.work({FEED.url: FEED}, {FEED.url: state}, 1301.0)
    agent.applied(SubscribeOutcome(FEED.url, args[1].callback_id, "accepted"), FEED, state,
                  1302.0)
    assert state.websub["status"] == "active" and state.websub["lease_ends"] == 1901.0
    [(function, _)], _ = agent.work({FEED.url: FEED}, {FEED.url: state}, 1601.0)
    assert function is request_subscription


def test_an_entry_a_poll_finds_that_push_never_brought_means_back_to_polling(agent):
    state = FeedState.fresh(FEED.url)
    subscribed(agent, state)
    agent.after_poll(FEED, state, polled(HUB), 0, 2000.0)
    assert state.websub["status"] == "active"
    agent.after_poll(FEED, state, polled(HUB), 2, 2000.0)
    assert state.websub["status"] == "missed_entry" and fallbacks(agent, "missed_entry") == 1
    # asked for again after VIGIE_WEBSUB_RETRY_S
    retry = 2000.0 + agent.settings.websub_retry_s
    assert agent.work({FEED.url: FEED}, {FEED.url: state}, retry - 1) == ([], [])
    [(function, _)], _ = agent.work({FEED.url: FEED}, {FEED.url: state}, retry)
    assert function is request_subscription


def test_a_hub_that_denies_or_refuses_leaves_the_feed_polled(agent):
    state = FeedState.fresh(FEED.url)
    subscribed(agent, state)
    assert hub_says(agent, state, "denied", **{"hub.reason": "over quota"}) == 200
    assert agent.work({FEED.url: FEED}, {FEED.url: state}, 3000.0) == ([], [FEED.url])
    assert state.websub["status"] == "refused"
    other = FeedState.fresh(FEED.url)
    agent.after_poll(FEED, other, polled(HUB), 0, 10.0)
    agent.work({FEED.url: FEED}, {FEED.url: other}, 10.0)
    assert agent.applied(SubscribeOutcome(FEED.url, other.websub["callback_id"], "refused",
                                          "HTTP 400"), FEED, other, 11.0) == []
    assert other.websub["status"] == "refused" and fallbacks(agent, "refused") == 2


def test_a_feed_naming_another_hub_gets_a_new_subscription_and_the_old_one_is_forgotten(
        agent):
    state = FeedState.fresh(FEED.url)
    subscribed(agent, state)
    old = FeedState.fresh(FEED.url)
    old.websub = dict(state.websub)
    agent.after_poll(FEED, state, polled([("hub", "https://other-hub.example.com/")]), 0)
    assert state.websub["hub"] == "https://other-hub.example.com/"
    assert state.websub["callback_id"] != old.websub["callback_id"]
    assert state.websub["status"] == "new"
    assert hub_says(agent, old, "subscribe") == 404  # the old callback answers no more
