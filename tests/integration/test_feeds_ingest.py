"""Feed ingest end to end: a local HTTP server, the real broker, restarts and updates."""

from __future__ import annotations

import gzip
import json
import threading
import time
from pathlib import Path

import pytest
import yaml
from prometheus_client import CollectorRegistry

from vigie.ingest.feeds import run
from vigie.ingest.metrics import IngestMetrics
from vigie.shared.messages import RawArticle, decode

from ..local_http import LocalServer, redirect, reply, serve
from .helpers import local_feed_settings, read_topic

pytestmark = pytest.mark.integration

DATA = Path(__file__).resolve().parent.parent / "data" / "feeds"
MAX_BYTES = 200_000


def fixture(name: str) -> bytes:
    return (DATA / name).read_bytes()


def cached_route(body: bytes) -> callable:
    """Answers 304 to a conditional GET carrying its ETag."""
    def route(handler):
        if handler.headers.get("If-None-Match") == '"v1"':
            reply(handler, 304, b"", {"ETag": '"v1"'})
        else:
            reply(handler, 200, body, {"Content-Type": "application/rss+xml", "ETag": '"v1"',
                                       "Last-Modified": "Mon, 10 Feb 2025 10:00:00 GMT"})
    return route


def flaky_route(body: bytes) -> callable:
    """Fails with 500 on its first request, then recovers."""
    calls = []

    def route(handler):
        calls.append(1)
        if len(calls) == 1:
            reply(handler, 500, b"oops")
        else:
            serve(body)(handler)
    return route


def rss(prefix: str, count: int) -> bytes:
    items = "".join(
        f"<item><title>{prefix} {n}</title><link>https://{prefix}.example.org/{n}</link>"
        f"<description>Texte {prefix} {n}.</description></item>" for n in range(count))
    return f'<rss version="2.0"><channel><title>{prefix}</title>{items}</channel></rss>'.encode()


# feed name → (path, route, number of entries it yields)
def scenario_routes(rss2: dict) -> dict:
    return {
        "RSS": ("/rss.xml", lambda h: serve(rss2["body"])(h), 3),
        "Atom": ("/atom.xml", serve(gzip.compress(fixture("atom.xml")), "application/atom+xml",
                                    **{"Content-Encoding": "gzip"}), 2),
        "RDF": ("/rdf.xml", serve(fixture("rdf.xml"), "application/rdf+xml"), 2),
        "Latin": ("/latin1.xml", serve(fixture("latin1.xml")), 1),
        "Latin undeclared": ("/latin1-undeclared.xml", serve(
            fixture("latin1_undeclared.xml"), "application/rss+xml; charset=iso-8859-1"), 1),
        "Malformed": ("/malformed.xml", serve(fixture("malformed.xml"), "text/xml"), 2),
        "Cached": ("/cached.xml", cached_route(rss("cached", 2)), 2),
        "Flaky": ("/flaky.xml", flaky_route(rss("flaky", 2)), 2),
        "Moved": ("/moved.xml", redirect(301, "/moved-new.xml"), 2),
        "Too large": ("/big.xml", serve(b"<rss>" + b" " * (MAX_BYTES + 1) + b"</rss>"), 0),
        "Laughs": ("/laughs.xml", serve(fixture("billion_laughs.xml"), "text/xml"), 0),
    }


@pytest.fixture
def feed_site(tmp_path):
    rss2 = {"body": fixture("rss2.xml")}
    routes = scenario_routes(rss2)
    with LocalServer() as server:
        for path, route, _ in routes.values():
            server.routes[path] = route
        server.routes["/moved-new.xml"] = serve(rss("moved", 2))
        feeds = [{"url": server.url(path), "name": name, "interval": 60}
                 for name, (path, _, _) in routes.items()]
        feeds_file = tmp_path / "feeds.yaml"
        feeds_file.write_text(yaml.safe_dump({"feeds": feeds}), encoding="utf-8")
        yield server, str(feeds_file), routes, rss2


@pytest.fixture
def settings(kafka_settings):
    return local_feed_settings(kafka_settings, feeds_max_bytes=MAX_BYTES, feeds_timeout_s=5.0,
                               feeds_deadline_s=10.0, feeds_concurrency=4)


def ingest_once(settings, feeds_file) -> IngestMetrics:
    metrics = IngestMetrics(CollectorRegistry())
    run(settings, feeds_file, once=True, metrics=metrics)
    return metrics


def articles(settings) -> dict[tuple[int, int], RawArticle]:
    """Every article on the raw topic, by (partition, offset)."""
    records = read_topic(settings, settings.topic_raw, idle=1.0)
    return {(r.partition, r.offset): decode(r.value, RawArticle) for r in records}


def added(before: dict, after: dict) -> list[RawArticle]:
    return [article for position, article in after.items() if position not in before]


