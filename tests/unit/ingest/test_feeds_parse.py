"""Entry mapping: HTML to clean text, dates to UTC, language, ids; parser safety."""

from __future__ import annotations

from pathlib import Path

import pytest

from vigie.ingest.feeds.errors import ParseError
from vigie.ingest.feeds.feedlist import FeedConfig
from vigie.ingest.feeds.html_text import html_to_text, plain
from vigie.ingest.feeds.parse import parse_feed, xml_content_type
from vigie.shared.ids import article_id, revision

DATA = Path(__file__).resolve().parents[2] / "data" / "feeds"
FEED = FeedConfig(url="https://news.example.org/rss", name="News", interval_s=300)


def parse(body: bytes, content_type: str = "application/rss+xml", feed: FeedConfig = FEED):
    return parse_feed(body, {"content-type": content_type}, feed,
                      fetched_at="2025-02-10T12:00:00.000Z")


def rss_item(inner: str, channel: str = "") -> bytes:
    return (f'<rss version="2.0"><channel><title>T</title>{channel}<item>{inner}</item>'
            f"</channel></rss>").encode()


def only_article(body: bytes, **options):
    entries = parse(body, **options).entries
    assert len(entries) == 1
    return entries[0].article


def test_html_reduced_to_clean_text():
    html = ("<div><p>Premier&nbsp;paragraphe, <b>gras</b> et <a href='x'>lien</a>.</p>"
            "<script>alert(1)</script><style>p{}</style><p>Second<br>ligne  &amp; "
            "&#8217;apostrophe&#8217;</p></div>")
    assert html_to_text(html) == "Premier paragraphe, gras et lien.\n\nSecond\nligne & ’apostrophe’"


def test_text_is_nfc_and_plain_titles_are_one_line():
    assert html_to_text("cafe\u0301") == "café"
    assert plain("  Titre <em>important</em>\n suite ") == "Titre important suite"
    assert plain(None) == "" and html_to_text(None) == ""



def test_rss_fixture_maps_every_field():
    entries = parse((DATA / "rss2.xml").read_bytes()).entries
    first = entries[0].article
    assert first.id == article_id("feed", FEED.url, "example-rss-1")
    assert first.revision == revision(first.title, first.text)
    assert first.title == "Alerte aérienne à Kyiv"
    assert first.text == ("Les sirènes ont retenti dans la nuit.\n\n"
                          "La population s’est abritée : « calme ».")
    assert first.summary == "Résumé court."
    assert first.published == "2025-02-10T14:30:00.000+01:00"  # the source's own offset
    assert first.language == "fr"  # <language>fr-FR</language> of the feed
    assert (first.source.kind, first.source.name, first.source.url) == ("feed", "News", FEED.url)
    assert first.url == "https://news.example.org/2025/02/10/alerte"


def test_id_fallback_chain_guid_link_title_and_text():
    by_guid = only_article(rss_item("<guid>g-1</guid><link>https://x.example.org/1</link>"))
    by_link = only_article(rss_item("<link>https://x.example.org/1</link><title>A</title>"))
    by_text = only_article(rss_item("<title>A</title><description>B</description>"))
    # feedparser resolves a path-like guid against the feed URL (the configured one)
    assert by_guid.id == article_id("feed", FEED.url, "https://news.example.org/g-1")
    assert by_link.id == article_id("feed", FEED.url, "https://x.example.org/1")
    assert by_text.id == article_id("feed", FEED.url, "A\x1fB")


def test_entry_without_anything_to_identify_is_skipped():
    assert parse(rss_item("<description><![CDATA[<img src='x.png'/>]]></description>")).entries == []


def test_edited_entry_keeps_its_id_and_changes_revision():
    before = only_article(rss_item("<guid>g</guid><title>A</title><description>v1</description>"))
    after = only_article(rss_item("<guid>g</guid><title>A</title><description>v2</description>"))
    assert before.id == after.id and before.revision != after.revision


def test_text_falls_back_to_summary_then_title():
    assert only_article(rss_item("<guid>g</guid><title>Seul titre</title>")).text == "Seul titre"


