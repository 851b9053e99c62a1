"""Feed list validation, OPML import and URL scheme refusal."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from vigie.ingest.feeds import FeedListError, UnsafeURLError, load_feed_list, opml_to_yaml
from vigie.ingest.feeds.urls import check_url

DATA = Path(__file__).resolve().parents[2] / "data" / "feeds"


def write_list(tmp_path, feeds) -> Path:
    path = tmp_path / "feeds.yaml"
    path.write_text(yaml.safe_dump({"feeds": feeds}, allow_unicode=True), encoding="utf-8")
    return path


def load(path, **options):
    return load_feed_list(path, default_interval_s=300, **options)


def problems(tmp_path, feeds, **options) -> list[str]:
    with pytest.raises(FeedListError) as caught:
        load(write_list(tmp_path, feeds), **options)
    return caught.value.problems


def test_valid_list_with_defaults(tmp_path):
    feeds = load(write_list(tmp_path, [
        {"url": "https://a.example.org/rss", "name": "A", "interval": "15m", "language": "fr",
         "tags": ["une"]},
        {"url": "http://b.example.org/atom", "name": "B"},
    ]))
    assert [(f.name, f.interval_s, f.language, f.tags) for f in feeds] == [
        ("A", 900.0, "fr", ("une",)), ("B", 300.0, None, ())]


def test_every_problem_names_entry_and_field(tmp_path):
    found = problems(tmp_path, [
        {"url": "https://ok.example.org/rss", "name": "Good"},
        {"url": "ftp://files.example.org/feed", "name": "Ftp"},
        {"name": "No URL"},
        {"url": "https://c.example.org/rss", "name": "Slow", "interval": "soon"},
        {"url": "https://d.example.org/rss", "name": "Lang", "language": "French"},
        {"url": "https://e.example.org/rss", "name": "Typo", "intervall": 60},
        {"url": "https://f.example.org/rss", "name": "Tags", "tags": "une"},
        {"url": "https://g.example.org/rss"},
        {"url": "https://h.example.org/rss", "name": "Full", "full_text": "yes"},
    ])
    assert found == [
        "line 5: feeds[1] (Ftp): field 'url': scheme 'ftp' refused, only http and https are fetched: "
        "ftp://files.example.org/feed",
        "line 6: feeds[2] (No URL): field 'url': missing, expected an http or https URL (or "
        "'telegram': a channel)",
        "line 7: feeds[3] (Slow): field 'interval': expected a positive duration (300, 90s, 15m, 2h), "
        "got 'soon'",
        "line 10: feeds[4] (Lang): field 'language': expected an ISO 639-1 code such as 'fr' or "
        "'fr-BE', got 'French'",
        "line 13: feeds[5] (Typo): field 'intervall': unknown field (expected one of full_text, "
        "interval, language, name, tags, telegram, timezone, url)",
        "line 17: feeds[6] (Tags): field 'tags': expected a list of non-empty strings, got 'une'",
        "line 19: feeds[7] (https://g.example.org/rss): field 'name': missing, expected a short, "
        "unique name (it labels the feed's metrics and logs)",
        "line 20: feeds[8] (Full): field 'full_text': expected one of auto, always, never, got 'yes'",
    ]


def test_interval_below_minimum_is_refused(tmp_path):
    found = problems(tmp_path, [{"url": "https://a.example.org/", "name": "A", "interval": 5}],
                     min_interval_s=60)
    assert found == [
        "line 2: feeds[0] (A): field 'interval': 5 is shorter than the minimum of 60 s"]


def test_duplicate_urls_and_names_are_refused(tmp_path):
    found = problems(tmp_path, [
        {"url": "https://a.example.org/rss", "name": "A"},
        {"url": "https://a.example.org/rss", "name": "B"},
        {"url": "https://c.example.org/rss", "name": "A"},
    ])
    assert len(found) == 2
    assert "field 'url'" in found[0] and "'B'" in found[0]
    assert "field 'name'" in found[1] and "already used" in found[1]
    assert found[0].startswith("line 5: ") and found[1].startswith("line 6: ")


def test_each_mistake_of_an_entry_is_told_at_its_line(tmp_path):
    path = tmp_path / "feeds.yaml"
    path.write_text("""\
feeds:
  - url: https://a.example.org/rss
    name: A
  - url: https://a.example.org/rss
    name: 12
    tags: [une, ""]
    colour: red
    language: French
