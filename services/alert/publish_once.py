"""The alert ids already published, remembered for a window of event time (publish-once).

A changelog-backed table keyed by alert id, co-partitioned with the candidates topic:
``id`` → [event time, partition]. The partition is kept in the value because a table entry
can only be deleted while processing an event of its own partition (its tombstone goes to that
changelog partition), and a rebuilt index must know where each entry lives. Entries written
before entries had a time (a bare string) have no known partition; their number is fixed, and
they stay.
"""

from __future__ import annotations

from collections.abc import MutableMapping

from vigie.shared.expiry import Expiry

EXPIRED_PER_RECORD = 4  # a record adds one entry; deleting up to four drains any backlog


class PublishedIds:
    def __init__(self, table: MutableMapping[str, object], window_s: float) -> None:
        self.table = table
        self.expiry = Expiry(window_s)
        self.size = 0  # entries in the table (counted: len() of a rocksdb table reads it all)
        self._stale = True  # the table may hold entries the expiry order does not

    def mark_stale(self) -> None:
        """The table changed behind our back (a table recovery): re-read it first."""
        self._stale = True

    def seen(self, alert_id: str, at: float) -> bool:
        """Whether ``alert_id`` was published within the window before ``at``."""
        self._keep_in_step()
        self.expiry.observe(at)
        value = self.table.get(alert_id)
        if value is None:
            return False
        return not isinstance(value, list) or self.expiry.is_live(value[0])

    def record(self, alert_id: str, at: float, partition: int) -> None:
        """Remember a published alert id; forget a few that left the window (same partition:
        the current event's, which alone may be written)."""
        if alert_id not in self.table:
            self.size += 1
        self.table[alert_id] = [at, partition]
        self.expiry.track(partition, at, alert_id)
        for key in self.expiry.due(partition, EXPIRED_PER_RECORD):
            value = self.table.get(key)
            if isinstance(value, list) and not self.expiry.is_live(value[0]):
                del self.table[key]
                self.size -= 1

    def _keep_in_step(self) -> None:
        """After a recovery, re-read the table (a few dozen bytes per alert id, a pass of
        milliseconds for thousands, so in one go)."""
        if not self._stale:
            return
        self.expiry.reset()
        entries = list(self.table.items())
        for key, value in entries:
            if isinstance(value, list):
                self.expiry.observe(value[0])
                self.expiry.track(value[1], value[0], key)
        self.size = len(entries)
        self._stale = False
