"""WebSub's rules: discovery in headers and documents, signatures, when to ask a hub again."""

from __future__ import annotations

import hashlib
import hmac

import pytest

from vigie.ingest.feeds.feedlist import FeedConfig
from vigie.ingest.feeds.parse import parse_feed
from vigie.ingest.feeds.websub import (
    ACTIVE,
    Hub,
    Subscription,
    discover,
    link_header_rels,
    sign,
    signature_valid,
)

FEED = FeedConfig(url="https://blog.example.org/feed", name="Blog", interval_s=300)
ATOM = b"""<feed xmlns="http://www.w3.org/2005/Atom"><title>B</title>
<link rel="hub" href="https://hub.example.net/"/><link rel="self" href="https://blog.example.org/atom"/>
<entry><id>1</id><title>a</title></entry></feed>"""
RSS = b"""<rss version="2.0" xmlns:atom="http://www.w3.org/2005/Atom"><channel><title>B</title>
<atom:link rel="hub" href="https://pubsubhubbub.appspot.com/"/>
<atom:link rel="self" type="application/rss+xml" href="https://blog.example.org/rss"/>
<item><guid>1</guid><title>a</title></item></channel></rss>"""


def discovered(body: bytes, headers: dict[str, str] | None = None) -> Hub | None:
    parsed = parse_feed(body, {"content-type": "application/xml"}, FEED,
                        fetched_at="2025-02-10T12:00:00.000Z")
    return discover(headers or {}, list(parsed.links), FEED.url)


def test_hub_and_topic_are_found_in_atom_and_in_rss():
    assert discovered(ATOM) == Hub("https://hub.example.net/", "https://blog.example.org/atom")
    assert discovered(RSS) == Hub("https://pubsubhubbub.appspot.com/",
                                  "https://blog.example.org/rss")


def test_link_headers_win_over_the_document_and_may_come_one_per_relation():
    headers = {"link": '<https://push.example.com/hub>; rel="hub", '
                       "</feed?canonical=1>; rel=self"}
    assert discovered(ATOM, headers) == Hub("https://push.example.com/hub",
                                            "https://blog.example.org/feed?canonical=1")


def test_a_feed_without_self_is_its_own_topic_and_one_without_hub_has_none():
    assert discover({"link": "<https://hub.example.net/>; rel=hub"}, [], FEED.url) == \
        Hub("https://hub.example.net/", FEED.url)
    assert discover({}, [("self", "https://blog.example.org/atom")], FEED.url) is None
    assert discover({}, [("hub", "javascript:alert(1)")], FEED.url) is None


def test_link_header_relations():
    assert link_header_rels('<https://a/>; rel="hub self"; type="x", <https://b/>;rel=next') \
        == [("hub", "https://a/"), ("self", "https://a/"), ("next", "https://b/")]
    assert link_header_rels("") == []


@pytest.mark.parametrize("algorithm", ["sha1", "sha256", "sha384", "sha512"])
def test_a_signature_by_any_accepted_algorithm_is_valid(algorithm):
    body = b"<feed>...</feed>"
    given = hmac.new(b"s3cret", body, getattr(hashlib, algorithm)).hexdigest().upper()
    assert signature_valid("s3cret", body, f"{algorithm}={given}")
    assert signature_valid("s3cret", body, sign("s3cret", body, algorithm))


@pytest.mark.parametrize("header", [
    None, "", "sha256=", "sha256", "md5=" + hashlib.md5(b"x").hexdigest(),
    sign("another secret", b"<feed/>"), sign("s3cret", b"<feed>changed</feed>"),
])
def test_a_missing_wrong_or_unknown_signature_is_invalid(header):
    assert not signature_valid("s3cret", b"<feed/>", header)


def test_an_active_subscription_is_renewed_before_its_lease_ends_at_most_halfway():
    subscription = Subscription.new(Hub("https://hub/", "https://t/"), now=1000.0)
    assert len(subscription.secret) < 200 and subscription.callback_id
    subscription.set_status(ACTIVE, 1000.0)
    subscription.lease_ends = 1000.0 + 10 * 86400
    assert subscription.due_at(renew_before_s=82800, retry_s=600) == \
        subscription.lease_ends - 82800
    subscription.lease_ends = 1010.0  # a short lease: renewed halfway
    assert subscription.due_at(renew_before_s=82800, retry_s=600) == 1005.0


def test_a_fallen_back_subscription_is_asked_for_again_after_the_retry_time():
    subscription = Subscription.new(Hub("https://hub/", "https://t/"), now=0.0)
    subscription.set_status("unreachable", 500.0)
    assert not subscription.pushing
    assert subscription.due_at(renew_before_s=82800, retry_s=600) == 1100.0
    assert Subscription.from_dict(subscription.to_dict()) == subscription
