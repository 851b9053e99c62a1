"""Tables that forget: every key lives for a window of event time, then leaves with a tombstone.

The stateful agents (dedup, publish-once) keep each table entry with the event time of the
record that wrote it. Time is the stream's own, not the wall clock: the *watermark* is the
newest event time seen, and an entry is live while its time is within the window before the
watermark. So a replay or a backlog expires exactly what the live stream would have, and a
stream that stops also stops forgetting (its state stops growing too).

Why expiry runs inside the agent, a few keys per record, and not in a timer: a faust table
changes only during stream iteration (the changelog partition is the current event's), and a
few deletions per record keep pace with the insertions that made them due, so the table's size
follows the window without a burst of tombstones.
"""

from __future__ import annotations

import heapq
from collections.abc import Hashable

from .messages import InvalidMessage
from .timestamps import epoch

DAY_S = 86_400.0
# A record's claimed time may lie this far before its arrival, at most: a feed's wrong date
# must neither keep an entry forever (a date in the future) nor expire it at once (a date
# years back). min(1 day, half the window): an entry lives at least half the window.
MAX_CLAIMED_PAST_S = DAY_S


def clamped_time(claimed: str | None, received: str, window_s: float) -> float:
    """The time a record counts at in a window: the time it claims (a feed's ``published``),
    clamped to when Vigie received it (``ingested_at``, ``detected_at``: Vigie's own clock) and
    to a bounded past before that; the time received if it claims none."""
    arrival = epoch(received)
    if arrival is None:
        raise InvalidMessage(f"unreadable time of arrival: {received!r}")
    claimed_s = epoch(claimed)
    if claimed_s is None:
        return arrival
    oldest = arrival - min(MAX_CLAIMED_PAST_S, window_s / 2)
    return min(max(claimed_s, oldest), arrival)


class Expiry:
    """The watermark, and which keys fell out of the window, oldest first, per partition.

    ``track`` may see a key again with a newer time; callers check the key's current time
    before they delete it (``is_live``), so an entry rewritten since is kept.
    """

    def __init__(self, window_s: float) -> None:
        if window_s <= 0:
            raise ValueError("the window must be positive")
        self.window_s = window_s
        self.watermark = float("-inf")
        self._due: dict[int, list[tuple[float, Hashable]]] = {}

    def observe(self, at: float) -> None:
        self.watermark = max(self.watermark, at)

    def is_live(self, at: float | None) -> bool:
        """Whether an entry of time ``at`` is inside the window (an entry without time is not)."""
        return at is not None and at >= self.watermark - self.window_s

    def track(self, partition: int, at: float | None, key: Hashable) -> None:
        at = float("-inf") if at is None else at  # out of every window: due at once
        heapq.heappush(self._due.setdefault(partition, []), (at, key))

    def due(self, partition: int, limit: int) -> list[Hashable]:
        """Up to ``limit`` keys of ``partition`` whose tracked time left the window, popped."""
        heap = self._due.get(partition, [])
        keys = []
        while heap and len(keys) < limit and not self.is_live(heap[0][0]):
            keys.append(heapq.heappop(heap)[1])
        return keys

    def reset(self) -> None:
        """Forget every tracked key and the watermark (the table changed behind our back)."""
        self.watermark = float("-inf")
        self._due.clear()

    def __len__(self) -> int:
        return sum(len(heap) for heap in self._due.values())
