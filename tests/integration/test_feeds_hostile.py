"""A hostile feed on a real local server: nothing it says is published as it is."""

from __future__ import annotations

from xml.sax.saxutils import escape

import pytest
import yaml
from prometheus_client import CollectorRegistry

from vigie.ingest.feeds import run
from vigie.ingest.feeds.parse import MAX_TITLE
from vigie.ingest.metrics import IngestMetrics
from vigie.shared.messages import RawArticle, decode
from vigie.shared.text import CONTROL_CHARACTERS

from ..local_http import LocalServer, serve
from .helpers import local_feed_settings, read_topic

pytestmark = pytest.mark.integration
LINKS = ["javascript:alert(1)", "data:text/html,<script>alert(1)</script>",
         "file:///etc/passwd", "https://:80/no-host", "https://news.example.org/ok"]


def hostile_feed() -> bytes:
    items = [f"<item><guid isPermaLink='false'>link-{n}</guid><title>Lien {n}</title>"
             f"<link>{escape(link)}</link><description>Texte {n}.</description></item>"
             for n, link in enumerate(LINKS)]
    items.append("<item><guid isPermaLink='false'>long</guid><title>"
                 + "Titre interminable " * 10_600
                 + "</title><description>Un titre trop long.</description></item>")
    items.append("<item><guid isPermaLink='false'>controls</guid><title>Cont\x01r\x7fôle</title>"
                 "<description>Texte\x01 avec\x1b des caract\x08ères de contrôle.</description>"
                 "</item>")
    body = ('<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
            "<title>Hostile</title>" + "".join(items)).encode("utf-8")
    # invalid UTF-8 in a document that declares UTF-8: a lone continuation byte, a cut sequence
    body += (b"<item><guid isPermaLink='false'>bytes</guid>"
             b"<title>Caf\xc3\xa9 \x80 cr\xc3</title>"
             b"<description>Octets \xff invalides.</description></item></channel></rss>")
    return body


@pytest.fixture
def settings(kafka_settings):
    return local_feed_settings(kafka_settings)


def test_every_hostile_item_is_published_repaired_and_counted(settings, tmp_path):
    with LocalServer() as server:
        server.routes["/hostile.xml"] = serve(hostile_feed(), "application/rss+xml")
        feeds = tmp_path / "feeds.yaml"
        feeds.write_text(yaml.safe_dump({"feeds": [
            {"url": server.url("/hostile.xml"), "name": "Hostile", "full_text": "never"}]}))
        metrics = IngestMetrics(CollectorRegistry())
        run(settings, str(feeds), once=True, metrics=metrics)
    published = [decode(r.value, RawArticle)
                 for r in read_topic(settings, settings.topic_raw, idle=1.0)]
    assert len(published) == len(LINKS) + 3  # every item published, none dropped

    assert [a.url for a in published if a.url] == ["https://news.example.org/ok"]
    long_title = next(a.title for a in published if a.title.startswith("Titre"))
    assert len(long_title) <= MAX_TITLE and long_title.endswith("interminable…")
    for article in published:
        for value in (article.title, article.summary, article.text):
            assert not CONTROL_CHARACTERS.search(value or ""), value
    controls = next(a for a in published if a.title.startswith("Contr"))
    assert (controls.title, controls.text) == ("Contrôle", "Texte avec des caractères de contrôle.")
    repaired = next(a for a in published if a.title.startswith("Caf"))
    assert (repaired.title, repaired.text) == ("Café \ufffd cr\ufffd", "Octets \ufffd invalides.")

    def fixes(fix: str) -> float:
        return metrics.registry.get_sample_value("vigie_ingest_entry_fixes_total",
                                                 {"feed": "Hostile", "fix": fix}) or 0
    assert {fix: fixes(fix) for fix in ("link_scheme", "link_malformed", "title_capped",
                                        "control_characters", "invalid_bytes")} == {
        "link_scheme": 3, "link_malformed": 1, "title_capped": 1, "control_characters": 1,
        "invalid_bytes": 3}
