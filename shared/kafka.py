"""Kafka plumbing shared by the services: clients configured from ``KafkaSettings``.

Producers are idempotent with ``acks='all'`` and retry for as long as ``delivery_timeout_ms``
allows, so a broker outage delays messages instead of losing them.
"""

from __future__ import annotations

import logging
import ssl
import time
from collections.abc import Iterable, Iterator

from kafka import KafkaAdminClient, KafkaConsumer, KafkaProducer, TopicPartition
from kafka.admin import NewTopic
from kafka.consumer.fetcher import ConsumerRecord
from kafka.errors import KafkaError, TopicAlreadyExistsError
from kafka.structs import OffsetAndMetadata

from . import kafka_internals
from .config import ConfigError, KafkaSettings

log = logging.getLogger(__name__)

# Large enough that a dead letter can carry (base64) the largest article the broker accepts.
MAX_MESSAGE_BYTES = 48 * 1024 * 1024


def client_options(settings: KafkaSettings) -> dict:
    """Connection and security options common to every kafka-python client (each client is
    built from them, so this is where kafka-python's read gets its correction)."""
    kafka_internals.apply()
    options: dict = {
        "bootstrap_servers": settings.kafka_bootstrap.split(","),
        "security_protocol": settings.kafka_security_protocol,
    }
    if settings.kafka_security_protocol.startswith("SASL"):
        options |= {
            "sasl_mechanism": settings.kafka_sasl_mechanism or "SCRAM-SHA-512",
            "sasl_plain_username": settings.kafka_sasl_username,
            "sasl_plain_password": settings.kafka_sasl_password,
        }
    if settings.kafka_security_protocol.endswith("SSL"):
        options |= {
            "ssl_cafile": settings.kafka_ssl_cafile or None,
            "ssl_certfile": settings.kafka_ssl_certfile or None,
            "ssl_keyfile": settings.kafka_ssl_keyfile or None,
        }
    return options


def faust_options(settings: KafkaSettings) -> dict:
    """``faust.App`` keyword arguments for the same broker and security settings."""
    import faust

    hosts = ";".join(f"kafka://{host}" for host in settings.kafka_bootstrap.split(","))
    options: dict = {"broker": hosts, "topic_replication_factor": settings.topic_replicas}
    context = ssl_context(settings)
    if settings.kafka_security_protocol.startswith("SASL"):
        options["broker_credentials"] = faust.SASLCredentials(
            username=settings.kafka_sasl_username,
            password=settings.kafka_sasl_password,
            mechanism=settings.kafka_sasl_mechanism or "SCRAM-SHA-512",
            ssl_context=context,
        )
    elif context is not None:
        options["broker_credentials"] = faust.SSLCredentials(context)
    return options


def ssl_context(settings: KafkaSettings) -> ssl.SSLContext | None:
    """The TLS context of the SSL protocols (None for the others), as kafka-python builds its
    own: the CA file's authorities (the system's without one), host names checked."""
    if not settings.kafka_security_protocol.endswith("SSL"):
        return None
    try:
        context = ssl.create_default_context(cafile=settings.kafka_ssl_cafile or None)
    except (OSError, ValueError) as exc:
        raise ConfigError(f"VIGIE_KAFKA_SSL_CAFILE {settings.kafka_ssl_cafile!r}: {exc}") from None
    if settings.kafka_ssl_certfile:
        try:
            context.load_cert_chain(settings.kafka_ssl_certfile, settings.kafka_ssl_keyfile or None)
        except OSError as exc:
            raise ConfigError(f"VIGIE_KAFKA_SSL_CERTFILE / VIGIE_KAFKA_SSL_KEYFILE: {exc}") from None
    return context


def make_producer(settings: KafkaSettings, **overrides) -> KafkaProducer:
    options = client_options(settings) | {
        "acks": "all",
        "enable_idempotence": True,
        "linger_ms": 20,
        "batch_size": 262144,
        "max_request_size": MAX_MESSAGE_BYTES,
        "delivery_timeout_ms": 10 * 60 * 1000,
        "request_timeout_ms": 30000,
        "retry_backoff_ms": 200,
        "reconnect_backoff_max_ms": 5000,
    }
    return KafkaProducer(**(options | overrides))


def make_consumer(settings: KafkaSettings, *topics: str, **overrides) -> KafkaConsumer:
    options = client_options(settings) | {
        "fetch_max_bytes": 64 * 1024 * 1024,
        "max_partition_fetch_bytes": MAX_MESSAGE_BYTES * 2,
    }
    return KafkaConsumer(*topics, **(options | overrides))


def read_to_end(settings: KafkaSettings, topic: str, *, from_beginning: bool = True,
                start: dict[int, int] | None = None, timeout_s: float | None = None,
                wait_for_topic_s: float = 0.0) -> Iterator[ConsumerRecord]:
    """Every record of ``topic`` up to the end offsets found at start, from the beginning (or
    from now, or from the offsets of ``start``: partition → offset, those partitions only),
    without a consumer group; records written meanwhile are left for later.

    Ends on positions, not on the last offset seen: compaction and transaction markers leave
    offsets no record has. A missing topic is waited for ``wait_for_topic_s`` (then it reads as
    empty); with ``timeout_s`` a read that cannot finish raises TimeoutError.
    """
    consumer = make_consumer(settings, group_id=None, enable_auto_commit=False)
    try:
        partitions = [tp for tp in _partitions_of(consumer, topic, wait_for_topic_s)
                      if start is None or tp.partition in start]
        consumer.assign(partitions)
        if start is not None:
            for tp in partitions:
                consumer.seek(tp, start[tp.partition])
        elif from_beginning:
            consumer.seek_to_beginning(*partitions)
        ends = consumer.end_offsets(partitions)
        deadline = None if timeout_s is None else time.monotonic() + timeout_s
        remaining = {tp for tp in partitions if consumer.position(tp) < ends[tp]}
        while remaining:
            if deadline is not None and time.monotonic() > deadline:
                raise TimeoutError(f"topic {topic} not read to its end in {timeout_s:g} s")
            for tp, records in consumer.poll(timeout_ms=500).items():
                yield from (record for record in records if record.offset < ends[tp])
            remaining = {tp for tp in remaining if consumer.position(tp) < ends[tp]}
    finally:
        consumer.close()