@pytest.mark.parametrize("date, expected", [
    ("Mon, 10 Feb 2025 14:30:00 +0100", "2025-02-10T14:30:00.000+01:00"),
    ("Sat, 23 Aug 2025 01:30:00 +0300", "2025-08-23T01:30:00.000+03:00"),
    ("Mon, 10 Feb 2025 09:00:00 GMT", "2025-02-10T09:00:00.000Z"),
    ("Mon, 10 Feb 2025 09:00:00 EST", "2025-02-10T09:00:00.000-05:00"),
    ("2025-02-10T09:00:00+02:00", "2025-02-10T09:00:00.000+02:00"),
    ("not a date", None),
])
def test_dates_keep_the_offset_the_feed_wrote(date, expected):
    article = only_article(rss_item(f"<guid>g</guid><pubDate>{date}</pubDate>"))
    assert article.published == expected


def test_atom_updated_used_when_published_missing_and_xml_lang_per_entry():
    entries = parse((DATA / "atom.xml").read_bytes(), "application/atom+xml").entries
    first, second = (e.article for e in entries)
    assert first.published == "2025-02-10T11:00:00.000-05:00" and first.language == "en"
    assert second.published == "2025-02-10T08:15:00.000+01:00" and second.language == "fr"
    assert first.title == "Ceasefire talks resume"
    assert first.text == "Talks resumed in Geneva.\n\nBoth sides attended."


def test_language_order_entry_then_feed_then_configured():
    configured = FeedConfig(url=FEED.url, name="N", interval_s=60, language="fr-BE")
    assert only_article(rss_item("<guid>g</guid>"), feed=configured).language == "fr"
    declared = rss_item("<guid>g</guid>", channel="<language>en-us</language>")
    assert only_article(declared, feed=configured).language == "en"


def test_encodings_declared_in_document_or_http():
    declared = only_article((DATA / "latin1.xml").read_bytes())
    by_http = only_article((DATA / "latin1_undeclared.xml").read_bytes(),
                           content_type="text/html; charset=ISO-8859-1")
    assert declared.title == "Élection à Besançon"
    assert by_http.title == "Élection à Besançon (bis)"


@pytest.mark.parametrize("value, expected", [
    ("application/rss+xml", "application/rss+xml"),
    ("text/xml; charset=utf-8", "text/xml; charset=utf-8"),
    ("text/html; charset=ISO-8859-1", "application/xml; charset=ISO-8859-1"),
    ("", "application/xml"),
])
def test_non_xml_media_types_are_parsed_as_xml(value, expected):
    assert xml_content_type(value) == expected


def test_malformed_feed_still_yields_its_entries():
    parsed = parse((DATA / "malformed.xml").read_bytes(), "text/xml")
    assert parsed.problem and [e.article.title for e in parsed.entries] == [
        "First readable item", "Second readable item"]


def test_html_page_is_a_parse_error():
    with pytest.raises(ParseError, match="not a feed"):
        parse(b"<html><body><p>Page moved</p></body></html>", "text/html")


def test_entity_declarations_are_refused_before_parsing():
    with pytest.raises(ParseError, match="ENTITY"):
        parse((DATA / "billion_laughs.xml").read_bytes())
    utf16 = '<?xml version="1.0" encoding="utf-16"?><!DOCTYPE r [<!ENTITY a "b">]><rss/>'
    with pytest.raises(ParseError):
        parse(utf16.encode("utf-16"))


def test_body_that_looks_like_a_path_is_not_opened_as_a_file():
    """feedparser opens ``bytes`` naming an existing file; ingest must parse the bytes."""
    with pytest.raises(ParseError):
        parse(b"/etc/passwd", "text/xml")
    with pytest.raises(ParseError):
        parse(str(DATA / "rss2.xml").encode(), "text/xml")


def test_web_page_with_doctype_is_a_parse_error_but_an_empty_feed_is_not():
    with pytest.raises(ParseError, match="HTML page"):
        parse(b"<!DOCTYPE html>\n<html lang='fr'><head><title>Accueil</title></head></html>")
    assert parse(b'<rss version="2.0"><channel><title>Empty</title></channel></rss>').entries == []
