"""The message contracts: one definition of each type that crosses a topic.

Field names are fixed by the contract (README, "Topics and messages"): consumers in other
languages read the JSON Schema generated from these classes (``vigie schema``). Add fields only
with defaults; a breaking change is a new ``schema_version``.

Offsets (``start``/``end``) are Python ``str`` indices into the article ``text`` (Unicode code
points, end exclusive), so ``text[start:end]`` is always the mention's text.
"""

from __future__ import annotations

import base64
from typing import Literal

import msgspec

from .errors import VigieError
from .timestamps import utc_now

SCHEMA_VERSION = 1

Severity = Literal["info", "warning", "critical"]
EntityLabel = Literal["PER", "LOC", "ORG", "MISC"]


class Message(msgspec.Struct, kw_only=True, omit_defaults=False):
    """Base of every message: JSON object with a ``schema_version``."""

    schema_version: int = SCHEMA_VERSION


class Source(msgspec.Struct, kw_only=True):
    """Where an article comes from: a file, a feed, or a channel (a Telegram public channel:
    ``name`` the channel, ``url`` the post's link)."""

    kind: Literal["file", "feed", "channel"]
    name: str | None = None
    url: str | None = None
    path: str | None = None
    # The IANA time zone of the times of day the source writes ("Europe/Kyiv"), from the
    # feed list; None when the list names none.
    timezone: str | None = None


TextSource = Literal["feed", "page", "file"]


class RawArticle(Message, kw_only=True):
    id: str
    revision: str
    source: Source
    url: str | None = None
    title: str | None = None
    summary: str | None = None
    text: str
    published: str | None = None
    language: str | None = None
    fetched_at: str
    ingested_at: str
    # Where ``text`` comes from: the feed's own content or summary, the page behind the
    # entry's link (``summary`` then keeps the feed's), or a file.
    text_source: TextSource | None = None


class Mention(msgspec.Struct, kw_only=True):
    text: str
    start: int
    end: int


PlaceKind = Literal["country", "region", "city", "area", "district", "community"]


class Place(msgspec.Struct, kw_only=True):
    """Where a LOC entity is on the map. ``region`` is ISO 3166-2: the region itself, or the
    one a town, a ``district`` (Ukraine's raion) or a ``community`` (hromada) lies in; an
    ``area`` (a sea, a river, "Middle East") has a country only where it lies in one.
    ``local_name`` is the name as the source wrote it, where a source names the place in its
    own language."""

    name: str
    kind: PlaceKind
    country: str | None = None
    region: str | None = None
    lat: float | None = None
    lon: float | None = None
    geonames_id: int | None = None
    local_name: str | None = None


class Entity(msgspec.Struct, kw_only=True):
    name: str
    label: EntityLabel
    count: int
    mentions: list[Mention]
    place: Place | None = None


class DateMention(msgspec.Struct, kw_only=True):
    text: str
    start: int
    end: int
    value: str
    relative: bool = False
    anchor: str | None = None


class Hashes(msgspec.Struct, kw_only=True):
    exact: str
    near: str


class EnrichedArticle(RawArticle, kw_only=True):
    language: str = "und"
    entities: list[Entity] = []
    dates: list[DateMention] = []
    hashes: Hashes
    duplicate_of: str | None = None
    near_duplicate_of: str | None = None
    enriched_at: str


class RuleRef(msgspec.Struct, kw_only=True):
    id: str
    severity: Severity
    description: str = ""


class ArticleRef(msgspec.Struct, kw_only=True):
    id: str
    title: str | None = None
    url: str | None = None
    published: str | None = None
    source: Source
    # When ingest first saw the article (its RawArticle ``fetched_at``): the delay from the
    # source counts from here where ``published`` gives no time of day.
    fetched_at: str | None = None


class Match(msgspec.Struct, kw_only=True):
    phrase: str
    text: str
    start: int
    end: int


class Alert(Message, kw_only=True):
    id: str
    rule: RuleRef
    article: ArticleRef
    story_id: str
    matches: list[Match]
    snippet: str
    entities: list[Entity] = []
    dates: list[DateMention] = []
    detected_at: str
    latency_ms: float
    incident_id: str | None = None


