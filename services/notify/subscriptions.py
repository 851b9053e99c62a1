"""The subscriptions file (``VIGIE_NOTIFY_FILE``): who gets which incidents, and how.

::

    subscriptions:
      - name: desk-ukraine            # unique; letters, digits, '.', '_', '-'
        urls: ["ntfy://ntfy.example.org/desk", "mailto://user:${SMTP_PASSWORD}@example.org"]
        rules: [air-raid]             # rule ids; absent = all
        severity: [critical]          # absent = all
        countries: [UA]               # ISO 3166-1; regions: [UA-30] (ISO 3166-2);
        near: {lat: 50.45, lon: 30.52, km: 50}   # any of the place conditions
        language: fr                  # fr, en or uk (default en)
        timezone: Europe/Paris        # IANA (default UTC)
        update_every: 5m              # at most one update this often (default 5m)

The filters mean what ``vigie subscribe``'s do (``vigie.shared.filters``). ``${NAME}`` in a URL
is the environment variable NAME: a URL that is only a placeholder is taken as it is, a
placeholder inside a URL is percent-encoded (a password may hold ``@`` or ``/``). The values
substituted are secrets: never logged or printed (``Secrets`` masks them wherever Apprise or
Vigie write a URL). The file is checked at start: a mistake raises ``SubscriptionError``
naming the file, the line, the subscription and the field.
"""

from __future__ import annotations

import logging
import os
import re
import zoneinfo
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Literal
from urllib.parse import quote, urlsplit

import apprise
import msgspec
import yaml
from msgspec import Meta

from vigie.shared.durations import parse_duration
from vigie.shared.errors import VigieError
from vigie.shared.filters import CircleEntry, Filters, PlaceCondition, unknown_codes
from vigie.shared.typed_yaml import YamlDocument

Language = Literal["fr", "en", "uk"]
NAME = r"^[A-Za-z0-9._-]{1,64}$"
PLACEHOLDER = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")
ASSET = apprise.AppriseAsset(app_id="Vigie", app_desc="Vigie incidents")
# Services that get the full text (email, webhooks read by programs); the others a push's.
FULL_TEXT_SCHEMES = {"mailto", "mailtos", "json", "jsons", "xml", "xmls", "form", "forms"}
# The header that carries a message's key, on the services that take headers ("+Name=value").
KEY_HEADERS = {**dict.fromkeys(("json", "jsons", "xml", "xmls", "form", "forms"),
                               "Idempotency-Key"),
               **dict.fromkeys(("mailto", "mailtos"), "X-Vigie-Key")}
DEFAULT_UPDATE_EVERY = "5m"


