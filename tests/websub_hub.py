"""A WebSub hub for the tests and the bench, on 127.0.0.1, and a feed that names it.

It does what a hub does, no more: a subscription request (form POST to ``/hub``) is answered
202, then verified by a GET to the callback with a challenge (and the lease it grants,
``lease_s``); ``publish`` POSTs a document to every verified subscriber of a topic, signed
with its secret (sha1 by default, as the big public hubs sign).
"""

from __future__ import annotations

import secrets
import threading
import urllib.error
import urllib.request
from dataclasses import dataclass
from urllib.parse import parse_qsl, urlencode
from xml.sax.saxutils import escape

from vigie.ingest.feeds.websub import sign

from .local_http import LocalServer, reply


@dataclass
class Request:
    """One subscription request and how its verification went."""

    params: dict[str, str]
    verified: bool | None = None  # None while the verification is under way

    @property
    def callback(self) -> str:
        return self.params["hub.callback"]


class Hub:
    def __init__(self, lease_s: int | None = None) -> None:
        self.server = LocalServer()
        self.server.routes["/hub"] = self._subscribe
        self.lease_s = lease_s
        self.requests: list[Request] = []
        self.lock = threading.Lock()
        self.stopped = False

    def __enter__(self) -> Hub:
        self.server.__enter__()
        return self

    def __exit__(self, *exc_info) -> None:
        self.stop()

    def stop(self) -> None:
        """Stop answering (again: a no-op)."""
        if not self.stopped:
            self.stopped = True
            self.server.__exit__(None, None, None)

    @property
    def url(self) -> str:
        return self.server.url("/hub")

    def verified(self) -> list[Request]:
        with self.lock:
            return [request for request in self.requests if request.verified]

    def publish(self, document: bytes, *, algorithm: str = "sha1",
                signature: str | None = None) -> list[int]:
        """POST ``document`` to each verified subscriber (latest request per callback),
        signed unless ``signature`` is given ("" sends none); returns their statuses."""
        latest = {request.callback: request for request in self.verified()}
        statuses = []
        for request in latest.values():
            signed = sign(request.params["hub.secret"], document, algorithm) \
                if signature is None else signature
            headers = {"Content-Type": "application/atom+xml"}
            if signed:
                headers["X-Hub-Signature"] = signed
            statuses.append(_post(request.callback, document, headers))
        return statuses

    def _subscribe(self, handler) -> None:
        params = dict(parse_qsl(handler.body.decode()))
        request = Request(params)
        with self.lock:
            self.requests.append(request)
        reply(handler, 202)
        threading.Thread(target=self._verify, args=(request,), daemon=True).start()

    def _verify(self, request: Request) -> None:
        challenge = secrets.token_hex(8)
        query = {"hub.mode": request.params.get("hub.mode", ""), "hub.challenge": challenge,
                 "hub.topic": request.params.get("hub.topic", "")}
        query["hub.lease_seconds"] = str(self.lease_s or request.params["hub.lease_seconds"])
        try:
            with urllib.request.urlopen(f"{request.callback}?{urlencode(query)}",
                                        timeout=10) as answer:
                echoed = answer.status == 200 and answer.read().decode() == challenge
        except (OSError, urllib.error.HTTPError):
            echoed = False
        with self.lock:
            request.verified = echoed


def _post(url: str, body: bytes, headers: dict[str, str]) -> int:
    try:
        with urllib.request.urlopen(urllib.request.Request(url, data=body, headers=headers),
                                    timeout=10) as answer:
            return answer.status
    except urllib.error.HTTPError as error:
        return error.code


def atom(feed_url: str, hub_url: str, entries: list[tuple[str, str, str]], *,
         updated: str = "2025-08-22T10:00:00Z") -> bytes:
    """An Atom feed naming ``hub_url`` as its hub and ``feed_url`` as itself; ``entries`` are
    (id, title, text), all of the time ``updated``; an entry's guid is ``entry_guid(id)``."""
    items = "".join(
        f"<entry><id>{escape(entry_guid(entry_id))}</id><title>{escape(title)}</title>"
        f"<updated>{updated}</updated><content type='text'>{escape(text)}</content></entry>"
        for entry_id, title, text in entries)
    return (f'<feed xmlns="http://www.w3.org/2005/Atom"><title>Pushed</title>'
            f"<id>{escape(feed_url)}</id><updated>{updated}</updated>"
            f'<link rel="hub" href="{escape(hub_url)}"/><link rel="self" href="{escape(feed_url)}"/>'
            f"{items}</feed>").encode()


def entry_guid(entry_id: str) -> str:
    """An absolute guid (a relative one would resolve against the feed's URL)."""
    return f"tag:vigie.test,2025:{entry_id}"
