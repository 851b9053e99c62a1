"""Settings of every faust worker (enrich, alert)."""

from __future__ import annotations

import dataclasses

from ..config import KafkaSettings, setting


@dataclasses.dataclass(frozen=True, repr=False)
class StreamSettings(KafkaSettings):
    """Settings of every faust worker."""

    @property
    def dedup_window_s(self) -> float:
        return self.dedup_window_days * 86_400

    faust_data_dir: str = setting(".vigie/faust", "where workers keep table state (per app id)")
    dedup_window_days: float = setting(
        7.0, "how long, in event time, an article counts for deduplication (enrich) and an alert"
             " id for publish-once (alert); older table entries are deleted"
    )
    faust_table_store: str = setting(
        "memory://", "where workers keep tables between changelog writes: memory:// (a"
                     " take-over replays the compacted changelog) or rocksdb:// (the rocksdb"
                     " extra: pip install 'vigie[rocksdb]')"
    )
    faust_session_timeout_s: float = setting(
        15.0, "how long the group waits for a silent worker before moving its partitions"
    )
    faust_batch_size: int = setting(32, "articles taken per batch")
    faust_batch_within_s: float = setting(
        0.03, "longest wait to fill a batch, counted from the end of the one before: it adds to"
              " every article's latency at light load; under a backlog batches fill at once"
    )
    faust_read_stall_s: float = setting(
        30.0, "a worker idle this long (no agent at work, nothing queued, no offset moving)"
              " while records wait for it seeks back to its committed offsets and reads again"
    )
    faust_partition_stall_s: float = setting(
        300.0, "a partition whose records wait beyond a committed offset that has not moved for"
               " this long, whatever the cause, counts in vigie_<service>_stalled_partitions"
               " (alert VigiePartitionStalled)"
    )
    faust_recovery_stall_s: float = setting(
        120.0, "a worker whose table recovery waits this long without receiving a changelog"
               " record, or whose start (group join, recovery) makes no progress in this time,"
               " exits with status 70, to be restarted"
    )
    faust_allow_untested: bool = setting(
        False, "run on faust-streaming, aiokafka or mode-streaming versions other than the"
               " tested ones (Vigie patches their internals: see shared/streams/faust_internals.py)"
    )
