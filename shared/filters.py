"""Which alerts and incidents a reader wants: the one definition of the filters that
``vigie subscribe``, the notify service's subscriptions and the rules' place conditions share.

``Filters.accept`` reads a message as JSON builtins (an Alert or an Incident, or anything
alert-like), so a subscriber can filter what it cannot decode; ``PlaceCondition`` is the
country / region / circle test of a place.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Annotated

import msgspec
import pycountry
from msgspec import Meta

from .geo import distance_km
from .messages import Place
from .timestamps import parse_time


@dataclass(frozen=True)
class PlaceCondition:
    """A place in one of ``countries``, one of ``regions``, or within ``circle`` (lat, lon,
    km): any of them."""

    countries: frozenset[str] = frozenset()
    regions: frozenset[str] = frozenset()
    circle: tuple[float, float, float] | None = None

    def holds(self, place) -> bool:
        if place is None:
            return False
        if place.country in self.countries or (place.region or "") in self.regions:
            return True
        if self.circle is None or place.lat is None or place.lon is None:
            return False
        lat, lon, km = self.circle
        return distance_km(lat, lon, place.lat, place.lon) <= km


class CircleEntry(msgspec.Struct, forbid_unknown_fields=True):
    """A circle as YAML files write it: ``{lat: 50.45, lon: 30.52, km: 50}``."""

    lat: Annotated[float, Meta(ge=-90, le=90)]
    lon: Annotated[float, Meta(ge=-180, le=180)]
    km: Annotated[float, Meta(gt=0)]


def unknown_codes(codes, kind: str) -> list[str]:
    """The codes of ``codes`` that are not ISO 3166-1 alpha-2 (``kind`` "country") or ISO
    3166-2 (``kind`` "region"), case aside."""
    lookup = {"country": lambda code: pycountry.countries.get(alpha_2=code),
              "region": lambda code: pycountry.subdivisions.get(code=code)}[kind]
    return [code for code in codes or () if lookup(code.upper()) is None]


@dataclass(frozen=True)
class Filters:
    rules: tuple[str, ...] = ()
    severities: tuple[str, ...] = ()
    since: dt.datetime | None = None
    statuses: tuple[str, ...] = ()  # incidents: open, update, closed
    places: PlaceCondition | None = None  # the condition rules use: country, region, circle

    def accept(self, message: dict) -> bool:
        rule = message.get("rule") if isinstance(message.get("rule"), dict) else {}
        if self.rules and rule.get("id") not in self.rules:
            return False
        if self.severities and rule.get("severity") not in self.severities:
            return False
        if self.statuses and message.get("status") not in self.statuses:
            return False
        if self.since:
            stamp = (message.get("detected_at") or message.get("updated_at")
                     or message.get("ingested_at"))
            if not stamp or parse_time(stamp) < self.since:
                return False
        return self.accept_place(message)

    def accept_place(self, message: dict) -> bool:
        """An incident's place, or any place an alert's entities name."""
        if self.places is None:
            return True
        places = [message["place"]] if isinstance(message.get("place"), dict) else [
            e["place"] for e in message.get("entities") or [] if isinstance(e.get("place"), dict)]
        try:
            return any(self.places.holds(msgspec.convert(place, Place)) for place in places)
        except msgspec.ValidationError:
            return False  # place-like but not our contract
