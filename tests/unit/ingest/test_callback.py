"""The WebSub callback on a real HTTP server on 127.0.0.1: verification of intent answered
only for what was asked, pushes accepted only when signed, every refusal counted."""

from __future__ import annotations

import urllib.error
import urllib.request
from urllib.parse import urlencode

import pytest
from prometheus_client import CollectorRegistry

from vigie.ingest.feeds.callback import PATH, Callbacks, Denied, Expected, Pushed, Verified
from vigie.ingest.feeds.websub import sign
from vigie.ingest.metrics import IngestMetrics
from vigie.shared.metrics import MetricsServer

TOPIC = "https://blog.example.org/atom"
SECRET = "0123abcd" * 8
DOCUMENT = b'<feed xmlns="http://www.w3.org/2005/Atom"><title>B</title></feed>'


@pytest.fixture
def callback():
    callbacks = Callbacks(IngestMetrics(CollectorRegistry()))
    callbacks.expect("abc", Expected("https://blog.example.org/feed", TOPIC, SECRET))
    server = MetricsServer(callbacks.metrics.registry, 0, host="127.0.0.1",
                           request_routes={PATH: callbacks.route}, max_body=1000).start()
    callbacks.base = f"http://127.0.0.1:{server.port}{PATH}"
    yield callbacks
    server.stop()


def call(callbacks, callback_id: str, query: dict | None = None, body: bytes | None = None,
         headers: dict | None = None) -> tuple[int, bytes]:
    url = callbacks.base + callback_id + (f"?{urlencode(query)}" if query else "")
    request = urllib.request.Request(url, data=body, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=10) as answer:
            return answer.status, answer.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def count(callbacks, metric: str, result: str) -> float:
    return callbacks.metrics.registry.get_sample_value(metric, {"result": result})


def verification(mode="subscribe", topic=TOPIC, **extra) -> dict:
    return {"hub.mode": mode, "hub.topic": topic, "hub.challenge": "c-123", **extra}


def test_the_challenge_is_echoed_only_for_the_topic_and_mode_asked_for(callback):
    bell = callback.doorbell.armed()
    assert call(callback, "abc", verification(**{"hub.lease_seconds": "600"})) == \
        (200, b"c-123")
    assert bell.done()
    assert callback.take() == [Verified("abc", 600.0)]
    for query in (verification(topic="https://other.example/"), verification("unsubscribe"),
                  {"hub.mode": "subscribe", "hub.topic": TOPIC}):
        assert call(callback, "abc", query)[0] == 404
    assert call(callback, "unknown", verification())[0] == 404
    assert callback.take() == []
    assert count(callback, "vigie_ingest_websub_verifications_total", "refused") == 4


def test_a_hub_denying_the_subscription_is_told_to_the_loop(callback):
    assert call(callback, "abc", verification("denied", **{"hub.reason": "no"}))[0] == 200
    assert callback.take() == [Denied("abc", "no")]


def test_a_signed_push_is_accepted_and_any_other_refused_with_2xx_and_counted(callback):
    status, _ = call(callback, "abc", body=DOCUMENT,
                     headers={"X-Hub-Signature": sign(SECRET, DOCUMENT, "sha1"),
                              "Content-Type": "application/atom+xml"})
    assert status == 200
    [pushed] = callback.take()
    assert isinstance(pushed, Pushed) and pushed.body == DOCUMENT
    assert pushed.feed_url == "https://blog.example.org/feed"
    assert pushed.headers["content-type"] == "application/atom+xml"

    assert call(callback, "abc", body=DOCUMENT)[0] == 200
    assert call(callback, "abc", body=DOCUMENT,
                headers={"X-Hub-Signature": sign("not the secret", DOCUMENT)})[0] == 200
    assert call(callback, "gone", body=DOCUMENT,
                headers={"X-Hub-Signature": sign(SECRET, DOCUMENT)})[0] == 410
    big = b"<feed>" + b" " * 1000 + b"</feed>"
    assert call(callback, "abc", body=big, headers={"X-Hub-Signature": sign(SECRET, big)})[0] \
        == 413
    assert callback.take() == []
    for result in ("unsigned", "bad_signature", "unknown_callback", "too_large"):
        assert count(callback, "vigie_ingest_websub_pushes_total", result) == 1, result


def test_a_forgotten_subscription_is_no_longer_answered(callback):
    callback.forget("abc")
    assert call(callback, "abc", verification())[0] == 404
    assert call(callback, "abc", body=DOCUMENT,
                headers={"X-Hub-Signature": sign(SECRET, DOCUMENT)})[0] == 410
