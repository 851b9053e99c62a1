"""The push path: a WebSub hub's POST to ingest's callback → the alert on the alerts topic.

A hub and a feed naming it on 127.0.0.1 (``tests.websub_hub``), a real ``vigie ingest feeds``
serving the callback, one enrich and one alert worker. Once an alert comes out (the workers
are up), entries are pushed one at a time; each one's delay is from the moment the hub sent
it to the alert's ``detected_at``.
"""

from __future__ import annotations

import datetime as dt
import subprocess
import time
from pathlib import Path

import yaml

from tests.integration.helpers import start_vigie
from tests.local_http import LocalServer, reply
from tests.websub_hub import Hub, atom, entry_guid
from vigie.shared.broker import free_port
from vigie.shared.ids import article_id
from vigie.shared.timestamps import format_time

from . import corpus
from .kafka_io import bench_settings
from .latency_bench import TopicReader, percentiles, seconds
from .workers import WorkerFailed, running, wait_until


def measure(bootstrap: str, workdir: Path, pushes: int) -> dict:
    settings = bench_settings(bootstrap, "push")
    folder = workdir / "push"
    folder.mkdir(parents=True, exist_ok=True)
    reader = TopicReader(settings, settings.topic_alerts)
    reader.start()
    try:
        with Hub() as hub, LocalServer() as server, running(settings, folder, "enrich",
                                                             "alert") as procs:
            feed_url = server.url("/feed.xml")
            server.routes["/feed.xml"] = lambda handler: reply(
                handler, 200, atom(feed_url, hub.url, []), {"Content-Type": "application/xml"})
            ingest = _start_ingest(settings, folder, feed_url)
            try:
                wait_until(lambda: _alive(ingest) and bool(hub.verified()), procs, timeout=120,
                           what="the hub's verified subscription")
                sent = _push(hub, feed_url, reader, procs, pushes)
            finally:
                ingest.terminate()
                ingest.wait(60)
    finally:
        reader.halt.set()
        reader.join(5)
    by_id = {alert["article"]["id"]: alert for alert, _, _ in reader.seen}
    delays = [(seconds(by_id[pushed]["detected_at"]) - at) * 1000
              for pushed, at in sent.items() if pushed in by_id]
    return percentiles(delays) | {"pushes": len(sent)}


def _start_ingest(settings, folder: Path, feed_url: str) -> subprocess.Popen:
    port = free_port()
    feeds = folder / "feeds.yaml"
    feeds.write_text(yaml.safe_dump({"feeds": [
        {"url": feed_url, "name": "Pushed", "interval": "1h", "full_text": "never"}]}))
    return start_vigie(settings, "ingest", "feeds", str(feeds), log_path=folder / "ingest.log",
                       VIGIE_INGEST_METRICS_PORT=str(port),
                       VIGIE_WEBSUB_CALLBACK_URL=f"http://127.0.0.1:{port}",
                       VIGIE_FEEDS_STATE_TOPIC=settings.topic_raw + ".feed-state")


def _alive(process: subprocess.Popen) -> bool:
    if process.poll() is not None:
        raise WorkerFailed(f"vigie ingest feeds exited ({process.returncode})")
    return True


def _push(hub: Hub, feed_url: str, reader: TopicReader, procs, pushes: int) -> dict[str, float]:
    """Warm-up pushes until an alert comes out, then ``pushes`` timed ones, each waited for;
    returns each timed entry's article id → when the hub sent it (Unix seconds). Every entry
    is a distinct article with an alert phrase (``corpus``): no near duplicate is suppressed."""
    articles = iter(corpus.generate(pushes + 80, seed=21, alert=True, prefix="push"))

    def send() -> tuple[str, float]:
        article = next(articles)
        updated = format_time(dt.datetime.now(dt.timezone.utc))
        document = atom(feed_url, hub.url, [(article.name, article.title, article.text)],
                        updated=updated)
        at = time.time()
        if hub.publish(document) != [200]:
            raise WorkerFailed("the callback refused a signed push")
        return article_id("feed", feed_url, entry_guid(article.name)), at

    def alerted() -> bool:
        if not reader.seen:
            send()
        return bool(reader.seen)

    wait_until(alerted, procs, timeout=240, what="the first pushed alert", every=3)
    wait_until(lambda: reader.idle_for() > 5, procs, timeout=120, what="warm-up alerts")
    sent = {}
    for _ in range(pushes):
        pushed, at = send()
        sent[pushed] = at
        wait_until(lambda p=pushed: any(a["article"]["id"] == p for a, _, _ in reader.seen),
                   procs, timeout=60, what="the alert of a push", every=0.05)
    return sent