IncidentStatus = Literal["open", "update", "closed"]


class Incident(Message, kw_only=True):
    """One event, from the alerts that report it: the latest record per ``id`` (a compacted
    topic) is its state."""

    id: str
    rule: RuleRef
    status: IncidentStatus
    place: Place | None = None
    started_at: str
    updated_at: str
    ended_at: str | None = None
    closed_by: Literal["report", "quiet"] | None = None
    reports: int
    sources: list[str]
    alert_ids: list[str]
    headline: str
    revision: int


class DeadLetter(Message, kw_only=True):
    service: str
    topic: str
    partition: int | None = None
    offset: int | None = None
    key: str | None = None
    value_b64: str
    error: str
    failed_at: str
    # False: the value was too large to carry in a letter (``value_b64`` is empty); it stays
    # in its topic, at ``partition`` and ``offset``, until the topic's retention
    value_kept: bool = True

    @property
    def value(self) -> bytes:
        return base64.b64decode(self.value_b64)


CONTRACTS: tuple[type[Message], ...] = (RawArticle, EnrichedArticle, Alert, Incident,
                                        DeadLetter)

_encoder = msgspec.json.Encoder()
_decoders = {cls: msgspec.json.Decoder(cls) for cls in CONTRACTS}


class InvalidMessage(VigieError, ValueError):
    """Bytes that are not a valid message of the expected type."""


class TextTooLarge(InvalidMessage):
    """An article whose text is longer than a service accepts (it would stall the worker)."""


def decode_article(data: bytes, cls: type[RawArticle], max_chars: int) -> RawArticle:
    """Decode an article, refusing one whose text is longer than ``max_chars``."""
    article = decode(data, cls)
    refuse_long(article.text, "text", max_chars)
    return article


def refuse_long(text: str, what: str, max_chars: int) -> None:
    """``TextTooLarge`` if ``text`` is longer than ``max_chars``."""
    if len(text) > max_chars:
        raise TextTooLarge(f"{what} of {len(text)} characters, over {max_chars}")


FAILURE_REASONS = ("invalid", "too_large", "error")


def failure_reason(error: BaseException) -> str:
    """The bounded ``reason`` label of a dead letter."""
    if isinstance(error, TextTooLarge):
        return "too_large"
    return "invalid" if isinstance(error, InvalidMessage) else "error"


def encode(message: msgspec.Struct) -> bytes:
    return _encoder.encode(message)


def decode(data: bytes, cls: type[msgspec.Struct]) -> msgspec.Struct:
    """A message of ``cls`` (a contract, or a service's own record), or ``InvalidMessage``."""
    decoder = _decoders.get(cls) or _decoders.setdefault(cls, msgspec.json.Decoder(cls))
    try:
        return decoder.decode(data)
    except (msgspec.DecodeError, msgspec.ValidationError) as exc:
        raise InvalidMessage(f"not a {cls.__name__}: {exc}") from None


def to_dict(message: msgspec.Struct) -> dict:
    return msgspec.to_builtins(message)


def dead_letter(
    *, service: str, topic: str, value: bytes, error: BaseException | str,
    partition: int | None = None, offset: int | None = None, key: bytes | str | None = None,
    max_value_bytes: int | None = None,
) -> DeadLetter:
    """A dead letter that keeps the original bytes, so nothing is lost and it can be replayed;
    a value over ``max_value_bytes`` is left where it is, and the letter says so."""
    if isinstance(key, bytes):
        key = key.decode("utf-8", "replace")
    if isinstance(error, BaseException):
        error = f"{type(error).__name__}: {error}"
    value = value or b""
    kept = max_value_bytes is None or len(value) <= max_value_bytes
    if not kept:
        error = (f"{error[:1800]} (value of {len(value)} bytes not kept: over"
                 f" {max_value_bytes}; read it at {topic}[{partition}]@{offset})")
    return DeadLetter(
        service=service, topic=topic, partition=partition, offset=offset, key=key,
        value_b64=base64.b64encode(value).decode("ascii") if kept else "", error=error[:2000],
        failed_at=utc_now(), value_kept=kept,
    )