def sample(metrics: IngestMetrics, name: str, **labels) -> float:
    return metrics.registry.get_sample_value(name, labels) or 0.0


def by_feed(found) -> dict[str, int]:
    counts: dict[str, int] = {}
    for article in found:
        counts[article.source.name] = counts.get(article.source.name, 0) + 1
    return counts


def test_ingest_publishes_each_entry_once_and_survives_restart(settings, feed_site):
    server, feeds_file, routes, rss2 = feed_site
    first = ingest_once(settings, feeds_file)
    expected = {name: n for name, (_, _, n) in routes.items() if n and name != "Flaky"}
    published = articles(settings)
    assert by_feed(published.values()) == expected
    assert len({a.id for a in published.values()}) == len(published)
    assert_results(first, {"Flaky": "http_error", "Too large": "too_large",
                           "Laughs": "parse_error", "RSS": "ok", "Malformed": "ok"})
    assert sample(first, "vigie_ingest_feed_consecutive_failures", feed="Flaky") == 1

    second = ingest_once(settings, feeds_file)  # a restart: state comes back from Kafka
    again = articles(settings)
    assert by_feed(added(published, again)) == {"Flaky": 2}  # recovered, nothing republished
    assert_results(second, {"Cached": "not_modified", "Flaky": "ok"})
    assert sample(second, "vigie_ingest_feed_consecutive_failures", feed="Flaky") == 0
    assert sample(second, "vigie_ingest_feed_entries_total", feed="RSS", state="seen") == 3
    assert server.hits["/moved.xml"] == 1  # the permanent redirect's target is now polled
    assert server.hits["/moved-new.xml"] == 2

    rss2["body"] = rss2["body"].replace(b"Les dirigeants", b"Les chefs d'Etat")
    ingest_once(settings, feeds_file)
    updated = added(again, articles(settings))
    assert [a.title for a in updated] == ["Sommet à Bruxelles"]
    previous = next(a for a in published.values() if a.title == "Sommet à Bruxelles")
    assert updated[0].id == previous.id and updated[0].revision != previous.revision


def assert_results(metrics: IngestMetrics, expected: dict[str, str]) -> None:
    for feed, result in expected.items():
        count = sample(metrics, "vigie_ingest_feed_fetches_total", feed=feed, result=result)
        assert count == 1, f"{feed}: expected one fetch with result {result}"


def test_published_articles_carry_mapped_fields(settings, feed_site):
    _, feeds_file, _, _ = feed_site
    ingest_once(settings, feeds_file)
    found = {a.title: a for a in articles(settings).values()}
    alert = found["Alerte aérienne à Kyiv"]
    assert alert.text == "Les sirènes ont retenti dans la nuit.\n\nLa population s’est abritée : « calme »."
    assert (alert.published, alert.language) == ("2025-02-10T14:30:00.000+01:00", "fr")
    assert alert.source.kind == "feed" and alert.source.url.endswith("/rss.xml")
    assert found["Élection à Besançon"].text.startswith("Le maire sortant a été réélu")
    assert found["Élection à Besançon (bis)"].language == "fr"
    assert found["Ceasefire talks resume"].published == "2025-02-10T11:00:00.000-05:00"
    assert found["Reprise des pourparlers"].language == "fr"
    assert all("lol" not in (a.title or "") for a in found.values())
    moved = found["moved 0"]
    assert moved.source.url.endswith("/moved.xml")  # ids follow the configured URL


def test_feed_state_is_written_compacted_per_feed(settings, feed_site):
    server, feeds_file, _, _ = feed_site
    ingest_once(settings, feeds_file)
    states = {r.key.decode(): json.loads(r.value)
              for r in read_topic(settings, settings.feeds_state_topic, idle=1.0)}
    moved = states[server.url("/moved.xml")]
    assert moved["url"] == server.url("/moved-new.xml")
    assert len(moved["seen"]) == 2 and moved["failures"] == 0
    assert states[server.url("/cached.xml")]["etag"] == '"v1"'
    assert states[server.url("/flaky.xml")]["failures"] == 1


def test_long_running_poll_publishes_then_stops_when_asked(settings, feed_site):
    _, feeds_file, _, _ = feed_site
    stop, metrics = threading.Event(), IngestMetrics(CollectorRegistry())
    worker = threading.Thread(target=run, args=(settings, feeds_file),
                              kwargs={"once": False, "metrics": metrics, "stop_event": stop})
    worker.start()
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and not sample(
            metrics, "vigie_ingest_feed_fetches_total", feed="RSS", result="ok"):
        time.sleep(0.1)
    stop.set()
    worker.join(timeout=60)
    assert not worker.is_alive()
    assert by_feed(articles(settings).values())["RSS"] == 3
