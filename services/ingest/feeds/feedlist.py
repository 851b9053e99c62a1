"""The feed list: a YAML file of feeds, validated as a whole at start.

```yaml
feeds:
  - url: https://www.example-outlet.fr/rss/une.xml
    name: Example — À la une      # the metric label: short, unique
    interval: 10m                 # seconds (300) or 90s / 15m / 2h; none: adaptive
    language: fr                  # optional, ISO 639-1: used where the feed declares none
    tags: [france, une]           # optional
    full_text: auto               # the page behind each link: auto (a teaser under
                                  # VIGIE_PAGES_MIN_CHARS), always or never
    timezone: Europe/Paris        # optional, IANA: the zone of the times of day it writes
  - telegram: air_alert_ua        # a Telegram public channel (t.me/air_alert_ua), instead
    name: Air alerts UA           # of a url: polled every VIGIE_TELEGRAM_POLL_S
    timezone: Europe/Kyiv
```

Every problem is collected and reported together, each naming the line, the entry and the
field, so an operator fixes the file in one pass. ``FeedEntry`` is the shape of an entry,
decoded by msgspec; what a type cannot say (a safe URL, a duration, a language, unique names
and URLs) is checked here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import msgspec
import yaml
from msgspec import Meta

from vigie.shared.config import ConfigError
from vigie.shared.durations import parse_duration
from vigie.shared.languages import language_code
from vigie.shared.typed_yaml import Problem, YamlDocument

from .errors import FeedListError, UnsafeURLError
from .urls import check_url

MAX_NAME = 80
DURATION = "a positive duration (300, 90s, 15m, 2h)"
LANGUAGE = "an ISO 639-1 code such as 'fr' or 'fr-BE'"
TIMEZONE = "an IANA time zone such as 'Europe/Kyiv'"
CHANNEL = "a public Telegram channel's username (t.me/<username>: 4 to 32 letters, digits, _)"


class FeedEntry(msgspec.Struct, forbid_unknown_fields=True, kw_only=True, omit_defaults=True):
    """One feed as written in the file (and as ``opml`` writes it)."""

    url: Annotated[str, Meta(description="an http or https URL")] | None = None
    telegram: Annotated[str, Meta(pattern=r"^[A-Za-z][A-Za-z0-9_]{3,31}$",
                                  description=CHANNEL)] | None = None
    name: Annotated[str, Meta(pattern=r"\S", description=(
        "a short, unique name (it labels the feed's metrics and logs)"))]
    interval: Annotated[int | float | str, Meta(description=DURATION)] | None = None
    language: Annotated[str, Meta(description=LANGUAGE)] | None = None
    tags: Annotated[list[Annotated[str, Meta(min_length=1)]], Meta(
        description="a list of non-empty strings")] | None = None
    full_text: Annotated[Literal["auto", "always", "never"], Meta(
        description="one of auto, always, never")] | None = None
    timezone: Annotated[str, Meta(description=TIMEZONE)] | None = None


FEED_ENTRY = Annotated[FeedEntry, Meta(
    description="a mapping with 'name' and 'url' (a feed) or 'telegram' (a channel)")]


@dataclass(frozen=True)
class FeedConfig:
    url: str  # a channel's: its preview page, {VIGIE_TELEGRAM_BASE_URL}/s/<channel>
    name: str
    interval_s: float
    language: str | None = None
    tags: tuple[str, ...] = field(default_factory=tuple)
    full_text: str = "auto"  # fetch the page behind each entry's link: auto, always, never
    timezone: str | None = None  # IANA
    telegram: str | None = None  # the channel, for a Telegram channel
    adaptive: bool = False  # no interval in the list: the interval follows the feed (adaptive)


@dataclass(frozen=True)
class ChannelDefaults:
    """Where channels are read and how often (VIGIE_TELEGRAM_BASE_URL, VIGIE_TELEGRAM_POLL_S)."""

    base_url: str = "https://t.me"
    interval_s: float = 10.0

    @classmethod
    def from_settings(cls, settings) -> ChannelDefaults:
        """Raises ConfigError for a base URL that is not http(s), a poll interval that is not
        positive or a negative backfill."""
        try:
            base_url = check_url(settings.telegram_base_url)
        except UnsafeURLError as exc:
            raise ConfigError(f"VIGIE_TELEGRAM_BASE_URL: {exc}") from None
        if settings.telegram_poll_s <= 0:
            raise ConfigError("VIGIE_TELEGRAM_POLL_S: expected a positive number of seconds, "
                              f"got {settings.telegram_poll_s:g}")
        if settings.telegram_backfill < 0:
            raise ConfigError("VIGIE_TELEGRAM_BACKFILL: expected 0 or more posts, "
                              f"got {settings.telegram_backfill}")
        return cls(base_url, settings.telegram_poll_s)

    def preview_url(self, channel: str) -> str:
        return f"{self.base_url.rstrip('/')}/s/{channel}"


def load_feed_list(path: str | Path, *, default_interval_s: float, min_interval_s: float = 0.0,
                   channels: ChannelDefaults = ChannelDefaults()) -> list[FeedConfig]:
    """Read and validate the feed list; raise FeedListError naming every bad entry and field."""
    path = str(path)
    try:
        document = YamlDocument(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise FeedListError(path, [f"cannot read: {exc}"]) from None
    entries = document.data.get("feeds") if isinstance(document.data, dict) else None
    if not isinstance(entries, list):
        raise FeedListError(path, ["top level: expected a mapping with a 'feeds' list"])
    reader = _FeedReader(document, default_interval_s, min_interval_s, channels)
    feeds = {index: feed for index in range(len(entries)) if (feed := reader.feed(index))}
    reader.check_unique(feeds)
    if reader.problems:
        raise FeedListError(path, reader.problems)
    return list(feeds.values())


class _FeedReader:
    """Reads the entries of a feed list, collecting a line for each problem."""

    def __init__(self, document: YamlDocument, default_interval_s: float, min_interval_s: float,
                 channels: ChannelDefaults):
        self.document = document
        self.default_s, self.min_s = default_interval_s, min_interval_s
        self.channels = channels
        self.problems: list[str] = []

    def feed(self, index: int) -> FeedConfig | None:
        path = ("feeds", index)
        label = _label(index, self.document.data["feeds"][index])
        entry, problems = self.document.decode(FEED_ENTRY, path)
        before = len(self.problems)

        def refuse(field_name: str, why: str) -> None:
            self.report(Problem(field_name, self.document.line((*path, field_name)), why), label)

        for problem in problems:
            self.report(problem, label)
        if entry is None:
            return None
        name = _valid_name(entry.name, refuse)
        if entry.language is not None and language_code(entry.language) is None:
            refuse("language", f"expected {LANGUAGE}, got {entry.language!r}")
        if entry.timezone is not None and not _known_timezone(entry.timezone):
            refuse("timezone", f"expected {TIMEZONE}, got {entry.timezone!r}")
        if entry.telegram is not None:
            return self.channel(entry, name, refuse, before)
        url = _valid_url(entry.url, refuse)
        interval = self.interval(entry.interval, refuse)
        if len(self.problems) > before:
            return None
        return FeedConfig(url=url, name=name, interval_s=interval, language=entry.language,
                          tags=tuple(entry.tags or ()), full_text=entry.full_text or "auto",
                          timezone=entry.timezone, adaptive=entry.interval is None)

    def channel(self, entry: FeedEntry, name: str | None, refuse, before: int) -> FeedConfig | None:
        """A Telegram channel: polled every VIGIE_TELEGRAM_POLL_S, its posts read whole from
        its preview, so no url, interval or full_text of its own."""
        if entry.url is not None:
            refuse("url", "a channel ('telegram') has no url: give one or the other")
        if entry.interval is not None:
            refuse("interval", "a channel is polled every VIGIE_TELEGRAM_POLL_S")
        if entry.full_text is not None:
            refuse("full_text", "a channel's posts are read whole from its page")
        if len(self.problems) > before:
            return None
        return FeedConfig(url=self.channels.preview_url(entry.telegram), name=name,
                          interval_s=self.channels.interval_s, language=entry.language,
                          tags=tuple(entry.tags or ()), full_text="never",
                          timezone=entry.timezone, telegram=entry.telegram)

    def report(self, problem: Problem, label: str) -> None:
        field_part = f"field '{problem.field}': " if problem.field else ""
        self.problems.append(f"line {problem.line}: {label}: {field_part}{problem.message}")

    def interval(self, value: float | str | None, refuse) -> float | None:
        if value is None:
            return max(self.default_s, self.min_s)
        seconds = parse_duration(value)
        if seconds is None or seconds <= 0:
            refuse("interval", f"expected {DURATION}, got {value!r}")
            return None
        if seconds < self.min_s:
            refuse("interval", f"{value!r} is shorter than the minimum of {self.min_s:g} s")
            return None
        return seconds

    def check_unique(self, feeds: dict[int, FeedConfig]) -> None:
        """Names label metrics and URLs key the stored state: both must be unique (and a
        channel's URL is its preview's, so a channel listed twice is refused too)."""
        for attribute in ("url", "name"):
            seen: set[str] = set()
            for index, feed in feeds.items():
                value = getattr(feed, attribute)
                if value in seen:
                    field_name, shown = attribute, value
                    if attribute == "url" and feed.telegram:
                        field_name, shown = "telegram", feed.telegram
                    line = self.document.line(("feeds", index, field_name))
                    self.problems.append(f"line {line}: feed '{feed.name}': field '{field_name}': "
                                         f"{shown!r} already used by another feed")
                seen.add(value)


def _label(index: int, entry: object) -> str:
    name = entry.get("name") or entry.get("url") if isinstance(entry, dict) else None
    return f"feeds[{index}]" + (f" ({name})" if name else "")


def _valid_url(value: str | None, refuse) -> str | None:
    if value is None:
        refuse("url", "missing, expected an http or https URL (or 'telegram': a channel)")
        return None
    try:
        return check_url(value)
    except UnsafeURLError as exc:
        refuse("url", str(exc))
        return None


def _known_timezone(value: str) -> bool:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError, OSError):  # OSError: a folder such as "Europe"
        return False
    return True


def _valid_name(value: str, refuse) -> str | None:
    if len(value.strip()) > MAX_NAME:
        refuse("name", f"longer than {MAX_NAME} characters")
        return None
    return value.strip()
