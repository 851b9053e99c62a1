"""The WebSub callback: ``{VIGIE_WEBSUB_CALLBACK_URL}/websub/<id>`` on ingest's HTTP server.

It runs on the server's threads and touches no feed state: it checks each request against
what the poll loop told it to expect (``expect``), answers at once, and leaves what happened
(``Verified``, ``Denied``, ``Pushed``) in an inbox the loop drains (``take``), ringing
``doorbell`` so the loop wakes for it.

- GET, verification of intent: the challenge is echoed only for a callback id Vigie made,
  ``hub.mode=subscribe`` and the topic it asked for; anything else is a 404.
  ``hub.mode=denied`` for that topic is the hub refusing it.
- POST, content distribution: accepted only with a valid ``X-Hub-Signature`` under the
  subscription's secret. Per the spec, a push without one, or with a wrong one, is answered
  2xx all the same (a forger learns nothing), and nothing of it is published; each is
  counted in ``vigie_ingest_websub_pushes_total``. A body over ``VIGIE_FEEDS_MAX_BYTES`` is
  refused unread (413); one for an unknown id is answered 410 Gone, which tells a hub to stop.
"""

from __future__ import annotations

import collections
import logging
import threading
from concurrent.futures import Future
from dataclasses import dataclass

from vigie.shared.metrics import Document, Request
from vigie.shared.timestamps import utc_now

from .websub import signature_valid

log = logging.getLogger(__name__)

PATH = "/websub/"


@dataclass(frozen=True)
class Expected:
    """A subscription the callback answers for."""

    feed_url: str
    topic: str
    secret: str


@dataclass(frozen=True)
class Verified:
    callback_id: str
    lease_s: float | None  # what the hub granted, if it said


@dataclass(frozen=True)
class Denied:
    callback_id: str
    reason: str


@dataclass(frozen=True)
class Pushed:
    callback_id: str
    feed_url: str
    body: bytes
    headers: dict[str, str]
    received_at: str  # RFC 3339: when the push came in (the entries' fetched_at)


class Doorbell:
    """A future the poll loop waits on beside its polls; ``ring`` completes it."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._future: Future = Future()

    def ring(self) -> None:
        with self._lock:
            if not self._future.done():
                self._future.set_result(None)

    def armed(self) -> Future:
        """The future to wait on: a fresh one once the last has rung. Arm, then drain the
        inbox, then wait: what arrives after the drain rings the armed future."""
        with self._lock:
            if self._future.done():
                self._future = Future()
            return self._future


class Callbacks:
    """The callback's request route, and the inbox between it and the poll loop."""

    def __init__(self, metrics) -> None:
        self.metrics = metrics
        self.doorbell = Doorbell()
        self._lock = threading.Lock()
        self._expected: dict[str, Expected] = {}
        self._inbox: collections.deque = collections.deque()

    def expect(self, callback_id: str, expected: Expected) -> None:
        with self._lock:
            self._expected[callback_id] = expected

    def forget(self, callback_id: str) -> None:
        with self._lock:
            self._expected.pop(callback_id, None)

    def take(self) -> list[Verified | Denied | Pushed]:
        """What happened since the last call, oldest first."""
        events = []
        while self._inbox:
            events.append(self._inbox.popleft())
        return events

    def route(self, request: Request) -> tuple[int, object]:
        callback_id = request.path
        with self._lock:
            expected = self._expected.get(callback_id)
        if request.method == "GET":
            return self._verify(callback_id, expected, request.query)
        return self._receive(callback_id, expected, request)

    def _event(self, event) -> None:
        self._inbox.append(event)
        self.doorbell.ring()

    def _verify(self, callback_id: str, expected: Expected | None, query: dict):
        mode, topic = query.get("hub.mode"), query.get("hub.topic")
        if expected is None or topic != expected.topic or mode not in ("subscribe", "denied"):
            self.metrics.websub_verifications.labels("refused").inc()
            log.warning("verification refused: not a subscription Vigie asked for",
                        extra={"mode": mode, "topic": topic})
            return 404, Document(b"", "text/plain")
        if mode == "denied":
            self.metrics.websub_verifications.labels("denied").inc()
            self._event(Denied(callback_id, query.get("hub.reason", "")[:200]))
            return 200, Document(b"", "text/plain")
        challenge = query.get("hub.challenge", "")
        if not challenge:
            self.metrics.websub_verifications.labels("refused").inc()
            return 404, Document(b"", "text/plain")
        lease = query.get("hub.lease_seconds", "")
        self.metrics.websub_verifications.labels("confirmed").inc()
        self._event(Verified(callback_id, float(lease) if lease.isdigit() else None))
        return 200, Document(challenge.encode(), "text/plain")

    def _receive(self, callback_id: str, expected: Expected | None, request: Request):
        if expected is None:
            return self._refused("unknown_callback", 410)
        if request.body is None:
            return self._refused("too_large", 413)
        signature = request.headers.get("x-hub-signature")
        if not signature:
            return self._refused("unsigned", 200)
        if not signature_valid(expected.secret, request.body, signature):
            return self._refused("bad_signature", 200)
        self._event(Pushed(callback_id, expected.feed_url, request.body, {
            name: request.headers[name] for name in ("content-type", "link")
            if name in request.headers}, utc_now()))
        return 200, Document(b"", "text/plain")

    def _refused(self, result: str, status: int) -> tuple[int, object]:
        self.metrics.websub_pushes.labels(result).inc()
        log.warning("push refused: %s", result)
        return status, Document(b"", "text/plain")
