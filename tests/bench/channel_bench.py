"""The official channel's path: a post appearing on a Telegram channel → its incident record.

A t.me-shaped channel on 127.0.0.1 (``tests.channel_server``), a real ``vigie ingest feeds``
polling it every ``poll_s`` seconds, one enrich and one alert worker. Once a first incident
comes out (the workers are up), start posts (🔴, each for another oblast, so each opens an
incident) appear one at a time, each waited for and posted at a random moment of the poll
cycle; a post's delay runs from the moment it appeared on the channel to the arrival of its
incident's ``open`` record on the incidents topic. The goal: p95 within the poll interval + 2 s.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import itertools
import random
import subprocess
import time
from pathlib import Path

import yaml

from tests.channel_server import ChannelServer, start_post
from tests.integration.helpers import start_vigie
from vigie.shared.broker import free_port
from vigie.shared.kafka import ensure_topics

from .kafka_io import bench_settings
from .latency_bench import TopicReader, percentiles
from .workers import WorkerFailed, running, wait_until

CHANNEL = "air_alert_ua"
OBLASTS = ["Донецька область", "Харківська область", "Сумська область", "Одеська область",
           "Миколаївська область", "Херсонська область", "Запорізька область",
           "Дніпропетровська область", "Полтавська область", "Чернігівська область",
           "Київська область", "Житомирська область"]


def measure(bootstrap: str, workdir: Path, posts: int, poll_s: float) -> dict:
    tag = f"channel-{poll_s:g}s"
    settings = bench_settings(bootstrap, tag)
    settings = dataclasses.replace(settings, topic_incidents=f"bench-{tag}.incidents")
    ensure_topics(settings, {settings.topic_incidents: settings.topic_partitions})
    folder = workdir / tag
    folder.mkdir(parents=True, exist_ok=True)
    reader = TopicReader(settings, settings.topic_incidents)
    reader.start()
    try:
        with ChannelServer({CHANNEL: []}) as channel, running(settings, folder, "enrich",
                                                             "alert") as procs:
            ingest = _start_ingest(settings, folder, channel, poll_s)
            try:
                delays = _post(channel, reader, procs, ingest, posts, poll_s)
            finally:
                ingest.terminate()
                ingest.wait(60)
    finally:
        reader.halt.set()
        reader.join(5)
    return percentiles([d * 1000 for d in delays]) | {"posts": len(delays), "poll_s": poll_s}


def _start_ingest(settings, folder: Path, channel: ChannelServer,
                  poll_s: float) -> subprocess.Popen:
    feeds = folder / "feeds.yaml"
    feeds.write_text(yaml.safe_dump({"feeds": [
        {"name": CHANNEL, "telegram": CHANNEL, "timezone": "Europe/Kyiv", "language": "uk"}]},
        allow_unicode=True), encoding="utf-8")
    return start_vigie(settings, "ingest", "feeds", str(feeds), log_path=folder / "ingest.log",
                       VIGIE_TELEGRAM_BASE_URL=channel.base_url,
                       VIGIE_TELEGRAM_POLL_S=f"{poll_s:g}", VIGIE_INGEST_METRICS_PORT=str(free_port()),
                       VIGIE_FEEDS_STATE_TOPIC=settings.topic_raw + ".feed-state")


def _post(channel: ChannelServer, reader: TopicReader, procs, ingest: subprocess.Popen,
          posts: int, poll_s: float) -> list[float]:
    """A warm-up post, then ``posts`` timed ones, one at a time, each at a random moment of
    the poll cycle (posting right after the last incident came out would always post just
    after a poll, the worst case); each one's delay (s)."""
    pause = random.Random(31)
    if posts >= len(OBLASTS):  # a second start for an open oblast would open nothing
        raise ValueError(f"at most {len(OBLASTS) - 1} posts")
    ids, delays = itertools.count(1000), []
    for n, oblast in enumerate(OBLASTS[:posts + 1]):
        moment = dt.datetime.now(dt.timezone.utc).replace(microsecond=0)
        appeared = time.monotonic()
        channel.add(CHANNEL, start_post(next(ids), moment, oblast))
        started = moment.strftime("%Y-%m-%dT%H:%M:%S")

        def opened(started=started) -> bool:
            if ingest.poll() is not None:
                raise WorkerFailed(f"vigie ingest feeds exited ({ingest.returncode})")
            return any(record["started_at"].startswith(started) and record["status"] == "open"
                       for record, _, _ in reader.seen)

        wait_until(opened, procs, timeout=240 if n == 0 else 60,
                   what="the incident of a channel post", every=0.05)
        if n:  # the first one waited for the workers to start
            arrived = next(at for record, _, at in reader.seen
                           if record["started_at"].startswith(started))
            delays.append(arrived - appeared)
        # at least a second: the next post's time is another second, its own started_at
        time.sleep(1.0 + pause.uniform(0, poll_s))
    return delays
