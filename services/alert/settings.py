"""Alert settings (environment variables ``VIGIE_*``, defaults documented here)."""

from __future__ import annotations

import dataclasses

from vigie.shared.config import setting
from vigie.shared.streams import StreamSettings


@dataclasses.dataclass(frozen=True, repr=False)
class AlertSettings(StreamSettings):
    service = "alert"

    alert_app_id: str = setting("vigie-alert", "consumer group and state prefix of alert")
    alert_metrics_port: int = setting(
        9103, "port of alert's /metrics, /healthz, /alerts/latest and /cap (CAP 1.2)")
    alert_rules_file: str = setting("deploy/rules.yaml", "the alert rules (YAML)")
    alert_rules_reload_s: float = setting(2.0, "how often the rules file is checked for changes")
    alert_max_text_chars: int = setting(
        1_000_000, "longer articles (and alerts with a longer snippet) go to the dead-letter"
                   " topic instead of the rules"
    )
    alert_latest_size: int = setting(200, "alerts kept for the /alerts/latest JSON endpoint")
    alert_webhook_url: str = setting("", "if set, every alert is also POSTed here as JSON",
                                     secret=True)
    alert_webhook_retries: int = setting(5, "attempts before a webhook delivery is dead-lettered")
    incident_window_s: float = setting(
        21600.0, "a closed incident (and an end report that matched none) is kept this long"
                 " after its time (event time) and after it was last read, so that a late"
                 " report still joins it"
    )
    incident_update_min_s: float = setting(
        30.0, "at most one record per incident this often: a burst of reports is one update"
    )
    cap_sender: str = setting("vigie@localhost", "the sender of CAP documents (/cap)")
    cap_base_url: str = setting(
        "", "the URL the CAP feed links documents under (default http://127.0.0.1:<port>)")
    incident_quiet_s: float = setting(
        10800.0, "an incident without a new report for this long (event time) closes"
                 " (closed_by: quiet)"
    )
    incident_channel_quiet_s: float = setting(
        86400.0, "the same for an incident a channel post started (its end is posted too:"
                 " a siren can last hours)"
    )
