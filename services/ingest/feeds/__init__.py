"""RSS/Atom feed ingest: a feed list polled politely, new entries published as RawArticle.

The flow reads as its modules: ``feedlist`` (and ``opml``) → ``schedule`` (and ``adaptive``)
→ ``fetch`` → ``parse`` → publish → ``state``: ``poll_feed`` is one poll of one feed,
``poll_loop`` runs the polls and publishes. WebSub push is ``websub`` (the protocol's rules),
``callback`` (the HTTP endpoint), ``hub_client`` (the subscription request) and ``push``
(their place in the loop). Entry points:

- ``run(settings, feeds_path, once=..., metrics=..., stop_event=None, callbacks=None)`` for
  ``vigie ingest feeds FEEDS.yaml [--once]``;
- ``status(settings, feeds_path)`` for ``vigie ingest feeds --status``;
- ``opml_to_yaml(opml_path)`` for ``vigie feeds import FILE.opml``;
- ``load(settings, path)`` (or ``load_feed_list(path, ...)``) to validate a feed list without
  polling.
"""

from __future__ import annotations

import logging
import threading

from vigie.shared.kafka import ensure_topics

from ..metrics import IngestMetrics
from ..publisher import Publisher
from ..settings import IngestSettings
from .callback import Callbacks
from .errors import FeedError, FeedListError, FetchError, ParseError, UnsafeURLError
from .feedlist import ChannelDefaults, FeedConfig, load_feed_list
from .fetch import FetchLimits
from .opml import opml_to_yaml
from .poll_loop import Poller
from .push import PushAgent
from .state import StateStore
from .status import status

log = logging.getLogger(__name__)

__all__ = [
    "FeedConfig", "FeedError", "FeedListError", "FetchError", "ParseError", "UnsafeURLError",
    "Callbacks", "load", "load_feed_list", "opml_to_yaml", "run", "status",
]


def load(settings: IngestSettings, feeds_path: str) -> list[FeedConfig]:
    """The feed list of ``feeds_path``, validated against the settings (intervals, allowed
    networks, channels); raises FeedListError naming each bad entry and field, or ConfigError."""
    settings.network_policy  # noqa: B018 - raises ConfigError for a bad allow-list
    return load_feed_list(feeds_path, default_interval_s=settings.feeds_default_interval_s,
                          min_interval_s=settings.feeds_min_interval_s,
                          channels=ChannelDefaults.from_settings(settings))


def run(settings: IngestSettings, feeds_path: str, *, once: bool, metrics: IngestMetrics,
        stop_event: threading.Event | None = None, callbacks: Callbacks | None = None) -> None:
    """Poll the feeds of ``feeds_path`` until ``stop_event`` is set, or each once if ``once``;
    with ``callbacks`` (served on ingest's HTTP server) and ``VIGIE_WEBSUB_CALLBACK_URL``,
    subscribe to the hubs the feeds name and publish what they push.

    Raises FeedListError (naming each bad entry and field) before touching the network.
    """
    feeds = load(settings, feeds_path)
    ensure_topics(settings, {settings.topic_raw: settings.topic_partitions})
    store = StateStore(settings)
    store.topic.ensure()
    states = store.load()
    publisher = Publisher(settings, metrics)
    log.info("polling %d feeds%s", len(feeds), " once" if once else "",
             extra={"feeds_file": str(feeds_path)})
    try:
        push = None
        if callbacks is not None and settings.websub_callback_url and not once:
            push = PushAgent(settings, metrics, callbacks, FetchLimits.from_settings(settings),
                             store)
        Poller(feeds, states, settings, metrics, publisher, store, push=push).run(
            once=once, stop_event=stop_event)
    finally:
        try:
            publisher.close()
        finally:
            store.close()