def _partitions_of(consumer: KafkaConsumer, topic: str, wait_s: float) -> list[TopicPartition]:
    deadline = time.monotonic() + wait_s
    while not (numbers := consumer.partitions_for_topic(topic)) and time.monotonic() < deadline:
        time.sleep(0.2)
    return [TopicPartition(topic, number) for number in sorted(numbers or ())]


def partition_count(settings: KafkaSettings, topic: str, wait_s: float = 30.0) -> int:
    """How many partitions ``topic`` has (0: none found in ``wait_s``; a metadata request can
    come back empty while a broker is busy or a leader moves)."""
    consumer = make_consumer(settings, group_id=None, enable_auto_commit=False)
    try:
        return len(_partitions_of(consumer, topic, wait_s))
    finally:
        consumer.close()


def contract_topics(settings: KafkaSettings) -> dict[str, int]:
    """The topics of the contracts, with their partition counts."""
    partitions = settings.topic_partitions
    return {
        settings.topic_raw: partitions,
        settings.topic_enriched: partitions,
        settings.topic_alerts: 1,
        settings.topic_incidents: partitions,  # an incident's records: its reports' partition
        settings.topic_dlq: 1,
    }


def ensure_topics(
    settings: KafkaSettings, topics: dict[str, int] | None = None, *, wait: float = 60.0,
    compacted: Iterable[str] = (), configs: dict[str, dict] | None = None,
) -> None:
    """Create the topics that do not exist yet (``configs``: extra topic configs by name);
    retries for ``wait`` seconds while the broker is starting, or a cluster node that the
    client asked is down (a leader failing over must not stop a worker that is starting)."""
    topics = contract_topics(settings) if topics is None else topics
    compacted = {*compacted, settings.topic_incidents}  # its latest record is an incident's state
    deadline = time.monotonic() + wait
    while True:
        try:
            return _create_missing(settings, topics, compacted, configs or {}, wait)
        except KafkaError as exc:
            if isinstance(exc, TopicAlreadyExistsError) or time.monotonic() > deadline:
                raise
            log.warning("topics not created yet, retrying: %r", exc)
            time.sleep(1.0)


def _create_missing(settings: KafkaSettings, topics: dict[str, int], compacted: set[str],
                    configs: dict[str, dict], wait: float) -> None:
    admin = _admin(settings, wait)
    try:
        existing = set(admin.list_topics())
        new = [
            NewTopic(
                name, partitions, settings.topic_replicas,
                topic_configs=({"cleanup.policy": "compact"} if name in compacted else {})
                | configs.get(name, {}),
            )
            for name, partitions in topics.items() if name not in existing
        ]
        if new:
            try:
                admin.create_topics(new)
            except TopicAlreadyExistsError:
                pass
            log.info("created topics", extra={"topics": [t.name for t in new]})
    finally:
        admin.close()


def commit_start_offsets(settings: KafkaSettings, group_id: str, topics: Iterable[str]) -> int:
    """Commit, for ``group_id``, the earliest offset of every partition of ``topics`` that it
    has no committed offset for yet, or one below the earliest (records deleted by retention
    before the group processed them: logged as lost); returns how many partitions that was.

    The group would start there anyway (``auto_offset_reset=earliest``). But a faust worker
    seeks its partitions to their committed offsets once its tables are recovered, and a
    partition with none keeps the position its fetcher reached meanwhile: the records fetched
    during recovery were dropped, and a worker taking over from one that died before its
    first commit stalled for good with a backlog. A committed offset below the earliest would
    be jumped over by the first read, which faust does not count as a hole when it is 0 (and
    Vigie commits nothing past an offset never processed). Only an empty group accepts this
    commit; when workers are already running, the first of them committed every partition.
    """
    consumer = make_consumer(settings, group_id=group_id, enable_auto_commit=False)
    try:
        partitions = [TopicPartition(topic, partition) for topic in topics
                      for partition in consumer.partitions_for_topic(topic) or ()]
        if not partitions:
            return 0
        earliest = consumer.beginning_offsets(partitions)
        committed = {tp: consumer.committed(tp) for tp in partitions}
        behind = {tp: earliest[tp] for tp in partitions
                  if committed[tp] is None or committed[tp] < earliest[tp]}
        for tp, offset in committed.items():
            if offset is not None and offset < earliest[tp]:
                log.error("%d records deleted by retention before the group processed them",
                          earliest[tp] - offset, extra={"group": group_id, "topic": tp.topic,
                                                        "partition": tp.partition})
        if behind:
            consumer.commit({tp: OffsetAndMetadata(offset, "", -1)
                             for tp, offset in behind.items()})
        return len(behind)
    except KafkaError as exc:  # a running group refuses it: its workers committed already
        log.info("start offsets not committed: %s", exc, extra={"group": group_id})
        return 0
    finally:
        consumer.close()


def _admin(settings: KafkaSettings, wait: float) -> KafkaAdminClient:
    deadline = time.monotonic() + wait
    while True:
        try:
            return KafkaAdminClient(**client_options(settings))
        except KafkaError:
            if time.monotonic() > deadline:
                raise
            time.sleep(1.0)
