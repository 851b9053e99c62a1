"""The one module that reaches into kafka-python's internals (faust's and aiokafka's are in
``shared/streams/faust_internals.py``; this one stays apart because the commands and ingest
use kafka-python without faust).

kafka-python reads a connection until the socket would block. When such a read also meets the
connection's close, it reports the close and drops the bytes read before it. A broker closes
right behind its last answer when it refuses a login, so a client that read both at once lost
the refusal and saw a bare "socket disconnected": a busy machine (CI, a loaded host) saw no
refusal on any attempt, and ``vigie`` waited out its connect timeout instead of naming the
wrong password. The correction hands over the bytes first and reports the close at the next
read. ``apply()`` installs it on the tested version only; ``client_options`` calls it.
``tests/unit/shared/test_kafka_internals.py`` fails when kafka-python stops dropping them.
"""

from __future__ import annotations

import importlib.metadata
import logging

from kafka.net.transport import KafkaSSLTransport, KafkaTCPTransport

log = logging.getLogger(__name__)

TESTED = "3.0.12"  # pyproject pins it
TRANSPORTS = (KafkaTCPTransport, KafkaSSLTransport)  # the SSL one reads its own way
ORIGINALS = {transport: transport.__dict__["_sock_recv"] for transport in TRANSPORTS}


def bytes_before_the_close(sock_recv):
    """Wraps ``_sock_recv`` (returns ``(data, error)``; the caller drops ``data`` when there
    is an error): bytes read with the close are returned alone, the close at the next call
    (the socket stays readable once closed, so that call comes at once)."""

    def wrapper(self):
        close = self.__dict__.pop("_close_after_bytes", None)
        if close is not None:
            return b"", close
        data, error = sock_recv(self)
        if data and error is not None:
            self._close_after_bytes = error
            return data, None
        return data, error

    wrapper.__wrapped__ = sock_recv
    return wrapper


def apply() -> None:
    """Install the correction (once per process; a no-op on an untested version)."""
    if is_applied():
        return
    if (version := importlib.metadata.version("kafka-python")) != TESTED:
        log.debug("kafka-python %s (tested: %s): its read is left as it is", version, TESTED)
        return
    for transport, original in ORIGINALS.items():
        transport._sock_recv = bytes_before_the_close(original)


def is_applied() -> bool:
    return all(transport.__dict__["_sock_recv"] is not original
               for transport, original in ORIGINALS.items())
