"""Messages in the subscription's language and time zone: what, where, when, how many, links."""

from __future__ import annotations

from vigie.notify.text import compose

from .conftest import KHARKIV, record, subscription

CAP = "https://vigie.example.org"


def test_an_open_message_in_english():
    text = compose(record(reports=3), "open", subscription(zone="Europe/Kyiv"), "desk/i1/open",
                   CAP)
    assert text.title == "🔴 Air-raid alert · Kyiv (UA-30)"
    assert text.notify_type == "failure"
    assert text.short.splitlines() == [
        "22 Aug, 04:56 +0300 · 3 reports · 3 sources",
        "Une «alerte aérienne» a retenti à Kyiv.", "https://news.example.org/kyiv-1"]
    assert text.full.splitlines() == [
        "What: Air-raid alert (critical)",
        "Where: Kyiv (UA-30), Ukraine",
        "Started: 22 August 2025, 04:56 (Europe/Kyiv)",
        "3 reports · 3 sources: feed 0, feed 1, feed 2",
        "« Une «alerte aérienne» a retenti à Kyiv. »",
        "First report: https://news.example.org/kyiv-1",
        "CAP document: https://vigie.example.org/cap/i1.xml",
        "Reference: desk/i1/open"]


def test_an_update_in_french_names_the_region():
    text = compose(record(2, "update", reports=5, place=KHARKIV), "update",
                   subscription(language="fr", zone="Europe/Paris"), "desk/i1/update-1")
    assert text.title == "🔴 Air-raid alert · Kharkiv, Kharkivska oblast (UA-63) · mise à jour"
    assert text.short.startswith("22 août, 03:56 +0200 · 5 signalements · 5 sources\n")
    assert "Début : " not in text.full and "Début: 22 août 2025, 03:56 (Europe/Paris)" in text.full
    assert "Document CAP" not in text.full  # no public base URL: no CAP link


def test_a_close_in_ukrainian_with_its_plural_forms():
    text = compose(record(3, "closed", reports=2), "closed",
                   subscription(language="uk", zone="Europe/Kyiv"), "desk/i1/closed", CAP)
    # the region in the reader's language: Kyiv city is the region Київ
    assert text.title == "🟢 Завершено: Air-raid alert · Kyiv, Київ (UA-30)"
    assert text.notify_type == "success"
    assert text.short.startswith("22 серп., 06:10 +0300 · 2 повідомлення · 2 джерела\n")
    assert "Завершено: 22 серпня 2025, 06:10 (Europe/Kyiv) (повідомлення про відбій)" in text.full
    many = compose(record(3, "closed", reports=5), "closed", subscription(language="uk"), "k")
    assert "5 повідомлень · 5 джерел" in many.short


def test_an_incident_without_a_place_or_a_link_still_says_what_and_when():
    text = compose(record(place=None, first_report_url=None, headline="x" * 400), "open",
                   subscription(), "k")
    assert text.title == "🔴 Air-raid alert · no place named"
    assert text.short.splitlines()[1] == "x" * 159 + "…"  # short enough for a push
    assert "x" * 400 in text.full
