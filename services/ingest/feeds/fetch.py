"""Fetching one feed (or page) over HTTP, politely and within hard limits.

On the connections of ``vigie.shared.http`` (proxies from the environment, the address guard),
so that every hop of a redirect is checked (http and https only, a permitted address), the
permanence of redirects is known, and the socket is at hand: each read waits at most the
socket timeout, and a watchdog shuts the socket down when the total deadline passes, so a
server trickling one byte per second cannot hold a worker. Bodies are capped before and after
gzip decompression (a small gzip bomb is cut off too).
"""

from __future__ import annotations

import http.client
import socket
import threading
import time
import zlib
from dataclasses import dataclass, field
from urllib.parse import urljoin

from vigie.shared.addresses import NetworkPolicy, RefusedAddress
from vigie.shared.http import REDIRECTS, open_route, retry_after

from .errors import FetchError, UnsafeURLError
from .urls import check_url

MAX_REDIRECTS = 5
PERMANENT_REDIRECTS = {301, 308}
RETRY_AFTER_STATUSES = {429, 503}
CHUNK = 64 * 1024
FEED_ACCEPT = "application/rss+xml, application/atom+xml, application/rdf+xml, application/xml;q=0.9, text/xml;q=0.9, */*;q=0.5"  # noqa: E501


@dataclass(frozen=True)
class FetchLimits:
    timeout_s: float = 20.0
    deadline_s: float = 60.0
    max_bytes: int = 10_000_000
    user_agent: str = "Vigie"
    network: NetworkPolicy = NetworkPolicy()  # public addresses only

    @classmethod
    def from_settings(cls, settings) -> FetchLimits:
        return cls(timeout_s=settings.feeds_timeout_s, deadline_s=settings.feeds_deadline_s,
                   max_bytes=settings.feeds_max_bytes, user_agent=settings.feeds_user_agent,
                   network=settings.network_policy)


@dataclass(frozen=True)
class FetchRequest:
    url: str
    etag: str | None = None
    last_modified: str | None = None
    accept: str = FEED_ACCEPT


@dataclass
class FetchResponse:
    status: int
    url: str
    permanent_url: str | None = None
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""

    @property
    def not_modified(self) -> bool:
        return self.status == 304


class Deadline:
    def __init__(self, seconds: float) -> None:
        self.ends = time.monotonic() + seconds

    def remaining(self) -> float:
        return self.ends - time.monotonic()

    def socket_timeout(self, timeout_s: float) -> float:
        remaining = self.remaining()
        if remaining <= 0:
            raise FetchError("timeout", "total fetch deadline passed")
        return min(timeout_s, remaining)


def fetch(request: FetchRequest, limits: FetchLimits) -> FetchResponse:
    """GET a feed (or a page), following redirects; raise FetchError with the metric's result
    label."""
    deadline = Deadline(limits.deadline_s)
    url = _checked(request.url)
    every_hop_permanent = True
    for _ in range(MAX_REDIRECTS + 1):
        status, headers, body = _get(url, request, limits, deadline)
        if status not in REDIRECTS:
            permanent = url if every_hop_permanent and url != request.url else None
            return FetchResponse(status, url, permanent, headers, body)
        if not headers.get("location"):
            raise FetchError("http_error", f"HTTP {status} without a Location header")
        every_hop_permanent &= status in PERMANENT_REDIRECTS
        url = _checked(urljoin(url, headers["location"]))
    raise FetchError("http_error", f"more than {MAX_REDIRECTS} redirects")


def _checked(url: str) -> str:
    try:
        return check_url(url)
    except UnsafeURLError as exc:
        raise FetchError("refused", str(exc)) from None


def _request_headers(request: FetchRequest, limits: FetchLimits) -> dict[str, str]:
    headers = {"User-Agent": limits.user_agent, "Accept": request.accept,
               "Accept-Encoding": "gzip, deflate"}
    if request.etag:
        headers["If-None-Match"] = request.etag
    if request.last_modified:
        headers["If-Modified-Since"] = request.last_modified
    return headers


