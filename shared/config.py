"""Settings from environment variables.

Each service declares one frozen dataclass of settings, built once at start with
``from_env()``. A field ``kafka_bootstrap`` is read from ``VIGIE_KAFKA_BOOTSTRAP``; its default
and its documentation live beside it, so ``vigie config`` and docs/configuration.md come from the
code itself. Secrets never appear in ``repr`` or logs.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Mapping
from typing import Any, ClassVar

from .errors import VigieError

PREFIX = "VIGIE_"
PROTOCOLS = ("PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL")
SASL_MECHANISMS = ("PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512")
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")
LOG_FORMATS = ("auto", "text", "json")
KAFKA_PORT = 9092


class ConfigError(VigieError, ValueError):
    """A setting has a value that cannot be used."""


def setting(default: Any, doc: str, *, secret: bool = False, kind: type | None = None) -> Any:
    """Declare one setting: its default, what it means, and whether it is a secret.

    ``kind`` is the value's type where the default (None) does not tell it.
    """
    return dataclasses.field(
        default=default, metadata={"doc": doc, "secret": secret, "kind": kind or type(default)}
    )


def env_name(field_name: str) -> str:
    return PREFIX + field_name.upper()


def _parse(raw: str, kind: type, name: str) -> Any:
    try:
        if kind is bool:
            lowered = raw.strip().lower()
            if lowered in {"1", "true", "yes", "on"}:
                return True
            if lowered in {"0", "false", "no", "off", ""}:
                return False
            raise ValueError(f"not a boolean: {raw!r}")
        if kind is tuple:
            return tuple(part.strip() for part in raw.split(",") if part.strip())
        if kind in (int, float):
            return kind(raw)
        return raw
    except ValueError as exc:
        raise ConfigError(f"{name}: {exc}") from None


@dataclasses.dataclass(frozen=True)
class Settings:
    """Base class: subclasses are frozen dataclasses whose fields use ``setting``."""

    service: ClassVar[str] = "vigie"

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None, **overrides: Any):
        env = os.environ if env is None else env
        values = {}
        for field in dataclasses.fields(cls):
            name = env_name(field.name)
            if name in env and env[name] != "":
                values[field.name] = _parse(env[name], field.metadata["kind"], name)
        values.update(overrides)
        return cls(**values)

    @classmethod
    def documented(cls) -> list[tuple[str, Any, str, bool]]:
        """(env name, default, doc, secret) for every setting, in declaration order."""
        return [
            (env_name(f.name), f.default, f.metadata["doc"], f.metadata["secret"])
            for f in dataclasses.fields(cls)
        ]

    def __repr__(self) -> str:
        shown = []
        for field in dataclasses.fields(self):
            value = getattr(self, field.name)
            if field.metadata.get("secret") and value:
                value = "********"
            shown.append(f"{field.name}={value!r}")
        return f"{type(self).__name__}({', '.join(shown)})"

    __str__ = __repr__


@dataclasses.dataclass(frozen=True, repr=False)
class KafkaSettings(Settings):
    """How every service reaches Kafka, and the topic names (the contracts in the README)."""

    kafka_bootstrap: str = setting("127.0.0.1:9092", "Kafka bootstrap servers, comma-separated")
    kafka_security_protocol: str = setting(
        "PLAINTEXT", "PLAINTEXT, SSL, SASL_PLAINTEXT or SASL_SSL"
    )
    kafka_sasl_mechanism: str = setting("", "PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512 (SASL only)")
    kafka_sasl_username: str = setting("", "SASL user name")
    kafka_sasl_password: str = setting("", "SASL password", secret=True)
    kafka_ssl_cafile: str = setting("", "CA bundle that signs the broker certificates (SSL)")
    kafka_ssl_certfile: str = setting("", "client certificate, for mutual TLS")
    kafka_ssl_keyfile: str = setting("", "client private key, for mutual TLS")
    kafka_connect_timeout_s: float = setting(
        60.0, "how long a command waits at start for Kafka to answer before it gives up (exit"
              " status 2)"
    )
    topic_raw: str = setting("news.raw", "raw articles, from ingest")
    topic_enriched: str = setting("news.enriched", "enriched articles, from enrich")
    topic_alerts: str = setting("news.alerts", "every alert, from alert")
    topic_incidents: str = setting(
        "news.incidents", "one record per incident change, from alert (compacted: the latest "
                          "record per incident is its state)"
    )
    topic_dlq: str = setting("news.dlq", "dead letters: messages a service could not process")
    topic_partitions: int = setting(4, "partitions of the article topics when Vigie creates them")
    topic_replicas: int = setting(
        1, "replicas of each topic Vigie creates, its internal and state topics included (3 on a"
           " cluster, whose brokers set min.insync.replicas=2)"
    )
    log_level: str = setting("INFO", "DEBUG, INFO, WARNING or ERROR")
    log_format: str = setting("auto", "text, json, or auto (text on a terminal, JSON otherwise)")

    def __post_init__(self) -> None:
        """Refuse, before anything connects, the values no client could use."""
        self.bootstrap_addresses  # noqa: B018 - parsed here so that a typo fails at once
        _one_of("VIGIE_KAFKA_SECURITY_PROTOCOL", self.kafka_security_protocol, PROTOCOLS)
        if self.kafka_security_protocol.startswith("SASL"):
            if self.kafka_sasl_mechanism:
                _one_of("VIGIE_KAFKA_SASL_MECHANISM", self.kafka_sasl_mechanism, SASL_MECHANISMS)
            if not (self.kafka_sasl_username and self.kafka_sasl_password):
                raise ConfigError(f"{self.kafka_security_protocol} needs VIGIE_KAFKA_SASL_USERNAME"
                                  " and VIGIE_KAFKA_SASL_PASSWORD")
        if self.kafka_connect_timeout_s <= 0:
            raise ConfigError("VIGIE_KAFKA_CONNECT_TIMEOUT_S must be positive")
        _one_of("VIGIE_LOG_LEVEL", self.log_level.upper(), LOG_LEVELS)
        _one_of("VIGIE_LOG_FORMAT", self.log_format, LOG_FORMATS)

    @property
    def bootstrap_addresses(self) -> list[tuple[str, int]]:
        """(host, port) of each bootstrap server."""
        return [_address(part.strip()) for part in self.kafka_bootstrap.split(",")]


def _address(text: str) -> tuple[str, int]:
    """``host:port``, or ``host`` alone on Kafka's port, as every Kafka client reads it."""
    host, colon, port = text.rpartition(":")
    if not colon or host.endswith(":"):  # no port, or an IPv6 address without brackets
        host, port = text, str(KAFKA_PORT)
    if not host.strip("[]") or not port.isdigit() or not 0 < int(port) < 65536:
        raise ConfigError(f"VIGIE_KAFKA_BOOTSTRAP: expected host:port (several separated by"
                          f" commas), got {text!r}")
    return host.strip("[]"), int(port)


def _one_of(name: str, value: str, allowed: tuple[str, ...]) -> None:
    if value not in allowed:
        raise ConfigError(f"{name}: expected {', '.join(allowed[:-1])} or {allowed[-1]},"
                          f" got {value!r}")
