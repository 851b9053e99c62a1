"""Incidents as CAP 1.2, the exchange format of public alerting systems (OASIS).

``cap_document(incident, sender)`` is one ``<alert>`` per period: while the incident is open
(its first record and its updates) msgType Alert, identifier ``vigie-<incident id>``, ``sent``
and ``effective`` its start (the event time of its first report, e.g. the siren post's time);
once closed, an Update with responseType AllClear, identifier ``vigie-<incident id>-end``,
``sent`` and ``effective`` its end, referencing the Alert. The area is the incident's place
(areaDesc, a circle of ``AREA_RADIUS_KM`` around its point, its ISO 3166-2 region and ISO
3166-1 country as geocodes). ``cap_feed`` lists the current incidents in an Atom feed, each
entry linking its document, as CAP aggregators read them. CAP wants times as
``YYYY-MM-DDThh:mm:ss+00:00`` (no fraction, no "Z"), unlike Vigie's own timestamps.
``LatestIncidents`` keeps the latest record of each incident the worker tracks, and serves
the feed, the documents and ``/incidents/latest``.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET

from vigie.shared.messages import Incident, to_dict
from vigie.shared.metrics import Document
from vigie.shared.timestamps import parse_time

from ..settings import AlertSettings

CAP = "urn:oasis:names:tc:emergency:cap:1.2"
ATOM = "http://www.w3.org/2005/Atom"
SEVERITY = {"critical": "Extreme", "warning": "Severe", "info": "Minor"}
AREA_RADIUS_KM = {"community": 10, "city": 10, "district": 30, "region": 100, "area": 300,
                  "country": 500}


def cap_time(stamp: str) -> str:
    return parse_time(stamp).replace(microsecond=0).isoformat()


def identifier(incident: Incident) -> str:
    """The Alert's identifier, or its end's (an Update: a CAP message is never changed)."""
    return f"vigie-{incident.id}" + ("-end" if incident.status == "closed" else "")


def cap_document(incident: Incident, sender: str) -> bytes:
    alert = ET.Element(f"{{{CAP}}}alert")
    closed = incident.status == "closed"
    sent = cap_time(incident.ended_at if closed else incident.started_at)
    _add(alert, "identifier", identifier(incident))
    _add(alert, "sender", sender)
    _add(alert, "sent", sent)
    _add(alert, "status", "Actual")
    _add(alert, "msgType", "Update" if closed else "Alert")
    _add(alert, "scope", "Public")
    if closed:
        _add(alert, "references",
             f"{sender},vigie-{incident.id},{cap_time(incident.started_at)}")
    info = _add(alert, "info")
    _add(info, "category", "Security")
    _add(info, "event", incident.rule.description or incident.rule.id)
    if closed:
        _add(info, "responseType", "AllClear")
    _add(info, "urgency", "Past" if closed else "Immediate")
    _add(info, "severity", "Minor" if closed else SEVERITY.get(incident.rule.severity, "Unknown"))
    _add(info, "certainty", "Observed" if incident.reports > 1 else "Likely")
    _add(info, "effective", sent)
    _add(info, "onset", cap_time(incident.started_at))
    _add(info, "senderName", "Vigie")
    _add(info, "headline", incident.headline[:160])
    _add(info, "description", _description(incident))
    if incident.place is not None:
        _area(info, incident)
    return ET.tostring(alert, encoding="utf-8", xml_declaration=True, default_namespace=CAP)


def _description(incident: Incident) -> str:
    text = (f"{incident.reports} report(s) from {len(incident.sources)} source(s) "
            f"({', '.join(incident.sources)}) since {incident.started_at}.")
    if incident.status == "closed":
        text += f" Ended {incident.ended_at} ({incident.closed_by})."
    return text


def _area(info: ET.Element, incident: Incident) -> None:
    place = incident.place
    area = _add(info, "area")
    _add(area, "areaDesc", ", ".join(filter(None, (place.name, place.region, place.country))))
    if place.lat is not None and place.lon is not None:
        _add(area, "circle", f"{place.lat},{place.lon} {AREA_RADIUS_KM[place.kind]}")
    for name, value in (("ISO3166-2", place.region), ("ISO3166-1", place.country)):
        if value:
            geocode = _add(area, "geocode")
            _add(geocode, "valueName", name)
            _add(geocode, "value", value)


def cap_feed(incidents: list[Incident], sender: str, base_url: str) -> bytes:
    """An Atom feed of ``incidents``, newest first, each entry linking its CAP document."""
    feed = ET.Element("feed", xmlns=ATOM)  # Atom's attributes are unqualified: no prefixes
    ET.SubElement(feed, "id").text = f"{base_url}/cap"
    ET.SubElement(feed, "title").text = f"Vigie incidents ({sender})"
    newest = max((i.updated_at for i in incidents), default="1970-01-01T00:00:00Z")
    ET.SubElement(feed, "updated").text = cap_time(newest)
    for incident in sorted(incidents, key=lambda i: i.updated_at, reverse=True):
        entry = ET.SubElement(feed, "entry")
        ET.SubElement(entry, "id").text = f"urn:vigie:incident:{incident.id}:{incident.revision}"
        ET.SubElement(entry, "title").text = (
            f"{incident.status}: {incident.rule.id} — "
            f"{incident.place.name if incident.place else 'no place'}")
        ET.SubElement(entry, "updated").text = cap_time(incident.updated_at)
        ET.SubElement(entry, "link", href=f"{base_url}/cap/{incident.id}.xml",
                      type="application/cap+xml")
    return ET.tostring(feed, encoding="utf-8", xml_declaration=True)


def _add(parent: ET.Element, tag: str, text: str | None = None) -> ET.Element:
    element = ET.SubElement(parent, f"{{{CAP}}}{tag}")
    if text is not None:
        element.text = text
    return element


class LatestIncidents:
    """The latest record of the incidents this worker tracks, for ``/cap`` (the newest
    ``size``; a closed one stays, so its AllClear is served)."""

    def __init__(self, settings: AlertSettings, size: int = 500) -> None:
        self.size, self.sender = size, settings.cap_sender
        self.base_url = settings.cap_base_url or f"http://127.0.0.1:{settings.alert_metrics_port}"
        self._records: dict[str, Incident] = {}

    def add(self, record: Incident) -> None:
        self._records.pop(record.id, None)
        self._records[record.id] = record
        while len(self._records) > self.size:
            del self._records[next(iter(self._records))]

    def latest(self):
        """Newest first, as JSON: the map and table panels read it. (Served on the metrics
        server's thread while the worker adds records: ``list`` copies the values at once.)"""
        return 200, [to_dict(record) for record in reversed(list(self._records.values()))]

    def feed(self):
        return 200, Document(cap_feed(list(self._records.values()), self.sender, self.base_url),
                             "application/atom+xml")

    def document(self, name: str):
        record = self._records.get(name.removesuffix(".xml"))
        if record is None:
            return 404, {"error": f"no current incident {name}"}
        return 200, Document(cap_document(record, self.sender), "application/cap+xml")
