"""Every feed of the shared corpora, served over local HTTP, goes through fetch and parse
without an unhandled exception; a smaller set also goes through the broker.

The corpora live beside the repository (``../shared/corpus``) and are never copied in.
Files from feedparser's test suite carry the HTTP headers they expect in a ``Header:`` comment
line; the server sends those, so encodings declared only by HTTP are exercised too.
"""

from __future__ import annotations

import html
import io
import re
from pathlib import Path

import feedparser
import pytest
import yaml
from prometheus_client import CollectorRegistry

from vigie.ingest.feeds import run
from vigie.ingest.feeds.feedlist import FeedConfig
from vigie.ingest.feeds.fetch import FetchLimits, FetchRequest
from vigie.ingest.feeds.parse import parser_headers
from vigie.ingest.feeds.poll_feed import poll_feed
from vigie.ingest.metrics import IngestMetrics
from vigie.ingest.settings import IngestSettings
from vigie.shared.addresses import NetworkPolicy

from ..conftest import OUTSIDE_SHARED
from ..local_http import LocalServer
from .helpers import read_topic

pytestmark = pytest.mark.integration

CORPUS = OUTSIDE_SHARED / "corpus"
FEEDPARSER = CORPUS / "feedparser"
FRENCH = CORPUS / "fr_feeds"
MARKUP = re.compile(r"<[^>]*>")
HEADER_LINE = re.compile(rb"^\s*Header:\s*([A-Za-z-]+):\s*(.*?)\s*$", re.MULTILINE)
# Well-formed feeds that declare XML entities: refused on purpose (see parse.py).
REFUSED = {"wellformed/rss/entity_in_doctype.xml", "wellformed/rdf/doctype_contains_entity_decl.xml"}
LIMITS = FetchLimits(timeout_s=5.0, deadline_s=10.0, max_bytes=10_000_000,
                     network=NetworkPolicy.parse("127.0.0.0/8"))


def corpus_files(folder: Path) -> list[Path]:
    if not folder.is_dir():
        pytest.skip(f"corpus not found at {folder} (it lives beside the repository, in shared/)")
    return sorted(p for p in folder.rglob("*") if p.suffix in (".xml", ".json"))


def declared_headers(body: bytes) -> dict[str, str]:
    """The ``Header: Name: value`` lines of a feedparser test file."""
    return {name.decode().lower(): value.decode("latin-1")
            for name, value in HEADER_LINE.findall(body[:2000])}


def corpus_route(path: Path):
    body = path.read_bytes()
    headers = declared_headers(body)

    def route(handler):
        lines = [b"HTTP/1.1 200 OK"] + [f"{n}: {v}".encode("latin-1") for n, v in headers.items()]
        lines += [f"Content-Length: {len(body)}".encode(), b"Connection: close", b"", b""]
        handler.wfile.write(b"\r\n".join(lines) + body)
        handler.close_connection = True
    return route


@pytest.fixture(scope="module")
def corpus_site():
    with LocalServer() as server:
        for folder in (FEEDPARSER, FRENCH):
            for path in (folder.rglob("*") if folder.is_dir() else ()):
                if not path.is_file():
                    continue
                server.routes["/" + str(path.relative_to(CORPUS))] = corpus_route(path)
        yield server


def poll_file(server: LocalServer, path: Path):
    url = server.url("/" + str(path.relative_to(CORPUS)))
    feed = FeedConfig(url=url, name=path.stem[:80], interval_s=60)
    return poll_feed(feed, FetchRequest(url), LIMITS)


def identifiable_entries(path: Path) -> int:
    """Entries feedparser reads from the file itself (given the headers ingest gives it) that
    have anything to identify them."""
    body = path.read_bytes()
    headers = parser_headers(declared_headers(body), "http://127.0.0.1/feed")
    result = feedparser.parse(io.BytesIO(body), response_headers=headers)
    return sum(1 for entry in result.entries if has_identity(entry))


