"""The ingest service: folders and feeds in, RawArticle to the raw topic.

``serve`` is the long-running service (watched folders and feeds in one process, one metrics
endpoint); ``files`` and ``feeds`` are the one-shot or single-source variants of the CLI.
"""

from __future__ import annotations

import logging
import threading
from contextlib import contextmanager
from pathlib import Path
from typing import NamedTuple

from prometheus_client import CollectorRegistry

from vigie.shared.config import ConfigError
from vigie.shared.kafka import ensure_topics
from vigie.shared.reach import wait_for_kafka
from vigie.shared.service import start_service, stop_on_signals

from .feeds.callback import PATH as CALLBACK_PATH
from .feeds.callback import Callbacks
from .folders import FolderIngest
from .metrics import IngestMetrics
from .publisher import Publisher
from .settings import IngestSettings
from .state_topic import StateTopic

log = logging.getLogger(__name__)


class Running(NamedTuple):
    metrics: IngestMetrics
    stop: threading.Event
    callbacks: Callbacks | None  # the WebSub callback, on a command that keeps running


@contextmanager
def _running(settings: IngestSettings, *, serving: bool = True):
    """Signal handling and the topics, for the life of the command, and the HTTP server
    (metrics, health, the WebSub callback) for a command that keeps running: a one-shot run
    (``files`` without ``--watch``, ``feeds --once``) needs none, and must not fail because
    ``make run``'s ingest holds the port."""
    metrics = IngestMetrics(CollectorRegistry())
    callbacks = Callbacks(metrics) if serving else None
    server = start_service(settings, metrics.registry, settings.ingest_metrics_port,
                           request_routes={CALLBACK_PATH: callbacks.route},
                           max_body=settings.feeds_max_bytes) if serving else None
    wait_for_kafka(settings)
    ensure_topics(settings)
    try:
        yield Running(metrics, stop_on_signals(), callbacks)
    finally:
        if server is not None:
            server.stop()


def _folder_ingest(settings, paths, metrics, *, watch: bool) -> FolderIngest:
    """Folders to ingest; a watch keeps what it published in the watch state topic."""
    publisher = Publisher(settings, metrics,
                          delivery_timeout_ms=settings.ingest_delivery_timeout_s * 1000)
    state = None
    if watch:
        state = StateTopic(settings, settings.ingest_watch_state_topic)
        state.ensure()
    return FolderIngest([Path(p) for p in paths], publisher, metrics,
                        settings.ingest_max_file_bytes, state)


def run_files(settings: IngestSettings, paths: list[str], *, watch: bool) -> int:
    """Publish every file under ``paths``; with ``watch``, keep publishing new or changed files."""
    missing = [path for path in paths if not Path(path).exists()]
    if missing:
        raise ConfigError(f"no such file or folder: {', '.join(missing)}")
    with _running(settings, serving=watch) as (metrics, stop, _):
        ingest = _folder_ingest(settings, paths, metrics, watch=watch)
        try:
            if watch:
                ingest.watch(settings.ingest_watch_interval_s, stop)
            else:
                log.info("published %d article(s)", ingest.scan())
        finally:
            ingest.close()
    return 0


def run_feeds(settings: IngestSettings, feeds_path: str, *, once: bool) -> int:
    """Poll the feeds listed in ``feeds_path`` (see ``vigie.ingest.feeds``)."""
    from . import feeds

    feeds.load(settings, feeds_path)  # every mistake in the list is told before connecting
    with _running(settings, serving=not once) as (metrics, stop, callbacks):
        feeds.run(settings, feeds_path, once=once, metrics=metrics, stop_event=stop,
                  callbacks=callbacks)
    return 0


def feeds_status(settings: IngestSettings, feeds_path: str) -> int:
    """Print each feed's way in (push or poll), interval and health."""
    from . import feeds

    feeds.load(settings, feeds_path)
    wait_for_kafka(settings)
    print(feeds.status(settings, feeds_path))
    return 0


def serve(settings: IngestSettings) -> int:
    """Watch ``VIGIE_INGEST_WATCH_DIRS`` and poll ``VIGIE_FEEDS_FILE`` until stopped."""
    from . import feeds

    if settings.feeds_file and not Path(settings.feeds_file).is_file():
        raise ConfigError(f"VIGIE_FEEDS_FILE: no such file: {settings.feeds_file}")
    if settings.feeds_file:
        feeds.load(settings, settings.feeds_file)  # told before connecting, as above
    with _running(settings) as (metrics, stop, callbacks):
        ingest = _folder_ingest(settings, [d for d in settings.ingest_watch_dirs
                                           if Path(d).exists()], metrics, watch=True)
        watcher = threading.Thread(
            target=ingest.watch, args=(settings.ingest_watch_interval_s, stop), daemon=True
        )
        watcher.start()
        try:
            if settings.feeds_file:
                feeds.run(settings, settings.feeds_file, once=False, metrics=metrics,
                          stop_event=stop, callbacks=callbacks)
            stop.wait()
        finally:
            stop.set()
            watcher.join()
            ingest.close()
    return 0