""", encoding="utf-8")
    with pytest.raises(FeedListError) as caught:
        load(path)
    assert caught.value.problems == [
        "line 5: feeds[1] (12): field 'name': expected a short, unique name (it labels the "
        "feed's metrics and logs), got 12",
        "line 6: feeds[1] (12): field 'tags': expected a list of non-empty strings, "
        "got ['une', '']",
        "line 7: feeds[1] (12): field 'colour': unknown field (expected one of full_text, "
        "interval, language, name, tags, telegram, timezone, url)",
    ]  # the language is checked once the entry has the shape of a feed


@pytest.mark.parametrize("document", ["", "feeds: 3", "- url: x", "feeds: [\n"])
def test_unusable_documents_are_refused(tmp_path, document):
    path = tmp_path / "feeds.yaml"
    path.write_text(document, encoding="utf-8")
    with pytest.raises(FeedListError, match=str(path)):
        load(path)


def test_missing_file_is_a_feed_list_error(tmp_path):
    with pytest.raises(FeedListError, match="cannot read"):
        load(tmp_path / "absent.yaml")


@pytest.mark.parametrize("url", [
    "file:///etc/passwd", "ftp://example.org/feed", "gopher://example.org/", "javascript:1",
    "data:text/xml,<rss/>", "example.org/feed", "", "http:///no-host",
])
def test_only_http_and_https_urls_are_accepted(url):
    with pytest.raises(UnsafeURLError):
        check_url(url)


def test_http_and_https_urls_pass():
    assert check_url(" https://example.org/rss ") == "https://example.org/rss"
    assert check_url("HTTP://example.org:8080/rss?x=1") == "HTTP://example.org:8080/rss?x=1"


def test_opml_import_gives_a_valid_feed_list(tmp_path):
    text = opml_to_yaml(DATA / "subscriptions.opml")
    assert text.startswith("# Feed list imported from subscriptions.opml")
    document = yaml.safe_load(text)
    assert document["feeds"] == [
        {"url": "https://www.example-journal.fr/rss/une.xml", "name": "Le Journal — Une",
         "language": "fr", "tags": ["Actualités"]},
        {"url": "https://wire.example.org/world.atom", "name": "Wire",
         "tags": ["Actualités", "Monde", "World", "Europe"]},
        {"url": "https://other.example.org/feed", "name": "Wire (2)"},
    ]  # file:// refused, duplicate URL dropped, duplicate name disambiguated
    path = tmp_path / "imported.yaml"
    path.write_text(text, encoding="utf-8")
    assert len(load(path)) == 3


def test_opml_with_entities_or_garbage_is_refused(tmp_path):
    hostile = tmp_path / "hostile.opml"
    hostile.write_text('<?xml version="1.0"?><!DOCTYPE opml [<!ENTITY x SYSTEM '
                       '"file:///etc/passwd">]><opml><body><outline text="&x;" '
                       'xmlUrl="https://a.example.org/"/></body></opml>', encoding="utf-8")
    with pytest.raises(FeedListError):
        opml_to_yaml(hostile)
    garbage = tmp_path / "garbage.opml"
    garbage.write_text("not xml at all", encoding="utf-8")
    with pytest.raises(FeedListError):
        opml_to_yaml(garbage)


def test_a_channel_entry_is_polled_from_its_preview_with_its_time_zone(tmp_path):
    from vigie.ingest.feeds.feedlist import ChannelDefaults

    feeds = load(write_list(tmp_path, [
        {"name": "Air alerts", "telegram": "air_alert_ua", "timezone": "Europe/Kyiv"},
        {"url": "https://a.example.org/rss", "name": "A", "timezone": "Europe/Paris"},
    ]), channels=ChannelDefaults("http://127.0.0.1:8080/", 2.0))
    channel, feed = feeds
    assert (channel.telegram, channel.url, channel.interval_s, channel.timezone) == (
        "air_alert_ua", "http://127.0.0.1:8080/s/air_alert_ua", 2.0, "Europe/Kyiv")
    assert (feed.telegram, feed.timezone, feed.full_text) == (None, "Europe/Paris", "auto")
    [default] = load(write_list(tmp_path, [{"name": "C", "telegram": "air_alert_ua"}]))
    assert (default.url, default.interval_s, default.timezone) == (
        "https://t.me/s/air_alert_ua", 10.0, None)


def test_channel_and_time_zone_mistakes_are_told_at_their_lines(tmp_path):
    found = problems(tmp_path, [
        {"name": "Zone", "url": "https://a.example.org/rss", "timezone": "Europe/Kiyv"},
        {"name": "Folder", "telegram": "folder_channel", "timezone": "Europe"},
        {"name": "Both", "telegram": "other_channel", "url": "https://b.example.org/rss"},
        {"name": "Paced", "telegram": "paced_channel", "interval": 60, "full_text": "never"},
        {"name": "Link", "telegram": "https://t.me/air_alert_ua"},
        {"name": "Once", "telegram": "air_alert_ua"},
        {"name": "Twice", "telegram": "air_alert_ua"},
    ])  # yaml.safe_dump sorts each entry's keys
    assert found == [
        "line 3: feeds[0] (Zone): field 'timezone': expected an IANA time zone such as "
        "'Europe/Kyiv', got 'Europe/Kiyv'",
        "line 7: feeds[1] (Folder): field 'timezone': expected an IANA time zone such as "
        "'Europe/Kyiv', got 'Europe'",
        "line 10: feeds[2] (Both): field 'url': a channel ('telegram') has no url: give one or "
        "the other",
        "line 12: feeds[3] (Paced): field 'interval': a channel is polled every "
        "VIGIE_TELEGRAM_POLL_S",
        "line 11: feeds[3] (Paced): field 'full_text': a channel's posts are read whole from "
        "its page",
        "line 16: feeds[4] (Link): field 'telegram': expected a public Telegram channel's "
        "username (t.me/<username>: 4 to 32 letters, digits, _), got 'https://t.me/air_alert_ua'",
        "line 20: feed 'Twice': field 'telegram': 'air_alert_ua' already used by another feed",
    ]


def test_channel_settings_are_checked_before_the_list(tmp_path):
    from vigie.ingest.feeds import load as load_with_settings
    from vigie.ingest.settings import IngestSettings
    from vigie.shared.config import ConfigError

    path = write_list(tmp_path, [{"name": "C", "telegram": "air_alert_ua"}])
    for overrides, variable in [({"telegram_base_url": "ftp://t.me"}, "VIGIE_TELEGRAM_BASE_URL"),
                                ({"telegram_poll_s": 0.0}, "VIGIE_TELEGRAM_POLL_S"),
                                ({"telegram_backfill": -1}, "VIGIE_TELEGRAM_BACKFILL")]:
        with pytest.raises(ConfigError, match=variable):
            load_with_settings(IngestSettings.from_env({}, **overrides), str(path))
