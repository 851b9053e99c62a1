"""Webhook sink: POST an alert as JSON, retrying what is worth retrying.

Retried: connection errors, timeouts, 408, 425, 429 and 5xx, with exponential backoff
(``backoff * 2**attempt``, at most ``max_delay``). On 429 and 503 a ``Retry-After`` header
(seconds or an HTTP date) replaces the backoff, capped at ``max_delay`` as well. Other 4xx
answers fail at once: sending the same body again would get the same answer. After the last
attempt ``WebhookError`` is raised; the caller dead-letters the alert.

Each request carries the alert id in ``Idempotency-Key``, so a receiver can drop the repeats
that retries and at-least-once delivery produce.
"""

from __future__ import annotations

import http.client
import time
import urllib.error
import urllib.request
from collections.abc import Callable

from vigie.shared.http import retry_after
from vigie.shared.messages import Alert, encode

RETRIABLE = {408, 425, 429, 500, 502, 503, 504}
RETRY_AFTER_STATUSES = {429, 503}
USER_AGENT = "vigie-alert-webhook/1"


class WebhookError(RuntimeError):
    """The webhook did not accept the alert; ``status`` is the last HTTP status, if any."""

    def __init__(self, message: str, status: int | None = None, attempts: int = 0):
        super().__init__(message)
        self.status, self.attempts = status, attempts


class _Retry(Exception):
    def __init__(self, reason: str, status: int | None = None, wait: float | None = None):
        super().__init__(reason)
        self.reason, self.status, self.wait = reason, status, wait


def _request(url: str, body: bytes, alert_id: str) -> urllib.request.Request:
    return urllib.request.Request(url, data=body, method="POST", headers={
        "Content-Type": "application/json", "User-Agent": USER_AGENT,
        "Idempotency-Key": alert_id,
    })


def _attempt(request: urllib.request.Request, timeout: float) -> int:
    """One POST; returns the 2xx status, raises _Retry or WebhookError otherwise."""
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status
    except urllib.error.HTTPError as exc:
        status, reason = exc.code, f"HTTP {exc.code} {exc.reason}"
        if status not in RETRIABLE:
            raise WebhookError(f"webhook refused the alert: {reason}", status, 1) from None
        wait = retry_after(exc.headers.get("Retry-After")) \
            if status in RETRY_AFTER_STATUSES else None
        raise _Retry(reason, status, wait) from None
    except (urllib.error.URLError, http.client.HTTPException, TimeoutError,
            ConnectionError) as exc:
        raise _Retry(f"{type(exc).__name__}: {getattr(exc, 'reason', exc)}") from None


def post_alert(url: str, alert: Alert, retries: int = 3, backoff: float = 0.5, *,
               timeout: float = 10.0, max_delay: float = 60.0,
               sleep: Callable[[float], None] = time.sleep) -> int:
    """POST ``alert`` as JSON to ``url``; ``retries`` more attempts after the first.

    Returns the HTTP status of the accepted request; raises ``WebhookError`` when every
    attempt failed or the webhook refused the alert for good.
    """
    request = _request(url, encode(alert), alert.id)
    last: _Retry | None = None
    for attempt in range(retries + 1):
        if last is not None:
            delay = last.wait if last.wait is not None else backoff * 2 ** (attempt - 1)
            sleep(min(max_delay, delay))
        try:
            return _attempt(request, timeout)
        except _Retry as failure:
            last = failure
        except WebhookError as refused:
            refused.attempts = attempt + 1
            raise
    raise WebhookError(
        f"webhook {url} failed after {retries + 1} attempts, last: {last.reason}",
        last.status, retries + 1,
    )
