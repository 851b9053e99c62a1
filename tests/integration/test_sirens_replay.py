"""The official air-raid channel, end to end on the real broker: the siren periods of
``tests/data/sirens/official_sample.csv`` (official ground truth) served as the channel's posts
by a local t.me-shaped server, read by ingest, then enrich and alert as real processes.

Every period must come out as one incident of its place (the oblast's ISO 3166-2 code; the
raion or hromada where the row names one), starting and ending within 60 s of the official
times, and no other incident may open. Read once as a backfill (every post at once) and once
live (posts appearing while ingest polls), the two runs must give the same incidents: event
time, not the worker's clock, decides them.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import time

import pytest
import yaml

from vigie.shared.broker import free_port
from vigie.shared.messages import Incident, decode
from vigie.shared.timestamps import parse_time

from ..channel_server import (
    ChannelServer,
    Period,
    Post,
    edited,
    end_post,
    multi_place_post,
    partial_end_post,
    period_posts,
    probe_post,
    read_periods,
    start_post,
)
from .faults import wait_until
from .helpers import read_topic, run_vigie, start_vigie
from .workers import running

pytestmark = pytest.mark.integration

CHANNEL = "air_alert_ua"
TOLERANCE_S = 60
# ISO 3166-2 codes of the oblasts in the sample, written out here rather than taken from the
# code under test.
ISO = {
    "Вінницька область": "UA-05", "Волинська область": "UA-07",
    "Дніпропетровська область": "UA-12", "Донецька область": "UA-14",
    "Житомирська область": "UA-18", "Запорізька область": "UA-23",
    "Івано-Франківська область": "UA-26", "м. Київ": "UA-30", "Київська область": "UA-32",
    "Кіровоградська область": "UA-35", "Львівська область": "UA-46",
    "Миколаївська область": "UA-48", "Одеська область": "UA-51", "Полтавська область": "UA-53",
    "Рівненська область": "UA-56", "Сумська область": "UA-59",
    "Тернопільська область": "UA-61", "Харківська область": "UA-63",
    "Херсонська область": "UA-65", "Хмельницька область": "UA-68",
    "Черкаська область": "UA-71", "Чернігівська область": "UA-74",
}
KIND = {"oblast": {"region", "city"}, "raion": {"district"}, "hromada": {"community"}}


@dataclasses.dataclass(frozen=True)
class Expected:
    """An incident the posts must give: its place and official start and end (None: open)."""

    oblast: str
    place: str
    level: str
    started_at: dt.datetime
    finished_at: dt.datetime | None


def channel_posts() -> tuple[list[Post], list[Expected]]:
    """The CSV's periods as posts, then the channel's other kinds of post, each with the
    incidents it must give: a partial end (🟡: the oblast clear, a raion and a hromada still
    under alert, cleared later by one multi-place post), a multi-place start and end, a start
    edited after it was posted, and the channel's test post (no incident)."""
    periods = read_periods()
    posts = period_posts(periods)
    expected = [_expected(period) for period in periods]
    after, next_id = posts[-1].time + dt.timedelta(minutes=10), posts[-1].id + 1

    def at(minutes: int) -> dt.datetime:
        return after + dt.timedelta(minutes=minutes)

    oblast, still = "Дніпропетровська область", ["Нікопольський район",
                                                 "м. Нікополь та Нікопольська територіальна громада"]
    south = ["Мелітопольський район", "Василівський район"]
    kharkiv = start_post(next_id + 6, at(20), "Харківська обл")
    posts += [
        start_post(next_id, at(0), oblast),
        partial_end_post(next_id + 1, at(5), oblast, still),
        multi_place_post(next_id + 2, at(9), still, start=False),
        multi_place_post(next_id + 3, at(10), south, start=True),
        multi_place_post(next_id + 4, at(15), south, start=False),
        probe_post(next_id + 5, at(16)),
        edited(kharkiv, start_post(kharkiv.id, kharkiv.time, "Харківська область").lines),
        end_post(next_id + 7, at(30), "Харківська область"),
    ]
    expected += [
        Expected(oblast, oblast, "oblast", at(0), at(5)),
        Expected(oblast, still[0], "raion", at(5), at(9)),
        Expected(oblast, still[1], "hromada", at(5), at(9)),
        *(Expected("Запорізька область", raion, "raion", at(10), at(15)) for raion in south),
        Expected("Харківська область", "Харківська область", "oblast", at(20), at(30)),
    ]
    return posts, expected


def _expected(period: Period) -> Expected:
    return Expected(period.oblast, period.place, period.level, period.started_at,
                    period.finished_at)


def feeds_file(tmp_path, name: str) -> str:
    path = tmp_path / f"{name}.yaml"
    entry = {"name": CHANNEL, "telegram": CHANNEL, "timezone": "Europe/Kyiv", "language": "uk"}
    path.write_text(yaml.safe_dump({"feeds": [entry]}), encoding="utf-8")
    return str(path)


