"""Incident records and subscriptions for the notify tests."""

from __future__ import annotations

import zoneinfo

from vigie.notify.subscriptions import Endpoint, Subscription
from vigie.shared.filters import Filters
from vigie.shared.messages import Incident, Place, RuleRef

KYIV = Place(name="Kyiv", kind="city", country="UA", region="UA-30", lat=50.45, lon=30.52)
KHARKIV = Place(name="Kharkiv", kind="city", country="UA", region="UA-63", lat=49.99, lon=36.23)


def record(revision: int = 1, status: str = "open", reports: int = 1, **changes) -> Incident:
    fields = dict(
        id="i1", rule=RuleRef(id="air-raid", severity="critical", description="Air-raid alert"),
        status=status, place=KYIV, started_at="2025-08-22T01:56:00.000Z",
        updated_at="2025-08-22T02:00:00.000Z", reports=reports,
        sources=[f"feed {n}" for n in range(reports)], alert_ids=["al1"],
        headline="Une «alerte aérienne» a retenti à Kyiv.", revision=revision,
        first_report_url="https://news.example.org/kyiv-1")
    if status == "closed":
        fields |= {"ended_at": "2025-08-22T03:10:00.000Z", "closed_by": "report"}
    return Incident(**(fields | changes))


def subscription(*urls: str, every: float = 300.0, language: str = "en",
                 zone: str = "UTC", name: str = "desk", filters: Filters | None = None):
    return Subscription(name=name, endpoints=tuple(Endpoint(url=u, shown=u) for u in urls),
                        filters=filters or Filters(), language=language,
                        zone=zoneinfo.ZoneInfo(zone),
                        update_every=every)
