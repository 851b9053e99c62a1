"""WebSub (W3C Recommendation), the subscriber's side: the rules, as pure functions.

- **Discovery**: a feed names its hub and its topic URL in HTTP ``Link`` headers
  (``<https://hub.example/>; rel="hub"``) or in the document (``<atom:link rel="hub">`` and
  ``rel="self"``, in Atom and in RSS alike); the headers win, and a feed that names no
  ``self`` is its own topic.
- **Signatures**: content distribution is accepted only when ``X-Hub-Signature`` is
  ``<algorithm>=<hex HMAC of the body>`` under the subscription's secret, compared in constant
  time; the big public hubs sign with sha1, so sha1 is accepted with the SHA-2 family.
- **Subscriptions**: ``Subscription`` is what the feed state keeps of one (the secret
  included: the state topic is internal), and when it is due to be asked for again: before
  its lease ends (renewal), or a while after it fell back to polling.

The HTTP endpoint is ``callback``, the request to the hub ``hub_client``, and their place in
the poll loop ``push``.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import asdict, dataclass
from urllib.parse import urljoin

from .errors import UnsafeURLError
from .urls import check_url

SIGNATURE_ALGORITHMS = {"sha1": hashlib.sha1, "sha256": hashlib.sha256,
                        "sha384": hashlib.sha384, "sha512": hashlib.sha512}
LINK = re.compile(r"<([^>]*)>\s*((?:;\s*[^;,]*)*)")
REL = re.compile(r""";\s*rel\s*=\s*(?:"([^"]*)"|([^\s;,]+))""", re.IGNORECASE)

# Statuses: asked (waiting for the hub's verification), active (verified, within its lease),
# and the reasons a feed is polled again instead.
PENDING, ACTIVE = "pending", "active"
FALLBACKS = ("refused", "unreachable", "missed_entry", "expired")


@dataclass(frozen=True)
class Hub:
    """Where to subscribe (``hub``) and to what (``topic``)."""

    hub: str
    topic: str


def link_header_rels(value: str) -> list[tuple[str, str]]:
    """``(rel, url)`` pairs of an HTTP ``Link`` header (RFC 8288; a link may carry several
    space-separated relations)."""
    pairs = []
    for match in LINK.finditer(value or ""):
        url, parameters = match.group(1).strip(), match.group(2)
        for rel in REL.finditer(parameters):
            pairs += [(name.lower(), url) for name in (rel.group(1) or rel.group(2)).split()]
    return pairs


def discover(headers: dict[str, str], document_links: list[tuple[str, str]],
             feed_url: str) -> Hub | None:
    """The hub and topic a fetched feed names, or None; relative URLs resolve against
    ``feed_url``, and a hub that is not a web URL is ignored."""
    header_links = link_header_rels(headers.get("link", ""))

    def first(rel: str) -> str | None:
        return next((url for kind, url in [*header_links, *document_links]
                     if kind == rel and url), None)

    hub = first("hub")
    if hub is None:
        return None
    try:
        return Hub(check_url(urljoin(feed_url, hub)),
                   check_url(urljoin(feed_url, first("self") or feed_url)))
    except UnsafeURLError:
        return None


def signature_valid(secret: str, body: bytes, header: str | None) -> bool:
    """True when ``header`` (``X-Hub-Signature``) is a known algorithm's HMAC of ``body``."""
    algorithm, _, given = (header or "").strip().partition("=")
    digest = SIGNATURE_ALGORITHMS.get(algorithm.strip().lower())
    if digest is None or not given:
        return False
    expected = hmac.new(secret.encode(), body, digest).hexdigest()
    return hmac.compare_digest(expected, given.strip().lower())


def sign(secret: str, body: bytes, algorithm: str = "sha256") -> str:
    """The ``X-Hub-Signature`` a hub sends for ``body`` (tests and the bench are hubs)."""
    digest = SIGNATURE_ALGORITHMS[algorithm]
    return f"{algorithm}={hmac.new(secret.encode(), body, digest).hexdigest()}"


@dataclass
class Subscription:
    """One feed's subscription, as the feed state keeps it; times are Unix seconds."""

    hub: str
    topic: str
    callback_id: str  # opaque: the callback URL is {VIGIE_WEBSUB_CALLBACK_URL}/websub/<id>
    secret: str  # < 200 bytes, as the spec requires
    status: str = PENDING
    since: float = 0.0  # when the status last changed
    lease_ends: float | None = None
    renewing: bool = False  # asked again while active, not verified yet

    @classmethod
    def new(cls, hub: Hub, now: float) -> Subscription:
        return cls(hub=hub.hub, topic=hub.topic, callback_id=secrets.token_urlsafe(18),
                   secret=secrets.token_hex(32), since=now)

    @classmethod
    def from_dict(cls, values: dict) -> Subscription:
        known = {name: values[name] for name in cls.__dataclass_fields__ if name in values}
        return cls(**known)

    def to_dict(self) -> dict:
        return asdict(self)

    @property
    def pushing(self) -> bool:
        """Verified and not fallen back: the feed's entries come by push."""
        return self.status == ACTIVE

    def set_status(self, status: str, now: float) -> None:
        self.status, self.since, self.renewing = status, now, False

    def due_at(self, renew_before_s: float, retry_s: float) -> float:
        """When to ask the hub (again): ``renew_before_s`` before the lease ends (never later
        than halfway through it), or ``retry_s`` after a fall back or an unanswered ask."""
        if self.status == ACTIVE and self.lease_ends is not None:
            lease = max(0.0, self.lease_ends - self.since)
            return self.lease_ends - min(renew_before_s, lease / 2)
        return self.since + retry_s

    def matches(self, hub: Hub) -> bool:
        return (self.hub, self.topic) == (hub.hub, hub.topic)
