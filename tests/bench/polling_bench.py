"""Adaptive polling against a fixed 60 s interval, on one simulated publishing pattern.

No network: a simulated clock, feeds publishing on a seeded pattern (a wire busy by day and
quiet at night, a daily outlet, a weekly blog, an alert source quiet for days then bursting),
and each policy's polls. The adaptive policy runs ingest's own rule (``adaptive``, with the
settings' defaults) and jitter (``schedule``) on the document a poll would see: the newest
entries published before it. An entry's delay is from its publication to the first poll after.
"""

from __future__ import annotations

import bisect
import random
import statistics

from vigie.ingest.feeds.adaptive import entry_frequency_interval
from vigie.ingest.feeds.schedule import next_delay
from vigie.ingest.settings import IngestSettings

HOUR, DAY = 3600.0, 86400.0
DOCUMENT_ENTRIES = 20  # a feed document holds its newest entries only
FIXED_S = 60.0


def publishing_pattern(days: int, seed: int = 11) -> dict[str, list[float]]:
    """Publication times (seconds from 0) of each simulated feed."""
    rng = random.Random(seed)

    def poisson(per_hour_at) -> list[float]:
        times, now = [], 0.0
        while now < days * DAY:
            rate = per_hour_at(now % DAY / HOUR) / HOUR
            now += rng.expovariate(rate) if rate else HOUR
            if rate:
                times.append(now)
        return times

    bursts = []
    for start in sorted(rng.uniform(0, days * DAY) for _ in range(max(1, days // 2))):
        bursts += [start + rng.uniform(0, 1800) for _ in range(5)]
    return {
        "wire": poisson(lambda h: 12 if 6 <= h < 22 else 2),
        "daily": poisson(lambda h: 1.25 if 6 <= h < 22 else 0),
        "blog": poisson(lambda h: 3 / (7 * 24)),
        "alerts": sorted(bursts),
    }


def simulate(times: list[float], end: float, next_interval) -> tuple[list[float], int]:
    """Delays of the entries published before ``end``, and the number of polls."""
    delays, polls, poll_at, seen = [], 0, 0.0, 0
    while poll_at < end:
        polls += 1
        published = bisect.bisect_right(times, poll_at)
        delays += [poll_at - t for t in times[seen:published]]
        seen = published
        document = times[max(0, published - DOCUMENT_ENTRIES):published]
        poll_at += next_interval(document, poll_at)
    return delays, polls


def measure(days: int = 14, seed: int = 11) -> dict:
    settings = IngestSettings.from_env({})
    rng = random.Random(seed)
    state = {"interval": settings.feeds_default_interval_s}

    def adaptive(document: list[float], now: float) -> float:
        found = entry_frequency_interval(
            document, factor=settings.feeds_entry_frequency_factor,
            min_s=settings.feeds_min_interval_s, max_s=settings.feeds_max_interval_s, now=now)
        state["interval"] = found or state["interval"]
        return next_delay(state["interval"], 0, settings.feeds_max_backoff_s, rng=rng)

    def fixed(document: list[float], now: float) -> float:
        return next_delay(FIXED_S, 0, settings.feeds_max_backoff_s, rng=rng)

    results: dict = {"days": days, "feeds": {}}
    totals = {"adaptive": ([], 0), "fixed_60s": ([], 0)}
    for name, times in publishing_pattern(days, seed).items():
        state["interval"] = settings.feeds_default_interval_s
        per_feed = {}
        for policy, rule in (("adaptive", adaptive), ("fixed_60s", fixed)):
            delays, polls = simulate(times, days * DAY, rule)
            per_feed[policy] = {"mean_delay_s": round(statistics.fmean(delays), 1),
                                "polls_per_day": round(polls / days, 1)}
            all_delays, all_polls = totals[policy]
            totals[policy] = (all_delays + delays, all_polls + polls)
        results["feeds"][name] = per_feed | {"entries": len(times)}
    for policy, (delays, polls) in totals.items():
        results[policy] = {"mean_delay_s": round(statistics.fmean(delays), 1),
                           "polls_per_day": round(polls / days, 1)}
    return results
