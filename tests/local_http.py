"""Real HTTP servers on 127.0.0.0/8 for the tests: a server whose paths are plain functions,
and a forward proxy (absolute-URL requests and CONNECT tunnels) that records what it carried."""

from __future__ import annotations

import http.client
import select
import socket
import ssl
import threading
from collections import Counter
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

Route = Callable[[BaseHTTPRequestHandler], None]


class _Running:
    """A threaded server started on ``with`` and stopped at its end; https with ``tls``."""

    def __init__(self, host: str, handler, tls: ssl.SSLContext | None = None) -> None:
        self._server = ThreadingHTTPServer((host, 0), handler)
        self._server.daemon_threads = True
        if tls is not None:
            self._server.socket = tls.wrap_socket(self._server.socket, server_side=True)
        self.scheme = "https" if tls else "http"
        self.host, self.port = host, self._server.server_address[1]

    def __enter__(self):
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc_info) -> None:
        self._server.shutdown()
        self._server.server_close()


class LocalServer(_Running):
    """GET and POST on ``host`` (127.0.0.1 by default, https with ``tls``); ``routes`` maps a
    path to a function of the request handler. Every request is kept in ``requests`` as (path,
    lower-cased headers) and counted in ``hits``; a POST body is ``handler.body``."""

    def __init__(self, host: str = "127.0.0.1", tls: ssl.SSLContext | None = None) -> None:
        self.routes: dict[str, Route] = {}
        self.hits: Counter[str] = Counter()
        self.requests: list[tuple[str, dict[str, str]]] = []
        super().__init__(host, self._handler(), tls)

    def url(self, path: str) -> str:
        return f"{self.scheme}://{self.host}:{self.port}{path}"

    def _handler(self):
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                self.body = self.rfile.read(length) if length else b""
                path = self.path.split("?", 1)[0]
                server.hits[path] += 1
                server.requests.append((path, {k.lower(): v for k, v in self.headers.items()}))
                server.routes.get(path, not_found)(self)

            do_POST = do_GET

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


class Proxy(_Running):
    """A forward proxy on 127.0.0.1: ``carried`` lists each request as (method, target) and
    ``headers`` the headers the client sent to the proxy."""

    def __init__(self) -> None:
        self.carried: list[tuple[str, str]] = []
        self.headers: list[dict[str, str]] = []
        super().__init__("127.0.0.1", self._handler())

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def _handler(self):
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            def _record(self) -> None:
                proxy.carried.append((self.command, self.path))
                proxy.headers.append({k.lower(): v for k, v in self.headers.items()})

            def do_GET(self) -> None:  # an absolute URL, forwarded as it is
                self._record()
                target = urlsplit(self.path)
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else None
                upstream = http.client.HTTPConnection(target.hostname, target.port, timeout=10)
                headers = {k: v for k, v in self.headers.items()
                           if k.lower() not in ("proxy-authorization", "connection")}
                upstream.request(self.command, target.path or "/", body=body, headers=headers)
                answer = upstream.getresponse()
                reply(self, answer.status, answer.read(), {
                    k: v for k, v in answer.getheaders()
                    if k.lower() not in ("content-length", "transfer-encoding", "connection")})
                upstream.close()

            do_POST = do_GET

            def do_CONNECT(self) -> None:  # a tunnel: bytes both ways until one side closes
                self._record()
                host, port = self.path.rsplit(":", 1)
                upstream = socket.create_connection((host, int(port)), timeout=10)
                self.send_response(200, "Connection established")
                self.end_headers()
                sockets = [self.connection, upstream]
                while True:
                    readable, _, _ = select.select(sockets, [], [], 10)
                    if not readable:
                        break
                    for sock in readable:
                        data = sock.recv(65536)
                        if not data:
                            upstream.close()
                            return
                        (upstream if sock is self.connection else self.connection).sendall(data)
                upstream.close()

            def log_message(self, *args) -> None:
                pass

        return Handler
