"""Real endpoints on 127.0.0.1 for the notify tests: a JSON webhook (Apprise's ``json://``) and
an SMTP server (aiosmtpd, for ``mailto://``), each keeping what it received."""

from __future__ import annotations

import email
import email.policy
import json
import threading
import time

from aiosmtpd.controller import Controller

from vigie.shared.broker import free_port

from .local_http import LocalServer, reply


class Webhook:
    """``json://`` messages POSTed to ``path``: ``received`` holds each one's JSON body with its
    ``Idempotency-Key`` (``key``) and arrival time (``at``, seconds since the epoch); while
    ``failing`` is set, the hook answers 500 and keeps nothing."""

    def __init__(self, path: str = "/hook") -> None:
        self.server, self.path = LocalServer(), path
        self.received: list[dict] = []
        self.failing = False
        self.lock = threading.Lock()
        self.server.routes[path] = self._answer

    def __enter__(self) -> Webhook:
        self.server.__enter__()
        return self

    def __exit__(self, *exc_info) -> None:
        self.server.__exit__(*exc_info)

    @property
    def url(self) -> str:
        return f"json://127.0.0.1:{self.server.port}{self.path}"

    def _answer(self, handler) -> None:
        if self.failing:
            reply(handler, 500, b"down for maintenance")
            return
        body = json.loads(handler.body)
        with self.lock:
            self.received.append({**body, "key": handler.headers.get("Idempotency-Key"),
                                  "at": time.time()})
        reply(handler, 200, b"ok")

    def keys(self) -> list[str]:
        with self.lock:
            return [message["key"] for message in self.received]


class Mailbox:
    """An SMTP server on 127.0.0.1: ``received`` holds each message (``email.message``)."""

    def __init__(self) -> None:
        self.received: list[email.message.EmailMessage] = []
        self.port = free_port()
        self.controller = Controller(self, hostname="127.0.0.1", port=self.port)

    async def handle_DATA(self, server, session, envelope) -> str:  # aiosmtpd's hook
        self.received.append(email.message_from_bytes(envelope.content,
                                                      policy=email.policy.default))
        return "250 OK"

    def __enter__(self) -> Mailbox:
        self.controller.start()
        return self

    def __exit__(self, *exc_info) -> None:
        self.controller.stop()

    @property
    def url(self) -> str:
        return f"mailto://127.0.0.1:{self.port}?from=vigie@example.org&to=desk@example.org"

    def keys(self) -> list[str]:
        return [str(message["X-Vigie-Key"]) for message in self.received]
