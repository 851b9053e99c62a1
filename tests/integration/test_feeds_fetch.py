"""Fetching against a real HTTP server on 127.0.0.1: caching, redirects, limits, deadlines.

``FeedServer`` is also used by the other feed integration tests.
"""

from __future__ import annotations

import gzip
import threading
import time
from collections import Counter
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from vigie.ingest.feeds.errors import FetchError
from vigie.ingest.feeds.fetch import FetchLimits, FetchRequest, fetch

pytestmark = pytest.mark.integration

Route = Callable[[BaseHTTPRequestHandler], None]


class FeedServer:
    """A threaded HTTP server on a free 127.0.0.1 port whose paths are plain functions."""

    def __init__(self) -> None:
        self.routes: dict[str, Route] = {}
        self.hits: Counter[str] = Counter()
        self.requests: list[tuple[str, dict[str, str]]] = []
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}{path}"

    def __enter__(self) -> FeedServer:
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc_info) -> None:
        self._server.shutdown()
        self._server.server_close()

    def _handler(self):
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                path = self.path.split("?", 1)[0]
                server.hits[path] += 1
                server.requests.append((path, {k.lower(): v for k, v in self.headers.items()}))
                server.routes.get(path, not_found)(self)

            def log_message(self, *args) -> None:
                pass

        return Handler


def reply(handler, status: int, body: bytes = b"", headers: dict | None = None) -> None:
    handler.send_response(status)
    for name, value in (headers or {}).items():
        handler.send_header(name, value)
    handler.send_header("Content-Length", str(len(body)))
    handler.end_headers()
    handler.wfile.write(body)


def not_found(handler) -> None:
    reply(handler, 404, b"not found")


def serve(body: bytes, content_type: str = "application/rss+xml", **headers) -> Route:
    """A route that always answers 200 with ``body``."""
    return lambda handler: reply(handler, 200, body, {"Content-Type": content_type, **headers})


def redirect(status: int, location: str) -> Route:
    return lambda handler: reply(handler, status, b"", {"Location": location})


FEED = b'<rss version="2.0"><channel><title>t</title><item><title>a</title></item></channel></rss>'
LIMITS = FetchLimits(timeout_s=2.0, deadline_s=3.0, max_bytes=100_000, user_agent="Vigie-test")


@pytest.fixture
def server():
    with FeedServer() as instance:
        yield instance


def test_plain_fetch_sends_user_agent_and_returns_body(server):
    server.routes["/feed"] = serve(FEED)
    response = fetch(FetchRequest(server.url("/feed")), LIMITS)
    assert (response.status, response.body) == (200, FEED)
    assert response.headers["content-type"] == "application/rss+xml"
    assert server.requests[0][1]["user-agent"] == "Vigie-test"


def test_conditional_get_gives_not_modified(server):
    def cached(handler):
        if handler.headers.get("If-None-Match") == '"v1"':
            reply(handler, 304)
        else:
            reply(handler, 200, FEED, {"ETag": '"v1"', "Last-Modified": "Mon, 10 Feb 2025"})

    server.routes["/feed"] = cached
    first = fetch(FetchRequest(server.url("/feed")), LIMITS)
    again = fetch(FetchRequest(server.url("/feed"), first.headers["etag"],
                               first.headers["last-modified"]), LIMITS)
    assert again.not_modified and again.body == b""
    assert server.requests[1][1]["if-modified-since"] == "Mon, 10 Feb 2025"


def test_gzip_body_is_decompressed(server):
    server.routes["/feed"] = serve(gzip.compress(FEED), **{"Content-Encoding": "gzip"})
    assert fetch(FetchRequest(server.url("/feed")), LIMITS).body == FEED


def test_gzip_bomb_is_cut_off(server):
    bomb = gzip.compress(b" " * (LIMITS.max_bytes * 50))
    assert len(bomb) < LIMITS.max_bytes
    server.routes["/feed"] = serve(bomb, **{"Content-Encoding": "gzip"})
    with pytest.raises(FetchError) as caught:
        fetch(FetchRequest(server.url("/feed")), LIMITS)
    assert caught.value.result == "too_large"


def test_body_over_cap_without_content_length_is_cut_off(server):
    def endless(handler):
        handler.send_response(200)
        handler.send_header("Content-Type", "text/xml")
        handler.end_headers()  # no Content-Length: read until the server closes
        handler.close_connection = True
        try:
            for _ in range(1000):
                handler.wfile.write(b"x" * 10_000)
        except OSError:
            pass

    server.routes["/feed"] = endless
    with pytest.raises(FetchError) as caught:
        fetch(FetchRequest(server.url("/feed")), LIMITS)
    assert caught.value.result == "too_large"


def test_trickling_server_hits_the_total_deadline(server):
    def trickle(handler):
        handler.send_response(200)
        handler.send_header("Content-Length", "1000")
        handler.end_headers()
        try:
            for _ in range(1000):
                handler.wfile.write(b"x")
                handler.wfile.flush()
                time.sleep(0.2)  # each byte arrives well within the socket timeout
        except OSError:
            pass

    server.routes["/feed"] = trickle
    limits = FetchLimits(timeout_s=1.0, deadline_s=1.5, max_bytes=100_000)
    started = time.monotonic()
    with pytest.raises(FetchError) as caught:
        fetch(FetchRequest(server.url("/feed")), limits)
    assert caught.value.result == "timeout"
    assert time.monotonic() - started < 10  # cut at the deadline, not after 200 s of bytes


def test_redirects_permanent_and_temporary(server):
    server.routes["/old"] = redirect(301, "/new")
    server.routes["/tmp"] = redirect(302, "/new")
    server.routes["/new"] = serve(FEED)
    moved = fetch(FetchRequest(server.url("/old")), LIMITS)
    assert moved.permanent_url == server.url("/new") and moved.body == FEED
    assert fetch(FetchRequest(server.url("/tmp")), LIMITS).permanent_url is None


@pytest.mark.parametrize("target", ["file:///etc/passwd", "ftp://127.0.0.1/feed"])
def test_redirect_to_another_scheme_is_refused(server, target):
    server.routes["/feed"] = redirect(302, target)
    with pytest.raises(FetchError) as caught:
        fetch(FetchRequest(server.url("/feed")), LIMITS)
    assert caught.value.result == "refused"


def test_retry_after_is_reported_on_429(server):
    server.routes["/feed"] = lambda h: reply(h, 429, b"slow down", {"Retry-After": "120"})
    with pytest.raises(FetchError) as caught:
        fetch(FetchRequest(server.url("/feed")), LIMITS)
    assert (caught.value.result, caught.value.retry_after) == ("http_error", 120.0)


def test_connection_refused_is_an_error_not_a_crash():
    with FeedServer() as closed:
        url = closed.url("/feed")
    with pytest.raises(FetchError) as caught:
        fetch(FetchRequest(url), LIMITS)
    assert caught.value.result in ("error", "timeout")
