"""Full articles behind teaser feeds: real pages on 127.0.0.1, robots.txt, failures, the broker."""

from __future__ import annotations

from pathlib import Path
from xml.sax.saxutils import escape

import pytest
import yaml

from vigie.alert.evaluate import Evaluator
from vigie.alert.rules import RuleBook
from vigie.ingest.feeds.html_text import html_to_text
from vigie.shared.messages import EnrichedArticle, Hashes, RawArticle, Source, decode
from vigie.shared.timestamps import utc_now

from ..local_http import LocalServer, reply, serve
from .helpers import ROOT, local_feed_settings, read_topic
from .test_feeds_ingest import ingest_once

pytestmark = pytest.mark.integration
PAGES = Path(__file__).resolve().parent.parent / "data" / "pages"
BOILERPLATE = ("À lire aussi", "cookies", "Accueil", "Mentions légales", "dataLayer",
               "Publicité", "Par la rédaction")
LONG_TEXT = " ".join(["Un long article complet dans le flux lui-même, sans page à chercher."] * 12)
# link path → (the feed's teaser, what the page behind it is)
ENTRIES = {
    "/meteo.html": "Le soleil s'installe sur la Bretagne.",
    "/kyiv.html": "Nuit d'alerte dans la capitale.",
    "/broken.html": "Une page qui échoue.",
    "/empty.html": "Une page sans article.",
    "/private/secret.html": "Une page que robots.txt interdit.",
    "/long.html": LONG_TEXT,
}


def teaser_feed(server) -> bytes:
    items = "".join(
        f"<item><title>Article {path}</title><link>{server.url(path)}</link>"
        f"<description>{escape(teaser)}</description></item>"
        for path, teaser in ENTRIES.items())
    return f'<rss version="2.0"><channel><title>Teasers</title>{items}</channel></rss>'.encode()


def page(name: str):
    return serve((PAGES / name).read_bytes(), "text/html; charset=utf-8")


@pytest.fixture
def site(tmp_path):
    with LocalServer() as server:
        server.routes.update({
            "/teasers.xml": serve(teaser_feed(server)),
            "/never.xml": serve(teaser_feed(server)),
            "/robots.txt": serve(b"User-agent: *\nDisallow: /private/\n", "text/plain"),
            "/meteo.html": page("meteo.html"),
            "/kyiv.html": page("kyiv.html"),
            "/empty.html": page("empty.html"),
            "/broken.html": lambda handler: reply(handler, 500, b"oops"),
            "/private/secret.html": page("kyiv.html"),
            "/long.html": page("kyiv.html"),
        })
        feeds = [{"url": server.url("/teasers.xml"), "name": "Teasers"},
                 {"url": server.url("/never.xml"), "name": "Never", "full_text": "never"}]
        feeds_file = tmp_path / "feeds.yaml"
        feeds_file.write_text(yaml.safe_dump({"feeds": feeds}), encoding="utf-8")
        yield server, str(feeds_file)


@pytest.fixture
def settings(kafka_settings):
    return local_feed_settings(kafka_settings, feeds_timeout_s=5.0, feeds_deadline_s=10.0)


def published(settings) -> dict[tuple[str, str], RawArticle]:
    """(feed name, link path) → article."""
    records = read_topic(settings, settings.topic_raw, idle=1.0)
    articles = [decode(r.value, RawArticle) for r in records]
    return {(a.source.name, "/" + a.url.split("/", 3)[3]): a for a in articles}


def air_raid_alerts(text: str) -> list:
    """The shipped rules' air-raid alerts on ``text``."""
    now = utc_now()
    article = EnrichedArticle(
        id="a", revision="r", source=Source(kind="feed", name="Teasers"), text=text,
        language="fr", fetched_at=now, ingested_at=now, enriched_at=now,
        hashes=Hashes(exact="e" * 64, near="n" * 16))
    evaluator = Evaluator(RuleBook(ROOT / "deploy" / "rules.yaml"))
    return [alert for alert, _ in evaluator.evaluate(article) if alert.rule.id == "air-raid"]


def test_teasers_get_the_article_behind_their_link_and_nothing_else(settings, site):
    server, feeds_file = site
    metrics = ingest_once(settings, feeds_file)
    found = published(settings)
    assert len(found) == 2 * len(ENTRIES)

    for path in ("/meteo.html", "/kyiv.html"):
        article = found[("Teasers", path)]
        assert article.text_source == "page" and article.summary == ENTRIES[path]
        assert not [word for word in BOILERPLATE if word in article.text], path
    assert "27 degrés à Rennes" in found[("Teasers", "/meteo.html")].text
    assert "rejoint les abris" in found[("Teasers", "/kyiv.html")].text

    # The weather page's aside about an air-raid alert raises none; the page's own words do.
    meteo_page = html_to_text((PAGES / "meteo.html").read_text(encoding="utf-8"))
    assert air_raid_alerts(meteo_page), "the aside alone would raise an alert"
    assert not air_raid_alerts(found[("Teasers", "/meteo.html")].text)
    assert air_raid_alerts(found[("Teasers", "/kyiv.html")].text)

    # A page that fails, extracts nothing or is out of bounds leaves the feed's text.
    for path in ("/broken.html", "/empty.html", "/private/secret.html", "/long.html"):
        article = found[("Teasers", path)]
        assert (article.text, article.text_source) == (ENTRIES[path], "feed"), path
    assert server.hits["/private/secret.html"] == 0  # robots.txt said no
    assert server.hits["/long.html"] == 0  # the feed carries a whole article
    assert all(a.text_source == "feed" for (feed, _), a in found.items() if feed == "Never")
    assert server.hits["/robots.txt"] == 1  # once per host
    counts = {result: metrics.registry.get_sample_value(
        "vigie_ingest_page_fetches_total", {"result": result})
        for result in ("page", "empty", "http_error", "robots")}
    assert counts == {"page": 2, "empty": 1, "http_error": 1, "robots": 1}

    # Each link and revision once: a second poll fetches no page.
    hits = sum(server.hits[path] for path in ENTRIES)
    ingest_once(settings, feeds_file)
    assert sum(server.hits[path] for path in ENTRIES) == hits


def test_a_host_whose_robots_txt_fails_is_not_fetched(settings, tmp_path):
    """RFC 9309: robots.txt unreachable (a 5xx) means nothing may be fetched there."""
    with LocalServer() as server:
        server.routes.update({
            "/teasers.xml": serve(teaser_feed(server)),
            "/robots.txt": lambda handler: reply(handler, 503, b"busy"),
            "/kyiv.html": page("kyiv.html"),
        })
        feeds_file = tmp_path / "feeds.yaml"
        feeds_file.write_text(yaml.safe_dump({"feeds": [
            {"url": server.url("/teasers.xml"), "name": "Teasers"}]}), encoding="utf-8")
        metrics = ingest_once(settings, feeds_file)
    assert server.hits["/kyiv.html"] == 0
    assert published(settings)[("Teasers", "/kyiv.html")].text_source == "feed"
    assert metrics.registry.get_sample_value("vigie_ingest_page_fetches_total",
                                             {"result": "robots"}) == 5
