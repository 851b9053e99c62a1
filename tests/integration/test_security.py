"""A broker that demands a password (SASL_SSL, SCRAM-SHA-512) and enforces ACLs: the pipeline
runs with its principal, a subscriber reads alerts and nothing else, a wrong password is
refused, and no password reaches a log."""

from __future__ import annotations

import dataclasses
import secrets

import pytest
import trustme
from cryptography.hazmat.primitives import serialization
from kafka import KafkaConsumer, KafkaProducer, TopicPartition
from kafka.admin import KafkaAdminClient
from kafka.errors import KafkaError, TopicAuthorizationFailedError

from vigie.shared.broker import LocalBroker, free_port
from vigie.shared.broker.security import ADMIN, Security, pipeline_acls, subscriber_acls
from vigie.shared.config import KafkaSettings
from vigie.shared.kafka import client_options, contract_topics, ensure_topics

from ..slow_relay import SlowRelay
from .helpers import ROOT, run_vigie
from .workers import running

pytestmark = pytest.mark.integration
USERS = {ADMIN: secrets.token_hex(12), "vigie": secrets.token_hex(12),
         "subscriber": secrets.token_hex(12)}


@pytest.fixture(scope="module")
def secured(tmp_path_factory):
    """A one-node broker with SASL_SSL and ACLs; (broker, CA file)."""
    home = tmp_path_factory.mktemp("secured")
    ca = trustme.CA()
    server = ca.issue_cert("127.0.0.1", "localhost")
    keystore, ca_file = home / "broker.pem", home / "ca.pem"
    key = serialization.load_pem_private_key(server.private_key_pem.bytes(), password=None)
    keystore.write_bytes(key.private_bytes(  # Kafka reads PKCS#8 keys only
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption()) + b"".join(blob.bytes() for blob in server.cert_chain_pems))
    ca.cert_pem.write_to_path(str(ca_file))
    broker = LocalBroker(home / "broker", port=free_port(), security=Security(keystore, ca_file, USERS))
    broker.start(fresh=True)
    yield broker, str(ca_file)
    broker.stop()


def as_user(broker, ca_file: str, user: str, password: str | None = None, **topics) -> KafkaSettings:
    return KafkaSettings.from_env(
        {}, kafka_bootstrap=broker.bootstrap, kafka_security_protocol="SASL_SSL",
        kafka_sasl_mechanism="SCRAM-SHA-512", kafka_sasl_username=user,
        kafka_sasl_password=USERS[user] if password is None else password,
        kafka_ssl_cafile=ca_file, **topics)


@pytest.fixture(scope="module")
def settings(secured):
    """The pipeline's settings, its topics created, and the ACLs in place."""
    broker, ca_file = secured
    names = {"topic_raw": "sec.raw", "topic_enriched": "sec.enriched",
             "topic_alerts": "sec.alerts", "topic_incidents": "sec.incidents",
             "topic_dlq": "sec.dlq"}
    admin_settings = as_user(broker, ca_file, ADMIN, **names)
    admin = KafkaAdminClient(**client_options(admin_settings))
    try:
        admin.create_acls([*pipeline_acls("vigie"), *subscriber_acls(
            "subscriber", [names["topic_alerts"], names["topic_incidents"]])])
    finally:
        admin.close()
    pipeline = as_user(broker, ca_file, "vigie", **names)
    ensure_topics(pipeline, contract_topics(pipeline))
    return pipeline


def security_env(settings: KafkaSettings) -> dict[str, str]:
    return {"VIGIE_KAFKA_SECURITY_PROTOCOL": "SASL_SSL", "VIGIE_KAFKA_SASL_MECHANISM":
            "SCRAM-SHA-512", "VIGIE_KAFKA_SASL_USERNAME": settings.kafka_sasl_username,
            "VIGIE_KAFKA_SASL_PASSWORD": settings.kafka_sasl_password,
            "VIGIE_KAFKA_SSL_CAFILE": settings.kafka_ssl_cafile}


def test_a_wrong_password_is_refused(secured, settings):
    wrong = dataclasses.replace(settings, kafka_sasl_password="not-the-password")
    with pytest.raises(KafkaError):
        KafkaAdminClient(**client_options(wrong), request_timeout_ms=10000).list_topics()


def another_ca(tmp_path) -> str:
    path = tmp_path / "another-ca.pem"
    trustme.CA().cert_pem.write_to_path(str(path))
    return str(path)


REFUSALS = {
    "a wrong password": (lambda settings, tmp_path: security_env(settings) | {
        "VIGIE_KAFKA_SASL_PASSWORD": "not-the-password"},
        ["refused the login of 'vigie' (SASL SCRAM-SHA-512)", "VIGIE_KAFKA_SASL_PASSWORD"]),
    "an untrusted certificate": (lambda settings, tmp_path: security_env(settings) | {
        "VIGIE_KAFKA_SSL_CAFILE": another_ca(tmp_path)},
        ["the TLS certificate of Kafka at", "is not trusted", "VIGIE_KAFKA_SSL_CAFILE"]),
    "no TLS": (lambda settings, tmp_path: {},
               ["speaks TLS, and VIGIE_KAFKA_SECURITY_PROTOCOL is PLAINTEXT"]),
}