class SubscriptionEntry(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """One subscription as written in the file."""

    name: Annotated[str, Meta(pattern=NAME, description=(
        "a name of letters, digits, '.', '_', '-' (at most 64)"))]
    urls: Annotated[list[Annotated[str, Meta(pattern=r"\S")]], Meta(
        min_length=1, description="a non-empty list of Apprise URLs")]
    rules: Annotated[list[str], Meta(description="a list of rule ids")] | None = None
    severity: Annotated[list[Literal["info", "warning", "critical"]], Meta(
        description="a list of info, warning, critical")] | None = None
    countries: Annotated[list[str], Meta(description="a list of ISO 3166-1 codes")] | None = None
    regions: Annotated[list[str], Meta(description="a list of ISO 3166-2 codes")] | None = None
    near: Annotated[CircleEntry, Meta(description="{lat, lon, km} with a positive radius")] \
        | None = None
    language: Annotated[Language, Meta(description="one of fr, en, uk")] = "en"
    timezone: Annotated[str, Meta(description="an IANA time zone such as Europe/Paris")] = "UTC"
    update_every: Annotated[str | float, Meta(description="a duration such as 90s, 5m, 1h")] \
        = DEFAULT_UPDATE_EVERY


ENTRY = Annotated[SubscriptionEntry, Meta(description="a mapping of fields")]


class SubscriptionError(VigieError, ValueError):
    """An invalid subscriptions file; the message says where."""

    def __init__(self, message: str, *, source: str | None = None, line: int | None = None,
                 subscription: str | None = None, field: str | None = None):
        where = ", ".join(part for part in (
            source, f"line {line}" if line else None,
            f"subscription {subscription}" if subscription else None,
            f"field {field!r}" if field else None) if part)
        super().__init__(f"{where}: {message}" if where else message)


@dataclass(frozen=True)
class Endpoint:
    """One Apprise URL of a subscription: ``url`` holds the secrets (never shown), ``shown``
    is Apprise's privacy form of it, for logs and dead letters."""

    url: str = field(repr=False)
    shown: str

    @property
    def scheme(self) -> str:
        return urlsplit(self.url).scheme.lower()

    @property
    def full_text(self) -> bool:
        return self.scheme in FULL_TEXT_SCHEMES

    def keyed(self, key: str) -> str:
        """The URL with the message's key in a header, where the service sends headers (a
        webhook can drop a repeat by its ``Idempotency-Key``)."""
        header = KEY_HEADERS.get(self.scheme)
        if header is None:
            return self.url
        return f"{self.url}{'&' if '?' in self.url else '?'}+{header}={quote(key, safe='')}"


@dataclass(frozen=True)
class Subscription:
    name: str
    endpoints: tuple[Endpoint, ...]
    filters: Filters
    language: str = "en"
    zone: zoneinfo.ZoneInfo = zoneinfo.ZoneInfo("UTC")
    update_every: float = 300.0


class Secrets(logging.Filter):
    """The values substituted into URLs: masked in ``mask`` and in every record of the loggers
    it filters."""

    def __init__(self, values=()) -> None:
        super().__init__()
        self.values = sorted({v for value in values if value
                              for v in (value, quote(value, safe=""))}, key=len, reverse=True)

    def mask(self, text: str) -> str:
        for value in self.values:
            text = text.replace(value, "****")
        return text

    def filter(self, record: logging.LogRecord) -> bool:
        if self.values:
            record.msg, record.args = self.mask(record.getMessage()), ()
        return True

    def guard(self, logger: logging.Logger) -> None:
        """Filter ``logger``'s records (once), and keep its chatter (payloads) below WARNING
        out of the logs."""
        for old in [f for f in logger.filters if isinstance(f, Secrets)]:
            logger.removeFilter(old)
        logger.addFilter(self)
        logger.setLevel(max(logger.level, logging.WARNING))


@dataclass(frozen=True)
class SubscriptionFile:
    subscriptions: tuple[Subscription, ...]
    secrets: Secrets

    def get(self, name: str) -> Subscription | None:
        return next((s for s in self.subscriptions if s.name == name), None)


class _Reader:
    """Reads subscription #index of a document, naming it in every error."""

    def __init__(self, document: YamlDocument, index: int, source: str | None,
                 env: Mapping[str, str], secrets: list[str]):
        raw = document.data["subscriptions"][index]
        self.document, self.index, self.source, self.env = document, index, source, env
        self.secrets = secrets
        self.name = f"#{index + 1}"
        if isinstance(raw, dict) and isinstance(raw.get("name"), str) and raw["name"]:
            self.name = f"{raw['name']!r} (#{index + 1})"

    def fail(self, field_name: str | None, message: str, *inner) -> SubscriptionError:
        path = ("subscriptions", self.index, *((field_name, *inner) if field_name else ()))
        return SubscriptionError(message, source=self.source, line=self.document.line(path),
                                 subscription=self.name, field=field_name)

    def subscription(self) -> Subscription:
        entry, problems = self.document.decode(ENTRY, ("subscriptions", self.index))
        if problems:
            first = problems[0]
            raise SubscriptionError(first.message, source=self.source, line=first.line,
                                    subscription=self.name, field=first.field)
        for name, kind, codes in (("countries", "country", entry.countries),
                                  ("regions", "region", entry.regions)):
            unknown = unknown_codes(codes, kind)
            if unknown:
                raise self.fail(name, f"not an ISO 3166 code: {', '.join(unknown)}")
        every = parse_duration(entry.update_every)
        if every is None or every <= 0:
            raise self.fail("update_every", f"expected a duration such as 90s, 5m, 1h, got"
                                            f" {entry.update_every!r}")
        return Subscription(
            name=entry.name, endpoints=tuple(self.endpoint(i, url)
                                             for i, url in enumerate(entry.urls)),
            filters=filters_of(entry), language=entry.language, zone=self.zone(entry.timezone),
            update_every=every)

    def zone(self, name: str) -> zoneinfo.ZoneInfo:
        try:
            return zoneinfo.ZoneInfo(name)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            raise self.fail("timezone", f"not an IANA time zone: {name!r}") from None

    def endpoint(self, position: int, written: str) -> Endpoint:
        url = self.substitute(position, written.strip())
        plugin = apprise.Apprise.instantiate(url, asset=ASSET, suppress_exceptions=True)
        if plugin is None:
            scheme = urlsplit(url).scheme or "none"
            raise self.fail("urls", f"URL #{position + 1} (scheme {scheme!r}) is not one Apprise"
                                    " can use: see Apprise's list of services", position)
        return Endpoint(url=url, shown=plugin.url(privacy=True))

    def substitute(self, position: int, url: str) -> str:
        whole = PLACEHOLDER.fullmatch(url) is not None

        def value(match: re.Match) -> str:
            name = match.group(1)
            if not self.env.get(name):
                raise self.fail("urls", f"URL #{position + 1}: ${{{name}}} is not set in the"
                                        " environment", position)
            self.secrets.append(self.env[name])
            return self.env[name] if whole else quote(self.env[name], safe="")

        return PLACEHOLDER.sub(value, url)


def filters_of(entry: SubscriptionEntry) -> Filters:
    near = entry.near
    places = None
    if entry.countries or entry.regions or near:
        places = PlaceCondition(frozenset(c.upper() for c in entry.countries or ()),
                                frozenset(r.upper() for r in entry.regions or ()),
                                None if near is None else (near.lat, near.lon, near.km))
    return Filters(rules=tuple(entry.rules or ()), severities=tuple(entry.severity or ()),
                   places=places)


def parse_text(text: str, source: str | None = None,
               env: Mapping[str, str] | None = None) -> SubscriptionFile:
    try:
        document = YamlDocument(text)
    except yaml.YAMLError as exc:
        raise SubscriptionError(f"not valid YAML: {exc}", source=source) from None
    data = document.data
    if not (isinstance(data, dict) and set(data) == {"subscriptions"}
            and isinstance(data["subscriptions"], list)):
        raise SubscriptionError("expected a mapping with one key, subscriptions: a list of"
                                " subscriptions (empty: nobody is notified)", source=source,
                                line=document.line(()))
    secrets: list[str] = []
    subscriptions: list[Subscription] = []
    for index in range(len(data["subscriptions"])):
        reader = _Reader(document, index, source, os.environ if env is None else env, secrets)
        subscription = reader.subscription()
        if any(s.name == subscription.name for s in subscriptions):
            raise reader.fail("name", "duplicate name")
        subscriptions.append(subscription)
    return SubscriptionFile(tuple(subscriptions), Secrets(secrets))


def load(path: str | Path, env: Mapping[str, str] | None = None) -> SubscriptionFile:
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise SubscriptionError(f"cannot read: {exc}", source=str(path)) from None
    return parse_text(text, str(path), env)
