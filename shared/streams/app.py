"""Creating a faust app: raw bytes in and out, at-least-once, the corrections installed.

Delivery is at-least-once: faust flushes the producer before it commits offsets, so a crash
replays the last uncommitted batch, and the deterministic ids downstream absorb the repeats.
"""

from __future__ import annotations

import importlib.util
import inspect
from collections.abc import Awaitable, Callable, Iterable
from pathlib import Path

import faust

from ..config import ConfigError
from ..kafka import (
    MAX_MESSAGE_BYTES,
    commit_start_offsets,
    contract_topics,
    ensure_topics,
    faust_options,
)
from . import faust_internals
from .settings import StreamSettings

# Kafka refuses group session timeouts under its group.min.session.timeout.ms (6 s by default).
MIN_SESSION_TIMEOUT_S = 6.0
PRODUCER_LINGER_S = 0.005
STORES = ("memory://", "rocksdb://")
# Table changelogs roll a segment every 64 MiB rather than Kafka's 1 GiB: compaction cleans
# only rolled segments, so expired entries free the disk that much sooner. Their tombstones
# stay 10 minutes after a cleaning (not a day): a take-over replays every record left, and only
# a recovery slower than that could miss a deletion, whose entry would then expire again.
CHANGELOG_CONFIGS = {"segment.bytes": 64 * 1024 * 1024, "delete.retention.ms": 10 * 60 * 1000}
# RocksDB per table partition: 64 MiB of block cache and two 16 MiB write buffers, not faust's
# 2 GiB and three of 64 MiB, so that a worker's memory stays flat for months (make soak).
ROCKSDB_OPTIONS = {"block_cache_size": 64 * 1024 * 1024, "write_buffer_size": 16 * 1024 * 1024,
                   "max_write_buffer_number": 2}


def check_settings(settings: StreamSettings) -> None:
    """Refuse settings no worker can run on (a worker checks them before it connects)."""
    if settings.faust_session_timeout_s < MIN_SESSION_TIMEOUT_S:
        raise ConfigError(f"VIGIE_FAUST_SESSION_TIMEOUT_S must be at least {MIN_SESSION_TIMEOUT_S}"
                          " (the broker refuses shorter sessions)")
    if settings.faust_table_store not in STORES:
        raise ConfigError(f"VIGIE_FAUST_TABLE_STORE must be one of {', '.join(STORES)}")
    if settings.faust_table_store == "rocksdb://" and importlib.util.find_spec("rocksdict") is None:
        raise ConfigError("VIGIE_FAUST_TABLE_STORE=rocksdb:// needs the rocksdb extra:"
                          " pip install 'vigie[rocksdb]'")
    faust_internals.check_versions(settings.faust_allow_untested)


def make_app(settings: StreamSettings, app_id: str) -> faust.App:
    """A faust app that reads and writes raw bytes (the JSON contracts are ours to decode),
    on the tested faust versions with Vigie's corrections of its offset handling."""
    check_settings(settings)
    faust_internals.apply()
    datadir = Path(settings.faust_data_dir) / app_id
    datadir.parent.mkdir(parents=True, exist_ok=True)
    return faust.App(
        app_id,
        **faust_options(settings),
        datadir=str(datadir),
        store=settings.faust_table_store,
        value_serializer="raw",
        key_serializer="raw",
        web_enabled=False,
        topic_partitions=settings.topic_partitions,
        topic_allow_declare=True,
        consumer_auto_offset_reset="earliest",
        broker_session_timeout=settings.faust_session_timeout_s,
        broker_heartbeat_interval=max(1.0, settings.faust_session_timeout_s / 5),
        broker_commit_interval=1.0,
        producer_acks=-1,
        # Agents send one record per event: a few ms of linger turns those into one produce
        # request per partition, which costs the broker (and the worker's syscalls) far less.
        producer_linger=PRODUCER_LINGER_S,
        producer_max_request_size=MAX_MESSAGE_BYTES,
        consumer_max_fetch_size=MAX_MESSAGE_BYTES * 2,
        stream_wait_empty=False,
        # A standby copy of each table on another worker, with rocksdb only: faust's memory
        # store drops standby data after every recovery and records no offset to resume from,
        # so there a standby would cost CPU and shorten no take-over.
        table_standby_replicas=1 if settings.faust_table_store == "rocksdb://" else 0,
    )


def state_table(app: faust.App, name: str, on_recover: Callable[[], Awaitable[None] | None],
                **options):
    """A changelog-backed table of JSON values keyed by str, whose changelog frees expired
    entries soon (``CHANGELOG_CONFIGS``); ``on_recover()`` (a function or a coroutine
    function) runs after every recovery, when the table changed behind its agent's back, and
    before the streams resume."""
    if app.conf.store.scheme == "rocksdb":
        options["options"] = ROCKSDB_OPTIONS
    table = app.Table(name, key_type=str, extra_topic_configs=CHANGELOG_CONFIGS, **options)

    async def recovered() -> None:
        result = on_recover()
        if inspect.isawaitable(result):
            await result

    table.on_recover(recovered)
    return table


def changelog_name(app_id: str, table: str) -> str:
    """faust's name for a table's changelog topic."""
    return f"{app_id}-{table}-changelog"


def prepare_group(settings: StreamSettings, app_id: str, consumed: Iterable[str],
                  internal: dict[str, int], tables: dict[str, int] | None = None) -> None:
    """Before a worker joins its group: create the contract topics, the worker's internal
    ones and its tables' changelogs (``tables``: name → partitions), and commit a start offset
    for every partition the group consumes.

    faust declares internal topics and changelogs itself, but that can race the first
    partition assignment, which then ignores a missing topic for good (its agent never gets a
    partition), or the first table write, which then finds a changelog of no partitions yet
    and stops the agent (faust's PartitionsMismatch). Why the start offsets:
    ``commit_start_offsets``.
    """
    changelogs = {changelog_name(app_id, name): count for name, count in (tables or {}).items()}
    ensure_topics(settings, contract_topics(settings) | internal | changelogs,
                  compacted=changelogs, configs=dict.fromkeys(changelogs, CHANGELOG_CONFIGS))
    commit_start_offsets(settings, app_id, [*consumed, *internal])
