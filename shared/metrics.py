"""Serving ``/metrics`` and ``/healthz`` (and any small JSON route) from a service.

A route under a prefix may also take the whole request (``RequestRoute``: method, query,
headers and a body capped at ``max_body``), GET or POST: ingest's WebSub callback is one.

Each service declares its metrics in its own ``metrics.py`` through a factory that takes a
``CollectorRegistry``, so tests use a fresh registry; names follow ``vigie_<service>_<what>_<unit>``.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlsplit

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    disable_created_metrics,
    generate_latest,
)

# ``*_created`` series double every counter's output and no dashboard reads them.
disable_created_metrics()

# A route returns (status, JSON-able body).
Route = Callable[[], tuple[int, object]]
# A route under a prefix ("/cap/") gets the rest of the path ("<id>.xml").
PrefixRoute = Callable[[str], tuple[int, object]]


@dataclass(frozen=True)
class Request:
    """A request to a ``RequestRoute``: ``path`` is the rest after the route's prefix, ``query``
    the first value of each parameter, ``headers`` with lower-case names, ``body`` None when
    the request declared more than the server's ``max_body`` (it is then not read)."""

    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: bytes | None


RequestRoute = Callable[[Request], tuple[int, object]]


@dataclass(frozen=True)
class Document:
    """A body served as it is (not as JSON), with its content type."""

    body: bytes
    content_type: str

DURATION_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30)
# From a source's own time to a stage: seconds (push) to a day (a quiet feed polled slowly).
SOURCE_DELAY_BUCKETS = (1, 2, 5, 10, 30, 60, 120, 300, 600, 1800, 3600, 10800, 43200, 86400)


class MetricsServer:
    """A small threaded HTTP server: ``/metrics`` for Prometheus plus routes answering JSON
    (or a ``Document``); a route whose path ends in "/" serves every path under it."""

    def __init__(self, registry: CollectorRegistry, port: int, host: str = "0.0.0.0",
                 routes: dict[str, Route | PrefixRoute] | None = None,
                 request_routes: dict[str, RequestRoute] | None = None,
                 max_body: int = 1_000_000) -> None:
        self.registry = registry
        self.routes: dict[str, Route | PrefixRoute] = {"/healthz": lambda: (200, {"status": "ok"})}
        self.routes.update(routes or {})
        self.request_routes = dict(request_routes or {})  # prefix → route, GET and POST
        self.max_body = max_body
        self._server = ThreadingHTTPServer((host, port), self._handler())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def prefix_of(self, path: str) -> str | None:
        prefixes = [r for r in self.routes if r.endswith("/") and path.startswith(r)]
        return max(prefixes, key=len, default=None)

    @property
    def port(self) -> int:
        return self._server.server_address[1]

    def start(self) -> MetricsServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        return type("Handler", (_Handler,), {"service": self})


class _Handler(BaseHTTPRequestHandler):
    """Answers for ``service`` (set on a subclass per server): /metrics, its routes and
    its request routes."""

    service: MetricsServer

    def do_GET(self) -> None:
        path = self.path.split("?", 1)[0]
        if self._requested(path):
            return
        if path == "/metrics":
            self._send(200, generate_latest(self.service.registry), CONTENT_TYPE_LATEST)
        elif path in self.service.routes and not path.endswith("/"):
            self._answer(*self.service.routes[path]())
        elif (prefix := self.service.prefix_of(path)) is not None:
            self._answer(*self.service.routes[prefix](path[len(prefix):]))
        else:
            self._send(404, b"not found\n", "text/plain")

    def do_POST(self) -> None:
        if not self._requested(self.path.split("?", 1)[0]):
            self._send(404, b"not found\n", "text/plain")

    def _requested(self, path: str) -> bool:
        """Hand the request to the request route under ``path``, if there is one."""
        prefix = max((p for p in self.service.request_routes if path.startswith(p)),
                     key=len, default=None)
        if prefix is None:
            return False
        length = self.headers.get("Content-Length") or "0"
        if not length.isdigit() or self.headers.get("Transfer-Encoding"):
            self.close_connection = True
            self._send(411, b"a Content-Length is required\n", "text/plain")
            return True
        body = None
        if int(length) <= self.service.max_body:
            body = self.rfile.read(int(length))
        else:
            self.close_connection = True  # the body stays unread
        query = dict(parse_qsl(urlsplit(self.path).query, keep_blank_values=True))
        headers = {name.lower(): value for name, value in self.headers.items()}
        self._answer(*self.service.request_routes[prefix](
            Request(self.command, path[len(prefix):], query, headers, body)))
        return True

    def _answer(self, status: int, body) -> None:
        if isinstance(body, Document):
            self._send(status, body.body, body.content_type)
        else:
            self._send(status, json.dumps(body, ensure_ascii=False).encode(),
                       "application/json")

    def _send(self, status: int, body: bytes, content_type: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args) -> None:  # scrapes every few seconds: not worth a log
        pass