def _get(url: str, request: FetchRequest, limits: FetchLimits, deadline: Deadline):
    """One HTTP exchange: (status, lower-cased headers, body of a 2xx)."""
    try:
        route = open_route(url, deadline.socket_timeout(limits.timeout_s), limits.network)
    except ValueError as exc:  # a proxy Vigie cannot use
        raise FetchError("error", str(exc)) from None
    connection = route.connection
    watchdog = _Watchdog(deadline.remaining())
    try:
        connection.connect()
        # Kept here: http.client drops connection.sock once a response says it will close.
        watchdog.sock = connection.sock
        with watchdog:
            exchanged = _exchange(route, request, limits, deadline)
        if watchdog.fired:  # the body may look complete after the shutdown: never trust it
            raise FetchError("timeout", "total fetch deadline passed")
        return exchanged
    except RefusedAddress as exc:
        raise FetchError("private_address", str(exc)) from None
    except FetchError:
        if watchdog.fired:
            raise FetchError("timeout", "total fetch deadline passed") from None
        raise
    except TimeoutError as exc:
        raise FetchError("timeout", f"timed out: {exc}") from None
    except (OSError, http.client.HTTPException, ValueError) as exc:
        if watchdog.fired:
            raise FetchError("timeout", "total fetch deadline passed") from None
        raise FetchError("error", f"{type(exc).__name__}: {exc}") from None
    finally:
        connection.close()


def _exchange(route, request, limits, deadline):
    connection = route.connection
    connection.request("GET", route.target,
                       headers={**_request_headers(request, limits), **route.headers})
    sock = connection.sock
    response = connection.getresponse()
    headers: dict[str, str] = {}
    for name, value in response.getheaders():  # a repeated header (Link) is one list
        headers[name.lower()] = f"{headers[name.lower()]}, {value}" if name.lower() in headers \
            else value
    status = response.status
    if status == 304 or status in REDIRECTS:
        return status, headers, b""
    if not 200 <= status < 300:
        wait = retry_after(headers.get("retry-after"))
        if status not in RETRY_AFTER_STATUSES:
            wait = None
        raise FetchError("http_error", f"HTTP {status} {response.reason}", retry_after=wait,
                         status=status)
    body = _read_body(response, sock, headers, limits, deadline)
    return status, headers, body


def _read_body(response, sock, headers, limits: FetchLimits, deadline: Deadline) -> bytes:
    declared = headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limits.max_bytes:
        raise FetchError("too_large", f"Content-Length {declared} over {limits.max_bytes} bytes")
    body = _Body(headers.get("content-encoding", ""), limits.max_bytes)
    while True:
        sock.settimeout(deadline.socket_timeout(limits.timeout_s))
        chunk = response.read1(CHUNK)
        if not chunk:
            if response.length:  # Content-Length promised more than the server sent
                raise FetchError("error", "connection closed before the end of the body")
            return body.finish()
        body.add(chunk)


class _Body:
    """Accumulates a response body, decompressing it, with a cap on both sides."""

    def __init__(self, encoding: str, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self.raw_size = 0
        self.data = bytearray()
        self.decoder = _decoder(encoding.strip().lower())

    def add(self, chunk: bytes) -> None:
        self.raw_size += len(chunk)
        if self.raw_size > self.max_bytes:
            raise FetchError("too_large", f"response over {self.max_bytes} bytes")
        if self.decoder is None:
            self._append(chunk)
        else:
            self._append(self.decoder.decompress(chunk, self.max_bytes - len(self.data) + 1))

    def finish(self) -> bytes:
        if self.decoder is not None:
            self._append(self.decoder.flush())
        return bytes(self.data)

    def _append(self, data: bytes) -> None:
        if len(self.data) + len(data) > self.max_bytes:
            raise FetchError("too_large", f"decoded response over {self.max_bytes} bytes")
        self.data += data


def _decoder(encoding: str):
    if encoding in ("", "identity"):
        return None
    if encoding in ("gzip", "x-gzip"):
        return zlib.decompressobj(16 + zlib.MAX_WBITS)
    if encoding == "deflate":
        return zlib.decompressobj(zlib.MAX_WBITS)
    raise FetchError("error", f"unsupported Content-Encoding {encoding!r}")


class _Watchdog:
    """Shuts the socket down at the deadline: timeouts bound each read, this bounds the sum."""

    def __init__(self, seconds: float) -> None:
        self.sock: socket.socket | None = None
        self.fired = False
        self.timer = threading.Timer(max(0.0, seconds), self._fire)
        self.timer.daemon = True

    def _fire(self) -> None:
        self.fired = True
        if self.sock is not None:
            try:
                self.sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def __enter__(self) -> _Watchdog:
        self.timer.start()
        return self

    def __exit__(self, *exc_info) -> None:
        self.timer.cancel()
