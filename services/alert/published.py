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
        self._known_size = -1  # the table's size when the expiry order was last in step

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
        self.table[alert_id] = [at, partition]
        self.expiry.track(partition, at, alert_id)
        for key in self.expiry.due(partition, EXPIRED_PER_RECORD):
            value = self.table.get(key)
            if isinstance(value, list) and not self.expiry.is_live(value[0]):
                del self.table[key]
        self._known_size = len(self.table)

    def _keep_in_step(self) -> None:
        """After a recovery or a rebalance the table changed behind our back: re-read it (a
        few hundred bytes per alert id, a pass of milliseconds for thousands)."""
        if len(self.table) == self._known_size:
            return
        self.expiry.reset()
        for key, value in list(self.table.items()):
            if isinstance(value, list):
                self.expiry.observe(value[0])
                self.expiry.track(value[1], value[0], key)
        self._known_size = len(self.table)

    def __len__(self) -> int:
        return len(self.table)
