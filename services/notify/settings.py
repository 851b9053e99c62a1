"""Notify settings (environment variables ``VIGIE_*``, defaults documented here)."""

from __future__ import annotations

import dataclasses

from vigie.shared.config import setting
from vigie.shared.streams import StreamSettings


@dataclasses.dataclass(frozen=True, repr=False)
class NotifySettings(StreamSettings):
    service = "notify"

    notify_app_id: str = setting("vigie-notify", "consumer group and state prefix of notify")
    notify_metrics_port: int = setting(9104, "port of notify's /metrics and /healthz")
    notify_file: str = setting(
        "", "the subscriptions (YAML): who gets which incidents, through which Apprise URLs;"
            " `vigie run` starts notify only when it is set")
    notify_cap_base_url: str = setting(
        "", "public base URL of the alert service's CAP documents, as the readers of the"
            " messages reach it (e.g. https://vigie.example.org): each message links"
            " <it>/cap/<incident id>.xml; empty: no CAP link")
    notify_attempts: int = setting(
        4, "attempts per message and URL before the message is dead-lettered")
    notify_backoff_s: float = setting(
        1.0, "wait after a failed attempt, doubled after each one (at most 60 s)")
    notify_timeout_s: float = setting(30.0, "longest wait for one attempt at one URL")
    notify_max_age_s: float = setting(
        21600.0, "incident records written longer ago than this send no message (a first"
                 " start on a long history notifies no stale news)")
    notify_tick_s: float = setting(
        5.0, "how often held updates are checked: one goes out at most this late after its"
             " subscription's update_every has passed")
