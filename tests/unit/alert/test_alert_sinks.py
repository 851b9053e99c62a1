"""Sinks: the terminal format and the webhook, the latter against a real local HTTP server."""

from __future__ import annotations

import http.server
import json
import threading

import pytest

from tests.local_http import Proxy
from vigie.alert.format import human
from vigie.alert.webhook import WebhookError, post_alert
from vigie.shared.broker import free_port
from vigie.shared.http import retry_after

STORY = "Calme. Une alerte aérienne a retenti à Kyiv.\nLes habitants sont aux abris."


@pytest.fixture
def alert(shipped, make_article):
    ((found, _),) = shipped.evaluate(make_article(STORY))
    return found


def test_human_format_has_the_essentials_on_two_lines(alert):
    lines = human(alert).splitlines()
    assert len(lines) == 2
    head, body = lines
    for part in ("CRITICAL", "air-raid", "Alerte à Kyiv", "AFP", "2025-08-22", "UTC"):
        assert part in head
    assert body.strip() == "Une «alerte aérienne» a retenti à Kyiv."


def test_human_format_colours_the_severity_on_request(alert):
    assert "\x1b[1;31mCRITICAL\x1b[0m" in human(alert, colour=True)
    assert "\x1b[" not in human(alert)


class Script:
    """Answers to give, in order (status, headers); the last one repeats. Every request is
    kept as (headers, body) in ``requests`` and as (method, path) in ``calls``."""

    def __init__(self, *answers):
        self.answers = list(answers)
        self.requests: list[tuple[dict, bytes]] = []
        self.calls: list[tuple[str, str]] = []

    def next(self):
        return self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]


@pytest.fixture
def server():
    """A real HTTP server on 127.0.0.1 that follows a script; yields (url, script) factory."""
    running = []

    def start(*answers):
        script = Script(*answers)

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                script.requests.append((dict(self.headers), body))
                script.calls.append((self.command, self.path))
                status, headers = script.next()
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", "0")
                self.end_headers()

            do_GET = do_POST  # a client that turned the POST into a GET would be seen

            def log_message(self, *args):
                pass

        httpd = http.server.HTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=httpd.serve_forever, daemon=True).start()
        running.append(httpd)
        return f"http://127.0.0.1:{httpd.server_port}/hook", script

    yield start
    for httpd in running:
        httpd.shutdown()
        httpd.server_close()


def test_webhook_retries_twice_then_delivers(server, alert):
    url, script = server((500, {}), (503, {}), (200, {}))
    assert post_alert(url, alert, retries=3, backoff=0.01) == 200
    assert len(script.requests) == 3
    headers, body = script.requests[-1]
    assert json.loads(body)["id"] == alert.id
    assert headers["Content-Type"] == "application/json"
    assert headers["Idempotency-Key"] == alert.id


def test_webhook_backs_off_exponentially_and_honours_retry_after(server, alert):
    url, script = server((502, {}), (500, {}), (429, {"Retry-After": "7"}), (201, {}))
    waits: list[float] = []
    assert post_alert(url, alert, retries=3, backoff=0.5, sleep=waits.append) == 201
    assert waits == [0.5, 1.0, 7.0]


def test_retry_after_is_capped(server, alert):
    url, _ = server((503, {"Retry-After": "3600"}), (200, {}))
    waits: list[float] = []
    post_alert(url, alert, retries=1, backoff=0.1, max_delay=30, sleep=waits.append)
    assert waits == [30]


def test_webhook_gives_up_with_a_clear_error(server, alert):
    url, script = server((503, {}))
    with pytest.raises(WebhookError, match="after 3 attempts.*503") as raised:
        post_alert(url, alert, retries=2, backoff=0.001)
    assert raised.value.status == 503 and raised.value.attempts == 3
    assert len(script.requests) == 3


def test_a_refusal_is_not_retried(server, alert):
    url, script = server((400, {}), (200, {}))
    with pytest.raises(WebhookError, match="400") as raised:
        post_alert(url, alert, retries=3, backoff=0.001)
    assert raised.value.attempts == 1 and len(script.requests) == 1


@pytest.mark.parametrize("status", [301, 302, 303])
def test_a_redirect_that_would_turn_the_post_into_a_get_is_a_failed_delivery(
        server, alert, status):
    url, script = server((status, {"Location": "/moved"}))
    with pytest.raises(WebhookError, match=f"after 3 attempts.*HTTP {status}") as raised:
        post_alert(url, alert, retries=2, backoff=0.001)
    assert raised.value.status == status
    assert script.calls == [("POST", "/hook")] * 3  # never followed, never a GET


@pytest.mark.parametrize("status", [307, 308])
def test_a_same_body_redirect_delivers_the_body_at_the_new_address(server, alert, status):
    url, script = server((status, {"Location": "/moved"}), (200, {}))
    assert post_alert(url, alert, retries=0) == 200
    assert script.calls == [("POST", "/hook"), ("POST", "/moved")]
    assert script.requests[0][1] == script.requests[1][1]
    assert json.loads(script.requests[1][1])["id"] == alert.id


def test_a_same_body_redirect_to_another_host_is_refused_at_once(server, alert):
    url, script = server((307, {"Location": "http://localhost:9/elsewhere"}), (200, {}))
    with pytest.raises(WebhookError, match="another host, refused") as raised:
        post_alert(url, alert, retries=3, backoff=0.001)
    assert raised.value.attempts == 1 and script.calls == [("POST", "/hook")]


def test_an_unreachable_webhook_fails_after_its_retries(alert):
    url = f"http://127.0.0.1:{free_port()}/hook"
    with pytest.raises(WebhookError, match="after 2 attempts") as raised:
        post_alert(url, alert, retries=1, backoff=0.001, timeout=2)
    assert raised.value.status is None


def test_retry_after_reads_seconds_and_http_dates():
    assert retry_after("120") == 120.0
    assert retry_after("Wed, 21 Oct 2015 07:28:30 GMT", now=1445412500.0) == 10.0
    assert retry_after("soon") is None and retry_after(None) is None


def test_the_webhook_goes_through_the_proxy_of_the_environment(server, alert, monkeypatch):
    url, script = server((204, {}))
    with Proxy() as proxy:
        monkeypatch.setenv("http_proxy", proxy.url)
        assert post_alert(url, alert, retries=0) == 204
    assert proxy.carried == [("POST", url)]
    assert json.loads(script.requests[0][1])["id"] == alert.id  # the body went through