@pytest.mark.parametrize("case", REFUSALS)
def test_a_command_names_what_no_wait_mends(case, settings, tmp_path):
    """A refused login, an untrusted certificate or a listener that speaks TLS to a client
    that does not: named as such, not waited on until the connect timeout."""
    env, expected = REFUSALS[case]
    done = run_vigie(settings, "topics", "create", VIGIE_KAFKA_CONNECT_TIMEOUT_S="60",
                     **env(settings, tmp_path))
    assert done.returncode == 2, done.stderr
    for message in expected:
        assert message in done.stderr
    assert "no Kafka answered" not in done.stderr
    assert "Traceback" not in done.stdout + done.stderr
    assert not [password for password in USERS.values() if password in done.stderr]


def test_a_refused_login_is_named_even_when_the_broker_answers_late(secured, settings):
    """A busy broker takes seconds over a SASL_SSL login (several round trips): later attempts
    wait longer, so its refusal is still seen and named, not waited on until the timeout."""
    broker, _ = secured
    host, port = broker.bootstrap.rsplit(":", 1)
    with SlowRelay((host, int(port)), delay=0.6) as relay:  # ~7 round trips: over 4 s a login
        done = run_vigie(settings, "topics", "create", VIGIE_KAFKA_CONNECT_TIMEOUT_S="60",
                         **security_env(settings) | {"VIGIE_KAFKA_BOOTSTRAP": relay.address,
                                                     "VIGIE_KAFKA_SASL_PASSWORD": "wrong"})
    assert done.returncode == 2, done.stderr
    assert "refused the login of 'vigie' (SASL SCRAM-SHA-512)" in done.stderr, done.stderr
    assert "no Kafka answered" not in done.stderr


def polled(settings: KafkaSettings, topic: str) -> list:
    consumer = KafkaConsumer(**client_options(settings), auto_offset_reset="earliest")
    try:
        consumer.assign([TopicPartition(topic, p) for p in range(settings.topic_partitions)])
        consumer.seek_to_beginning()
        return [r for rs in consumer.poll(timeout_ms=5000).values() for r in rs]
    finally:
        consumer.close()


def test_the_subscriber_reads_alerts_and_nothing_else(settings):
    subscriber = dataclasses.replace(settings, kafka_sasl_username="subscriber",
                                     kafka_sasl_password=USERS["subscriber"])
    producer = KafkaProducer(**client_options(settings))
    producer.send(settings.topic_raw, b'{"a": "raw article"}', partition=0).get(timeout=30)
    producer.close()
    assert polled(settings, settings.topic_raw)  # the pipeline reads it
    assert polled(subscriber, settings.topic_raw) == []  # the subscriber gets nothing
    admin = KafkaAdminClient(**client_options(subscriber))
    try:
        (raw,) = admin.describe_topics([settings.topic_raw])
        (alerts,) = admin.describe_topics([settings.topic_alerts])
        assert raw["error_code"] == TopicAuthorizationFailedError.errno
        assert alerts["error_code"] == 0  # its own topic is allowed
    finally:
        admin.close()
    producer = KafkaProducer(**client_options(subscriber), max_block_ms=10000)
    try:
        with pytest.raises(KafkaError):
            producer.send(settings.topic_alerts, b'{"fake": "alert"}').get(timeout=10)
    finally:
        producer.close()


def test_the_pipeline_runs_with_its_principal_and_the_subscriber_gets_the_alerts(
        settings, tmp_path):
    env = security_env(settings)
    with running(settings, tmp_path, ("enrich",), ("alert",), **env) as workers:
        ingested = run_vigie(settings, "ingest", "files", str(ROOT / "seeds"), **env)
        assert ingested.returncode == 0, ingested.stderr
        shown = run_vigie(settings, "subscribe", settings.topic_alerts, "--from-beginning",
                          "--max", "1", "--timeout", "120", "--format", "json",
                          **security_env(dataclasses.replace(
                              settings, kafka_sasl_username="subscriber",
                              kafka_sasl_password=USERS["subscriber"])),
                          timeout=240)
        crashed = [worker.args for worker in workers if worker.poll() is not None]
    assert not crashed
    assert shown.returncode == 0, shown.stderr
    assert '"rule"' in shown.stdout  # an alert, read with the subscriber's credentials
    logs = [path.read_text(errors="replace") for path in tmp_path.glob("*.log")]
    outputs = [ingested.stdout, ingested.stderr, shown.stderr, *logs]
    assert logs and not [password for password in USERS.values()
                         for text in outputs if password in text]
