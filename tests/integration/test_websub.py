"""WebSub end to end: a hub written for the test on 127.0.0.1, a feed naming it, polled only
once an hour, and a real ``vigie ingest feeds`` serving the callback on its HTTP server."""

from __future__ import annotations

import urllib.request

import pytest
import yaml

from vigie.shared.broker import free_port
from vigie.shared.ids import article_id
from vigie.shared.messages import Alert, RawArticle, decode

from ..local_http import LocalServer, reply
from ..websub_hub import Hub, atom, entry_guid
from .faults import ALERT_SENTENCES, collect, seed_sentences, wait_until
from .helpers import run_vigie
from .workers import running

pytestmark = pytest.mark.integration
HANG_GUARD_S = 240


class PushedFeed:
    """A feed document on its own server, naming ``hub``; ``entries`` can change under it."""

    def __init__(self, server: LocalServer, hub: Hub) -> None:
        self.server, self.hub = server, hub
        self.url = server.url("/feed.xml")
        self.entries: list[tuple[str, str, str]] = [("calm", "Météo", seed_sentences()[0])]
        server.routes["/feed.xml"] = lambda handler: self._serve(handler)

    def _serve(self, handler) -> None:
        reply(handler, 200, self.document(), {"Content-Type": "application/atom+xml"})

    def document(self, entries=None) -> bytes:
        return atom(self.url, self.hub.url, self.entries if entries is None else entries)

    def article_id(self, entry_id: str) -> str:
        return article_id("feed", self.url, entry_guid(entry_id))


def feed_list(tmp_path, feed: PushedFeed):
    path = tmp_path / "feeds.yaml"
    path.write_text(yaml.safe_dump({"feeds": [
        {"url": feed.url, "name": "Pushed", "interval": "1h", "full_text": "never"}]}))
    return path


def ingest_env(kafka_settings, port: int) -> dict[str, str]:
    return {"VIGIE_INGEST_METRICS_PORT": str(port),
            "VIGIE_WEBSUB_CALLBACK_URL": f"http://127.0.0.1:{port}",
            "VIGIE_FEEDS_STATE_TOPIC": kafka_settings.topic_raw + ".feed-state",
            "VIGIE_FEEDS_PER_HOST_DELAY_S": "0"}


def metric(port: int, name: str, labels: str = "") -> float:
    """A sample of a service's /metrics (0 when absent)."""
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10) as answer:
        text = answer.read().decode()
    wanted = f"{name}{{{labels}}}" if labels else name
    return sum(float(line.rsplit(" ", 1)[1]) for line in text.splitlines()
               if line.startswith(wanted + " "))


def raw_ids(kafka_settings, done) -> set[str]:
    records = collect(kafka_settings, kafka_settings.topic_raw,
                      lambda rs: done({decode(r.value, RawArticle).id for r in rs}),
                      timeout=HANG_GUARD_S, linger=1)
    return {decode(r.value, RawArticle).id for r in records}


def test_a_pushed_entry_reaches_the_alerts_and_unsigned_or_forged_pushes_publish_nothing(
        kafka_settings, tmp_path):
    port, alert_port = free_port(), free_port()
    with Hub() as hub, LocalServer() as server:
        feed = PushedFeed(server, hub)
        with running(kafka_settings, tmp_path, ("enrich",), ("alert",),
                     ("ingest", "feeds", str(feed_list(tmp_path, feed))),
                     VIGIE_ALERT_METRICS_PORT=str(alert_port), **ingest_env(kafka_settings, port)):
            wait_until(lambda: hub.verified(), HANG_GUARD_S, "the hub's verified subscription")
            [request] = hub.requests
            assert request.params["hub.topic"] == feed.url
            assert request.callback.startswith(f"http://127.0.0.1:{port}/websub/")
            assert 0 < len(request.params["hub.secret"]) < 200

            forged = [("forged", "Alerte", ALERT_SENTENCES[0])]
            unsigned = [("unsigned", "Alerte", ALERT_SENTENCES[0])]
            assert hub.publish(feed.document(unsigned), signature="") == [200]
            assert hub.publish(feed.document(forged), signature="sha1=" + "0" * 40) == [200]
            pushed = [("pushed", "Alerte", ALERT_SENTENCES[0] + " " + seed_sentences()[1])]
            assert hub.publish(feed.document(pushed)) == [200]

            alert_records = collect(
                kafka_settings, kafka_settings.topic_alerts,
                lambda rs: feed.article_id("pushed") in {decode(r.value, Alert).article.id
                                                         for r in rs},
                timeout=HANG_GUARD_S, linger=0)
            alert = next(a for r in alert_records if (a := decode(r.value, Alert)).article.id
                         == feed.article_id("pushed"))
            assert alert.rule.id == "air-raid" and alert.article.fetched_at is not None
            assert metric(alert_port, "vigie_alert_source_delay_seconds_count",
                          'source_kind="feed"') >= 1

            # Pushes of one feed are read in the order they came: the refused ones, before.
            published = raw_ids(kafka_settings, lambda ids: feed.article_id("pushed") in ids)
            assert feed.article_id("forged") not in published
            assert feed.article_id("unsigned") not in published
            assert feed.article_id("calm") in published  # the first poll, which found the hub
            pushes = "vigie_ingest_websub_pushes_total"
            assert metric(port, pushes, 'result="unsigned"') == 1
            assert metric(port, pushes, 'result="bad_signature"') == 1
            assert metric(port, pushes, 'result="accepted"') == 1
            assert metric(port, "vigie_ingest_feed_push_active", 'feed="Pushed"') == 1
            assert metric(port, "vigie_ingest_feed_poll_interval_seconds", 'feed="Pushed"') \
                == 3600


def test_a_lease_is_renewed_and_a_hub_that_stops_answering_leads_back_to_polling(
        kafka_settings, tmp_path):
    port = free_port()
    # The hub grants 6-second leases: renewed 3 s after each verification.
    with Hub(lease_s=6) as hub, LocalServer() as server:
        feed = PushedFeed(server, hub)
        path = feed_list(tmp_path, feed)
        with running(kafka_settings, tmp_path, ("ingest", "feeds", str(path)),
                     **ingest_env(kafka_settings, port)):
            wait_until(lambda: hub.verified(), HANG_GUARD_S, "a verified subscription")
            # An entry the hub will never push: only a poll can bring it, and the feed is
            # polled once an hour while it pushes.
            feed.entries.insert(0, ("polled", "Nouvelle", seed_sentences()[2]))
            wait_until(lambda: len(hub.verified()) >= 2, HANG_GUARD_S, "a renewal")
            first, renewal = hub.verified()[:2]
            assert renewal.callback == first.callback
            assert renewal.params["hub.secret"] == first.params["hub.secret"]
            hub.stop()  # the hub stops answering

            published = raw_ids(kafka_settings,
                                lambda ids: feed.article_id("polled") in ids)
            assert feed.article_id("polled") in published
            assert metric(port, "vigie_ingest_websub_fallbacks_total",
                          'reason="unreachable"') + metric(
                port, "vigie_ingest_websub_fallbacks_total", 'reason="expired"') == 1
            assert metric(port, "vigie_ingest_feed_push_active", 'feed="Pushed"') == 0
        shown = run_vigie(kafka_settings, "ingest", "feeds", str(path), "--status",
                          **ingest_env(kafka_settings, port))
        assert shown.returncode == 0, shown.stderr
        assert "Pushed:  poll (hub " in shown.stdout
        assert "polled every 1h (fixed)" in shown.stdout
