"""Handing a message to its subscription's Apprise URLs, with retries.

Each URL is tried on its own (``Apprise.async_notify`` runs the service's blocking send in a
thread pool); a URL that failed is tried again after ``backoff_s``, doubled after each attempt
(at most ``MAX_BACKOFF_S``), up to ``attempts`` times, and only the URLs that failed are tried
again, so a mail server that is down never repeats a push that went out. What still fails is
returned, for the caller to dead-letter.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import apprise

from .metrics import NotifyMetrics
from .plan import Outgoing
from .subscriptions import ASSET, Endpoint, Secrets, Subscription
from .text import Text, compose

log = logging.getLogger(__name__)
MAX_BACKOFF_S = 60.0


@dataclass(frozen=True)
class Failure:
    endpoint: Endpoint
    error: str  # Apprise's account of the last attempt, secrets masked


class Sender:
    def __init__(self, metrics: NotifyMetrics, secrets: Secrets, *, attempts: int,
                 backoff_s: float, timeout_s: float, cap_base_url: str = "",
                 sleep: Callable[[float], Awaitable[None]] = asyncio.sleep) -> None:
        self.metrics, self.secrets = metrics, secrets
        self.attempts, self.backoff_s, self.timeout_s = max(1, attempts), backoff_s, timeout_s
        self.cap_base_url, self.sleep = cap_base_url, sleep

    async def send(self, subscription: Subscription, message: Outgoing,
                   endpoints: tuple[Endpoint, ...] | None = None) -> list[Failure]:
        """Send ``message`` to ``endpoints`` (all the subscription's by default); returns the
        URLs that failed every attempt."""
        text = compose(message.record, message.kind, subscription, message.key,
                       self.cap_base_url)
        remaining = list(subscription.endpoints if endpoints is None else endpoints)
        failures: list[Failure] = []
        started = time.perf_counter()
        for attempt in range(self.attempts):
            if attempt:
                await self.sleep(min(MAX_BACKOFF_S, self.backoff_s * 2 ** (attempt - 1)))
            errors = await asyncio.gather(*(self.attempt(subscription, endpoint, text,
                                                         message.key)
                                            for endpoint in remaining))
            failures = [Failure(e, error) for e, error in zip(remaining, errors, strict=True)
                        if error]
            remaining = [failure.endpoint for failure in failures]
            if not remaining:
                break
        self.metrics.send_duration.observe(time.perf_counter() - started)
        return failures

    async def attempt(self, subscription: Subscription, endpoint: Endpoint, text: Text,
                      key: str) -> str | None:
        """One attempt at one URL: None if the service accepted the message, else why not."""
        notifier = apprise.Apprise(asset=ASSET)
        try:
            notifier.add(endpoint.keyed(key))
            result = await notifier.async_notify(
                body=text.body(endpoint.full_text), title=text.title,
                notify_type=text.notify_type, body_format="text", timeout=self.timeout_s)
            error = None if result else self.describe(result)
        except Exception as exc:  # noqa: BLE001 - a service's failure is a failed attempt
            error = self.secrets.mask(f"{type(exc).__name__}: {exc}")
        self.metrics.attempts.labels(subscription.name, "failed" if error else "ok").inc()
        if error:
            log.warning("notification to %s failed: %s", endpoint.shown, error,
                        extra={"subscription": subscription.name, "key": key})
        return error

    def describe(self, result) -> str:
        said = [entry.message for entry in result.logs()][-3:]
        return self.secrets.mask(f"{result.status.name.lower()}"
                                 + (f": {' '.join(said)}" if said else ""))
