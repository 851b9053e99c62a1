"""Alerts for people: two short lines for a terminal (``vigie subscribe``)."""

from __future__ import annotations

from vigie.shared.messages import Alert, Incident
from vigie.shared.timestamps import parse_time

SEVERITY_COLOURS = {"info": "36", "warning": "33", "critical": "1;31"}  # ANSI: cyan, yellow, red


def _when(alert: Alert) -> str:
    try:
        return parse_time(alert.detected_at).strftime("%Y-%m-%d %H:%M:%S UTC")
    except ValueError:
        return alert.detected_at


def _source(alert: Alert) -> str:
    source = alert.article.source
    name = source.name or source.path or source.url or source.kind
    published = f", {alert.article.published}" if alert.article.published else ""
    return f"{name}{published}"


def human(alert: Alert, colour: bool = False) -> str:
    """``SEVERITY rule — title (source, published) time`` then the snippet, indented."""
    severity = alert.rule.severity.upper()
    if colour:
        severity = f"\x1b[{SEVERITY_COLOURS.get(alert.rule.severity, '0')}m{severity}\x1b[0m"
    source = alert.article.source
    title = alert.article.title or alert.article.url or source.path or alert.article.id
    head = f"{severity} {alert.rule.id} — {title} ({_source(alert)}) {_when(alert)}"
    return f"{head}\n    {alert.snippet}" if alert.snippet else head


def human_incident(incident: Incident) -> str:
    """``OPENED rule — place: N reports from M sources, since T`` then the headline."""
    where = incident.place.name if incident.place else "no place named"
    if incident.place and incident.place.country:
        where += f" ({', '.join(filter(None, (incident.place.region, incident.place.country)))})"
    status = {"open": "OPENED", "update": "UPDATED", "closed": "CLOSED"}[incident.status]
    head = (f"{status} {incident.rule.id} — {where}: {incident.reports} report(s) from "
            f"{len(incident.sources)} source(s), since {incident.started_at}")
    if incident.status == "closed":
        head += f", ended {incident.ended_at} ({incident.closed_by})"
    return f"{head}\n    {incident.headline}" if incident.headline else head
