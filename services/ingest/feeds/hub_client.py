"""Asking a WebSub hub for a subscription: one form POST (``hub.mode=subscribe``).

The hub's URL comes from a feed, so it is fetched like one: http(s) only, to a permitted
address (``VIGIE_ALLOW_PRIVATE_NETWORKS``), within the fetch timeouts. A 2xx answer means the
hub accepted the request and will verify it with a GET to the callback (``callback``); any
other answer is a refusal, and no answer at all an unreachable hub: both leave the feed polled.
"""

from __future__ import annotations

import http.client
from dataclasses import dataclass
from urllib.parse import urlencode

from vigie.shared.addresses import RefusedAddress
from vigie.shared.http import open_route

from .errors import UnsafeURLError
from .fetch import FetchLimits
from .urls import check_url
from .websub import Subscription


@dataclass(frozen=True)
class SubscribeOutcome:
    """What the hub answered a subscription request: ``accepted``, ``refused`` or
    ``unreachable``, with the reason of the last two."""

    feed_url: str
    callback_id: str
    result: str
    detail: str = ""


def request_subscription(feed_url: str, subscription: Subscription, callback: str,
                         lease_s: int, limits: FetchLimits) -> SubscribeOutcome:
    """POST the subscription request to its hub; never raises for the hub's faults."""
    form = urlencode({"hub.mode": "subscribe", "hub.topic": subscription.topic,
                      "hub.callback": callback, "hub.secret": subscription.secret,
                      "hub.lease_seconds": str(lease_s)}).encode()

    def outcome(result: str, detail: str = "") -> SubscribeOutcome:
        return SubscribeOutcome(feed_url, subscription.callback_id, result, detail)

    try:
        route = open_route(check_url(subscription.hub), limits.timeout_s, limits.network)
        connection = route.connection
        try:
            connection.request("POST", route.target, body=form, headers={
                "User-Agent": limits.user_agent, **route.headers,
                "Content-Type": "application/x-www-form-urlencoded"})
            answer = connection.getresponse()
            reason = answer.read(500).decode("utf-8", "replace").strip()
        finally:
            connection.close()
    except (UnsafeURLError, RefusedAddress, ValueError) as exc:
        return outcome("refused", str(exc))
    except (OSError, http.client.HTTPException) as exc:
        return outcome("unreachable", f"{type(exc).__name__}: {exc}")
    if 200 <= answer.status < 300:
        return outcome("accepted")
    return outcome("refused", f"HTTP {answer.status} {reason[:200]}")
