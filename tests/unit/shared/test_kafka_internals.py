"""kafka-python's read, corrected: what a peer sends right before it closes reaches the client.
The test named ``..._kafka_python_...`` describes kafka-python's own behaviour, the reason for
the correction: it fails when an upgrade fixes it (then drop the correction)."""

from __future__ import annotations

import asyncio
import select
import socket
import ssl
import threading

import pytest
import trustme
from kafka.net.transport import KafkaSSLTransport, KafkaTCPTransport

from vigie.shared import kafka_internals

ANSWER = b"the broker's last answer, a refused login"


class Net:
    """What a transport asks of kafka-python's network loop, done in place: a wait blocks."""

    def __init__(self) -> None:
        self.tasks: list = []

    def call_soon(self, task) -> None:
        self.tasks.append(task)

    async def wait_read(self, sock) -> None:
        select.select([sock], [], [], 5)

    async def wait_write(self, sock) -> None:
        select.select([], [sock], [], 5)

    def unregister_event(self, sock, events) -> None:
        pass

    def cancel(self, task) -> None:
        pass


class Protocol:
    """Records what the transport hands over, in order."""

    _sensors = None  # the transport records its byte counts there when set

    def __init__(self) -> None:
        self.events: list[tuple[str, object]] = []

    def data_received(self, data: bytes) -> None:
        self.events.append(("data", data))

    def connection_lost(self, error) -> None:
        self.events.append(("lost", type(error).__name__))


def tcp_transport(net: Net) -> KafkaTCPTransport:
    """A transport whose peer has sent ANSWER and closed before the client reads."""
    client, peer = socket.socketpair()
    peer.sendall(ANSWER)
    peer.close()
    client.setblocking(False)
    return KafkaTCPTransport(net, client)


def tls_transport(net: Net) -> KafkaSSLTransport:
    """The same over TLS, the way a SASL_SSL broker refuses a login."""
    ca = trustme.CA()
    server_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1").configure_cert(server_context)
    client_context = ssl.create_default_context()
    ca.configure_trust(client_context)
    listener = socket.create_server(("127.0.0.1", 0))

    def serve() -> None:
        conn, _ = listener.accept()
        with server_context.wrap_socket(conn, server_side=True) as tls:
            tls.sendall(ANSWER)

    server = threading.Thread(target=serve)
    server.start()
    client = socket.create_connection(listener.getsockname())
    client.setblocking(False)
    transport = KafkaSSLTransport(net, client, host="127.0.0.1", ssl_context=client_context)
    asyncio.run(transport.handshake())
    server.join()  # the answer and the close are both on their way before the first read
    listener.close()
    return transport


def read_all(make_transport) -> list[tuple[str, object]]:
    net, protocol = Net(), Protocol()
    transport = make_transport(net)
    transport.set_protocol(protocol)
    transport.resume_reading()
    asyncio.run(net.tasks[0]())
    return protocol.events


TRANSPORTS = {"tcp": (KafkaTCPTransport, tcp_transport), "tls": (KafkaSSLTransport, tls_transport)}


@pytest.mark.parametrize("kind", TRANSPORTS)
def test_kafka_python_drops_the_bytes_it_reads_with_the_close(kind, monkeypatch):
    transport, make = TRANSPORTS[kind]
    monkeypatch.setattr(transport, "_sock_recv", kafka_internals.ORIGINALS[transport])
    assert read_all(make) == [("lost", "KafkaConnectionError")]


@pytest.mark.parametrize("kind", TRANSPORTS)
def test_the_bytes_before_the_close_reach_the_client_then_the_close(kind, monkeypatch):
    transport, make = TRANSPORTS[kind]
    corrected = kafka_internals.bytes_before_the_close(kafka_internals.ORIGINALS[transport])
    monkeypatch.setattr(transport, "_sock_recv", corrected)
    assert read_all(make) == [("data", ANSWER), ("lost", "KafkaConnectionError")]


def test_every_client_gets_the_correction():
    from vigie.shared.config import KafkaSettings
    from vigie.shared.kafka import client_options

    client_options(KafkaSettings())
    assert kafka_internals.is_applied()
