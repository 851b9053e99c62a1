"""When to poll each feed next: interval with jitter, exponential backoff, host politeness.

Pure functions and a small clock-driven table, so every rule is unit-tested without sleeping.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

JITTER = 0.1  # ±10 %: feeds that start together drift apart instead of polling in lockstep
MAX_DOUBLINGS = 30


def next_delay(interval_s: float, failures: int, max_backoff_s: float, *,
               retry_after_s: float | None = None, rng: random.Random | None = None) -> float:
    """Seconds until the next poll.

    Healthy: the interval. After ``n`` failures in a row: interval × 2ⁿ, capped at
    ``max_backoff_s`` (a feed that keeps failing is parked there, never dropped). A server's
    Retry-After is honoured when it asks for longer, within the same cap. Jitter is applied
    last and never pushes past the cap.
    """
    rng = rng or random
    base = interval_s * 2 ** min(failures, MAX_DOUBLINGS) if failures > 0 else interval_s
    base = max(base, retry_after_s or 0.0)
    capped = min(base, max(max_backoff_s, interval_s))
    jittered = capped * (1 + rng.uniform(-JITTER, JITTER))
    return min(jittered, max(max_backoff_s, interval_s))


def is_parked(interval_s: float, failures: int, max_backoff_s: float) -> bool:
    """True once backoff has reached its cap: the feed is retried only at max backoff."""
    return failures > 0 and interval_s * 2 ** min(failures, MAX_DOUBLINGS) >= max_backoff_s


def first_delay(interval_s: float, rng: random.Random | None = None) -> float:
    """Spread the first polls of a long-running service over a tenth of each interval."""
    return (rng or random).uniform(0, JITTER * interval_s)


@dataclass
class HostGate:
    """Per-host politeness: one request in flight per host, and a minimum gap between them."""

    delay_s: float
    busy: set[str] = field(default_factory=set)
    next_allowed: dict[str, float] = field(default_factory=dict)

    def can_start(self, host: str, now: float) -> bool:
        return host not in self.busy and now >= self.next_allowed.get(host, 0.0)

    def started(self, host: str, now: float) -> None:
        self.busy.add(host)
        self.next_allowed[host] = now + self.delay_s

    def finished(self, host: str) -> None:
        self.busy.discard(host)