def has_identity(entry) -> bool:
    """A guid, a link, or some text once markup is removed (an image alone has none)."""
    texts = [entry.get("title"), entry.get("summary")]
    texts += [block.get("value") for block in entry.get("content") or []]
    return bool(entry.get("id") or entry.get("link") or any(
        html.unescape(MARKUP.sub("", text or "")).strip() for text in texts))


def test_wellformed_feedparser_corpus_yields_its_entries(corpus_site):
    mismatched, failed = [], []
    for path in corpus_files(FEEDPARSER / "wellformed"):
        relative = str(path.relative_to(FEEDPARSER))
        outcome = poll_file(corpus_site, path)
        if relative in REFUSED:
            assert outcome.result == "parse_error", relative
        elif outcome.result != "ok":
            failed.append((relative, outcome.result, outcome.error))
        elif len(outcome.parsed.entries) != identifiable_entries(path):
            mismatched.append(relative)
    assert not failed
    assert not mismatched


@pytest.mark.parametrize("folder", ["illformed", "encoding", "entities", "json"])
def test_other_feedparser_corpora_never_break_ingest(corpus_site, folder):
    outcomes = [(path, poll_file(corpus_site, path))
                for path in corpus_files(FEEDPARSER / folder)]
    # "error" is the label of an unexpected exception inside ingest: there must be none.
    assert not [(str(p), o.error) for p, o in outcomes if o.result == "error"]
    assert {o.result for _, o in outcomes} <= {"ok", "parse_error"}
    for path, outcome in outcomes:
        if outcome.result == "ok" and not path.name.startswith("bozo"):
            assert len(outcome.parsed.entries) == identifiable_entries(path), path.name


def test_french_feeds_yield_every_item(corpus_site):
    for path in corpus_files(FRENCH):
        outcome = poll_file(corpus_site, path)
        assert outcome.result == "ok", (path.name, outcome.error)
        assert len(outcome.parsed.entries) == path.read_bytes().count(b"<item") > 0, path.name
        for entry in outcome.parsed.entries:
            article = entry.article
            assert article.title and article.text and article.url, path.name
            assert "<" not in article.text or "&lt;" in path.read_text(errors="replace")


def test_corpus_sample_through_the_broker(corpus_site, kafka_settings, tmp_path):
    paths = corpus_files(FRENCH) + corpus_files(FEEDPARSER / "illformed")
    paths += corpus_files(FEEDPARSER / "wellformed" / "rss")[:40]
    feeds = [{"url": corpus_site.url("/" + str(p.relative_to(CORPUS))),
              "name": f"{index:03d} {p.stem}"[:80]} for index, p in enumerate(paths)]
    feeds_file = tmp_path / "feeds.yaml"
    feeds_file.write_text(yaml.safe_dump({"feeds": feeds}), encoding="utf-8")
    settings = IngestSettings.from_env(
        {}, kafka_bootstrap=kafka_settings.kafka_bootstrap, topic_raw=kafka_settings.topic_raw,
        feeds_state_topic=kafka_settings.topic_raw + ".feed-state", feeds_per_host_delay_s=0.0,
        feeds_min_interval_s=0.0, allow_private_networks="127.0.0.0/8")
    expected = sum(distinct_versions(poll_file(corpus_site, p)) for p in paths)
    metrics = IngestMetrics(CollectorRegistry())
    run(settings, str(feeds_file), once=True, metrics=metrics)
    published = read_topic(settings, settings.topic_raw, expect=expected, idle=1.0)
    assert len(published) == expected > 100
    fetched = sum(metrics.registry.get_sample_value("vigie_ingest_feed_fetches_total",
                                                    {"feed": f["name"], "result": result}) or 0
                  for f in feeds for result in ("ok", "parse_error"))
    assert fetched == len(feeds)  # every feed counted, the ill-formed ones included


def distinct_versions(outcome) -> int:
    if outcome.parsed is None:
        return 0
    return len({(e.key, e.article.revision) for e in outcome.parsed.entries})
