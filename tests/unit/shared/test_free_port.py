"""Ports for the local broker and the workers: free, and out of the kernel's ephemeral range,
where a client socket could take one before its server binds it."""

from __future__ import annotations

import socket

from vigie.shared.broker import ephemeral_ports, free_port


def test_free_ports_are_bindable_distinct_and_below_the_ephemeral_range():
    ports = [free_port() for _ in range(50)]
    assert len(set(ports)) == len(ports)
    assert all(port < ephemeral_ports()[0] for port in ports)
    for port in ports[:5]:
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", port))


def test_a_port_in_use_is_skipped(monkeypatch):
    import vigie.shared.broker as broker

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        busy = taken.getsockname()[1]
        spare = free_port()
        offered = iter([busy, busy, spare])
        monkeypatch.setattr(broker.random, "randint", lambda low, high: next(offered))
        monkeypatch.setattr(broker, "ephemeral_ports", lambda: (65000, 65535))
        monkeypatch.setattr(broker, "_handed_out", set())
        assert free_port() == spare