def own_topics(settings, tag: str):
    """The same broker, topics of this run's own (and so its own worker groups)."""
    names = {field: f"{getattr(settings, field)}-{tag}"
             for field in ("topic_raw", "topic_enriched", "topic_alerts", "topic_incidents",
                           "topic_dlq")}
    return dataclasses.replace(settings, **names)


def incidents(settings, expect: int) -> dict[str, Incident]:
    """The latest record of each incident once ``expect`` of them are in their final state."""
    latest: dict[str, Incident] = {}

    def settled() -> bool:
        for record in read_topic(settings, settings.topic_incidents, timeout=20, idle=3):
            incident = decode(record.value, Incident)
            latest[incident.id] = incident
        return len(latest) >= expect and all(_final(i) for i in latest.values())

    wait_until(settled, timeout=600, what=f"{expect} incidents in their final state")
    return latest


def _final(incident: Incident) -> bool:
    return incident.status == "closed"


def matching(incident: Incident, want: Expected) -> bool:
    place = incident.place
    if place is None or place.region != ISO[want.oblast] or place.kind not in KIND[want.level]:
        return False
    if want.level != "oblast" and place.local_name != want.place:
        return False
    return abs((parse_time(incident.started_at) - want.started_at).total_seconds()) <= TOLERANCE_S


def check(found: dict[str, Incident], expected: list[Expected]) -> None:
    """Each expected period is exactly one incident with its times; no other incident."""
    unmatched = dict(found)
    for want in expected:
        hits = [key for key, incident in unmatched.items() if matching(incident, want)]
        assert len(hits) == 1, f"{want}: {len(hits)} incidents " \
                               f"{[found[h] for h in hits] or ''}"
        incident = unmatched.pop(hits[0])
        assert (incident.status, incident.closed_by, incident.rule.id) == (
            "closed", "report", "air-raid"), incident
        ended = parse_time(incident.ended_at)
        assert abs((ended - want.finished_at).total_seconds()) <= TOLERANCE_S, (want, incident)
    assert not unmatched, f"incidents no period gives: {list(unmatched.values())}"


def summary(found: dict[str, Incident]) -> set[tuple]:
    """What must not depend on how the posts were read."""
    return {(i.id, i.place.name if i.place else None, i.started_at, i.ended_at, i.status,
             i.closed_by) for i in found.values()}


def test_every_siren_period_is_one_incident_with_its_true_start_and_end_backfill_or_live(
        kafka_settings, tmp_path):
    posts, expected = channel_posts()
    results = {}
    for mode in ("backfill", "live"):
        settings = own_topics(kafka_settings, mode)
        workdir = tmp_path / mode
        workdir.mkdir()
        with ChannelServer({CHANNEL: [] if mode == "live" else posts}) as channel, \
                running(settings, workdir, ("enrich",), ("alert",),
                        VIGIE_INCIDENT_UPDATE_MIN_S="1"):
            env = {"VIGIE_TELEGRAM_BASE_URL": channel.base_url,
                   "VIGIE_FEEDS_STATE_TOPIC": settings.topic_raw + ".feed-state"}
            if mode == "backfill":
                done = run_vigie(settings, "ingest", "feeds", feeds_file(workdir, mode),
                                 "--once", **env)
                assert done.returncode == 0, done.stderr
            else:
                live(settings, workdir, channel, posts, env)
            found = incidents(settings, expect=len(expected))
        check(found, expected)
        results[mode] = summary(found)
    assert results["live"] == results["backfill"]


def live(settings, workdir, channel: ChannelServer, posts: list[Post], env: dict) -> None:
    """Ingest polling the channel while its posts appear a few at a time. The edited post
    appears first as it was written; it is edited once ingest has published that draft."""
    ingest = start_vigie(settings, "ingest", "feeds", feeds_file(workdir, "live"),
                         log_path=workdir / "ingest.log", VIGIE_TELEGRAM_POLL_S="1",
                         VIGIE_INGEST_METRICS_PORT=str(free_port()), **env)
    try:
        for start in range(0, len(posts), 7):
            batch = posts[start:start + 7]
            channel.add(CHANNEL, *(dataclasses.replace(post, lines=_first_draft(post),
                                                       edited=False) for post in batch))
            published = start + len(batch)
            for post in (post for post in batch if post.edited):
                wait_until(lambda: _raw_count(settings) >= published, timeout=300,  # noqa: B023
                           what="the draft of the edited post in the raw topic")
                channel.edit(CHANNEL, post.id, post.lines)
            time.sleep(0.3)  # posts keep appearing between polls
            assert ingest.poll() is None, "ingest stopped"
        wait_until(lambda: _raw_count(settings) >= len(posts) + 1, timeout=300,
                   what="every post (and the edit) in the raw topic")
    finally:
        ingest.terminate()
        ingest.wait(60)


def _first_draft(post: Post) -> tuple[str, ...]:
    return tuple(line.replace("Харківська область", "Харківська обл") for line in post.lines) \
        if post.edited else post.lines


def _raw_count(settings) -> int:
    return len(read_topic(settings, settings.topic_raw, timeout=20, idle=2))
