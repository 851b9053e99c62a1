"""Fetching against real HTTP servers on 127.0.0.0/8: caching, redirects, limits, deadlines,
the address guard and a proxy."""

from __future__ import annotations

import gzip
import ssl
import time

import pytest
import trustme

from vigie.ingest.feeds.errors import FetchError
from vigie.ingest.feeds.fetch import FetchLimits, FetchRequest, fetch
from vigie.ingest.settings import IngestSettings
from vigie.shared.addresses import NetworkPolicy

from ..local_http import LocalServer, Proxy, redirect, reply, serve

pytestmark = pytest.mark.integration

FEED = b'<rss version="2.0"><channel><title>t</title><item><title>a</title></item></channel></rss>'
LOOPBACK = NetworkPolicy.parse("127.0.0.0/8")
LIMITS = FetchLimits(timeout_s=2.0, deadline_s=3.0, max_bytes=100_000, user_agent="Vigie-test",
                     network=LOOPBACK)


@pytest.fixture
def server():
    with LocalServer() as instance:
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
    sent = []  # one item per byte the server has written

    def trickle(handler):
        handler.send_response(200)
        handler.send_header("Content-Length", "1000")
        handler.end_headers()
        try:
            for _ in range(1000):
                handler.wfile.write(b"x")
                handler.wfile.flush()
                sent.append(1)
                time.sleep(0.2)  # each byte arrives well within the socket timeout
        except OSError:
            pass

    server.routes["/feed"] = trickle
    limits = FetchLimits(timeout_s=1.0, deadline_s=1.5, max_bytes=100_000, network=LOOPBACK)
    with pytest.raises(FetchError) as caught:
        fetch(FetchRequest(server.url("/feed")), limits)
    assert caught.value.result == "timeout"
    # cut at the deadline, not after 200 s of bytes: the body was still coming
    assert 0 < len(sent) < 1000


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
    with LocalServer() as closed:
        url = closed.url("/feed")
    with pytest.raises(FetchError) as caught:
        fetch(FetchRequest(url), LIMITS)
    assert caught.value.result in ("error", "timeout")


def test_a_feed_on_loopback_is_refused_by_default(server):
    server.routes["/feed"] = serve(FEED)
    with pytest.raises(FetchError) as caught:
        fetch(FetchRequest(server.url("/feed")), FetchLimits())
    assert caught.value.result == "private_address"
    assert "127.0.0.1" in str(caught.value) and "VIGIE_ALLOW_PRIVATE_NETWORKS" in str(caught.value)
    assert server.hits["/feed"] == 0  # refused before connecting


def test_a_redirect_to_an_address_not_allowed_is_refused_on_that_hop():
    only_one = FetchLimits(network=NetworkPolicy.parse("127.0.0.1/32"))
    with LocalServer("127.0.0.1") as first, LocalServer("127.0.0.2") as second:
        second.routes["/feed"] = serve(FEED)
        first.routes["/feed"] = redirect(302, second.url("/feed"))
        first.routes["/direct"] = serve(FEED)
        assert fetch(FetchRequest(first.url("/direct")), only_one).body == FEED
        with pytest.raises(FetchError) as caught:
            fetch(FetchRequest(first.url("/feed")), only_one)
        assert caught.value.result == "private_address" and "127.0.0.2" in str(caught.value)
        assert (first.hits["/feed"], second.hits["/feed"]) == (1, 0)


def test_a_fetch_goes_through_the_proxy_of_the_environment(server, monkeypatch):
    server.routes["/feed"] = serve(FEED)
    with Proxy() as proxy:
        monkeypatch.setenv("HTTP_PROXY", proxy.url.replace("//", "//reader:s%3Acret@"))
        assert fetch(FetchRequest(server.url("/feed")), LIMITS).body == FEED
        assert proxy.carried == [("GET", server.url("/feed"))]
        assert proxy.headers[0]["proxy-authorization"] == "Basic cmVhZGVyOnM6Y3JldA=="
        monkeypatch.setenv("NO_PROXY", "127.0.0.1")
        assert fetch(FetchRequest(server.url("/feed")), LIMITS).body == FEED
        assert len(proxy.carried) == 1 and server.hits["/feed"] == 2


def test_behind_a_proxy_the_target_is_checked_and_the_proxy_is_not(server, monkeypatch):
    """The proxy (on loopback) is the operator's; the feed behind it must pass the guard."""
    server.routes["/feed"] = serve(FEED)
    with Proxy() as proxy:
        monkeypatch.setenv("HTTP_PROXY", proxy.url)
        with pytest.raises(FetchError) as caught:
            fetch(FetchRequest(server.url("/feed")), FetchLimits())
        assert caught.value.result == "private_address" and proxy.carried == []


def test_https_goes_through_the_proxy_in_a_tunnel(monkeypatch, tmp_path):
    """CONNECT to the proxy, then TLS with the server itself: its certificate is verified."""
    ca = trustme.CA()
    server_tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1").configure_cert(server_tls)
    ca.cert_pem.write_to_path(str(tmp_path / "ca.pem"))
    monkeypatch.setenv("SSL_CERT_FILE", str(tmp_path / "ca.pem"))  # trusted by the client
    with LocalServer(tls=server_tls) as server, Proxy() as proxy:
        server.routes["/feed"] = serve(FEED)
        monkeypatch.setenv("HTTPS_PROXY", proxy.url)
        assert fetch(FetchRequest(server.url("/feed")), LIMITS).body == FEED
        assert proxy.carried == [("CONNECT", f"127.0.0.1:{server.port}")]


def test_the_variable_opens_loopback_to_the_fetch(server):
    """VIGIE_ALLOW_PRIVATE_NETWORKS, read as a user sets it, reaches the fetch limits."""
    server.routes["/feed"] = serve(FEED)
    for value, allowed in (("", False), ("127.0.0.1/32", True), ("true", True)):
        settings = IngestSettings.from_env({"VIGIE_ALLOW_PRIVATE_NETWORKS": value})
        limits = FetchLimits.from_settings(settings)
        if allowed:
            assert fetch(FetchRequest(server.url("/feed")), limits).body == FEED
        else:
            with pytest.raises(FetchError, match="not a public address"):
                fetch(FetchRequest(server.url("/feed")), limits)
