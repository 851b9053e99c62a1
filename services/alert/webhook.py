"""Webhook sink: POST an alert as JSON, retrying what is worth retrying.

A delivery counts only when the webhook answers 2xx to the POST itself. A 307 or 308 is
followed with the same body, to the same scheme and host only (a redirect elsewhere is
refused: the alert would leave for a host the operator never named); a 301, 302 or 303 is a
failed attempt, since following it would replay the POST as a bodyless GET that the new address
may well answer 200 to.

Retried: connection errors, timeouts, 3xx, 408, 425, 429 and 5xx, with exponential backoff
(``backoff * 2**attempt``, at most ``max_delay``). On 429 and 503 a ``Retry-After`` header
(seconds or an HTTP date) replaces the backoff, capped at ``max_delay`` as well. Other 4xx
answers and refused redirects fail at once: sending the same body again would get the same
answer. After the last attempt ``WebhookError`` is raised; the caller dead-letters the alert.

Each request carries the alert id in ``Idempotency-Key``, so a receiver can drop the repeats
that retries and at-least-once delivery produce. The webhook's URL is the operator's own, so
private addresses are allowed; ``HTTP_PROXY``/``HTTPS_PROXY``/``NO_PROXY`` apply.

The retry loop is written out rather than taken from a retry library: its three rules
(Retry-After over backoff, a refusal never retried, a cap on every wait) fit in the loop below
and are tested on a real server; a library would add a dependency to say the same.
"""

from __future__ import annotations

import http.client
import time
from collections.abc import Callable
from urllib.parse import urljoin, urlsplit

from vigie.shared.errors import VigieError
from vigie.shared.http import open_route, retry_after
from vigie.shared.messages import Alert, encode

RETRIABLE = {408, 425, 429, 500, 502, 503, 504}
RETRY_AFTER_STATUSES = {429, 503}
SAME_BODY_REDIRECTS = {307, 308}
MAX_REDIRECTS = 5
MAX_ANSWER_BYTES = 64 * 1024  # read (and dropped) so the connection closes cleanly
USER_AGENT = "vigie-alert-webhook/1"


class WebhookError(VigieError, RuntimeError):
    """The webhook did not accept the alert; ``status`` is the last HTTP status, if any."""

    def __init__(self, message: str, status: int | None = None, attempts: int = 0):
        super().__init__(message)
        self.status, self.attempts = status, attempts


class _Retry(VigieError):
    """One delivery attempt failed in a way worth another (a timeout, a 503); ``wait`` is the
    delay the server asked for, if any."""

    def __init__(self, reason: str, status: int | None = None, wait: float | None = None):
        super().__init__(reason)
        self.reason, self.status, self.wait = reason, status, wait


def _post(url: str, body: bytes, alert_id: str, timeout: float):
    """One POST on its own connection: (status, reason, lower-cased headers)."""
    route = open_route(url, timeout)
    try:
        route.connection.request("POST", route.target, body=body, headers={
            "Content-Type": "application/json", "User-Agent": USER_AGENT,
            "Idempotency-Key": alert_id, **route.headers,
        })
        response = route.connection.getresponse()
        response.read(MAX_ANSWER_BYTES)
        return response.status, response.reason, {k.lower(): v for k, v in response.getheaders()}
    except (OSError, http.client.HTTPException) as exc:
        raise _Retry(f"{type(exc).__name__}: {exc}") from None
    finally:
        route.connection.close()


def _same_body_target(url: str, location: str | None, status: int) -> str:
    """Where a 307/308 sends the POST, if it stays on the same scheme and host."""
    if not location:
        raise WebhookError(f"webhook answered HTTP {status} without a Location", status)
    target = urljoin(url, location)
    here, there = urlsplit(url), urlsplit(target)
    if (here.scheme.lower(), here.hostname) != (there.scheme.lower(), there.hostname):
        raise WebhookError(f"webhook redirected the alert to another host, refused: {target}",
                           status)
    return target


def _attempt(url: str, body: bytes, alert_id: str, timeout: float) -> int:
    """One delivery, following 307/308; returns the 2xx status, raises _Retry or
    WebhookError otherwise."""
    for _ in range(MAX_REDIRECTS + 1):
        status, reason, headers = _post(url, body, alert_id, timeout)
        if status in SAME_BODY_REDIRECTS:
            url = _same_body_target(url, headers.get("location"), status)
            continue
        if 200 <= status < 300:
            return status
        if 300 <= status < 400:
            raise _Retry(f"HTTP {status} {reason} (a POST is not replayed as a GET)", status)
        if status not in RETRIABLE:
            raise WebhookError(f"webhook refused the alert: HTTP {status} {reason}", status)
        wait = retry_after(headers.get("retry-after")) if status in RETRY_AFTER_STATUSES else None
        raise _Retry(f"HTTP {status} {reason}", status, wait)
    raise WebhookError(f"webhook redirected the alert more than {MAX_REDIRECTS} times", status)


def post_alert(url: str, alert: Alert, retries: int = 3, backoff: float = 0.5, *,
               timeout: float = 10.0, max_delay: float = 60.0,
               sleep: Callable[[float], None] = time.sleep) -> int:
    """POST ``alert`` as JSON to ``url``; ``retries`` more attempts after the first.

    Returns the HTTP status of the accepted request; raises ``WebhookError`` when every
    attempt failed or the webhook refused the alert for good.
    """
    body = encode(alert)
    last: _Retry | None = None
    for attempt in range(retries + 1):
        if last is not None:
            delay = last.wait if last.wait is not None else backoff * 2 ** (attempt - 1)
            sleep(min(max_delay, delay))
        try:
            return _attempt(url, body, alert.id, timeout)
        except _Retry as failure:
            last = failure
        except WebhookError as refused:
            refused.attempts = attempt + 1
            raise
    raise WebhookError(
        f"webhook {url} failed after {retries + 1} attempts, last: {last.reason}",
        last.status, retries + 1,
    )
