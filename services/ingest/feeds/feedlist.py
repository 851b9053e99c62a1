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

import msgspec
import yaml
from msgspec import Meta

from vigie.shared.durations import parse_duration
from vigie.shared.languages import language_code
from vigie.shared.typed_yaml import Problem, YamlDocument

from .errors import FeedListError, UnsafeURLError
from .urls import check_url

MAX_NAME = 80
DURATION = "a positive duration (300, 90s, 15m, 2h)"
LANGUAGE = "an ISO 639-1 code such as 'fr' or 'fr-BE'"


class FeedEntry(msgspec.Struct, forbid_unknown_fields=True, kw_only=True, omit_defaults=True):
    """One feed as written in the file (and as ``opml`` writes it)."""

    url: Annotated[str, Meta(description="an http or https URL")]
    name: Annotated[str, Meta(pattern=r"\S", description=(
        "a short, unique name (it labels the feed's metrics and logs)"))]
    interval: Annotated[int | float | str, Meta(description=DURATION)] | None = None
    language: Annotated[str, Meta(description=LANGUAGE)] | None = None
    tags: Annotated[list[Annotated[str, Meta(min_length=1)]], Meta(
        description="a list of non-empty strings")] | None = None
    full_text: Annotated[Literal["auto", "always", "never"], Meta(
        description="one of auto, always, never")] = "auto"


FEED_ENTRY = Annotated[FeedEntry, Meta(description="a mapping with at least 'url' and 'name'")]


@dataclass(frozen=True)
class FeedConfig:
    url: str
    name: str
    interval_s: float
    language: str | None = None
    tags: tuple[str, ...] = field(default_factory=tuple)
    full_text: str = "auto"  # fetch the page behind each entry's link: auto, always, never
    adaptive: bool = False  # no interval in the list: the interval follows the feed (adaptive)


def load_feed_list(path: str | Path, *, default_interval_s: float,
                   min_interval_s: float = 0.0) -> list[FeedConfig]:
    """Read and validate the feed list; raise FeedListError naming every bad entry and field."""
    path = str(path)
    try:
        document = YamlDocument(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise FeedListError(path, [f"cannot read: {exc}"]) from None
    entries = document.data.get("feeds") if isinstance(document.data, dict) else None
    if not isinstance(entries, list):
        raise FeedListError(path, ["top level: expected a mapping with a 'feeds' list"])
    reader = _FeedReader(document, default_interval_s, min_interval_s)
    feeds = {index: feed for index in range(len(entries)) if (feed := reader.feed(index))}
    reader.check_unique(feeds)
    if reader.problems:
        raise FeedListError(path, reader.problems)
    return list(feeds.values())


class _FeedReader:
    """Reads the entries of a feed list, collecting a line for each problem."""

    def __init__(self, document: YamlDocument, default_interval_s: float, min_interval_s: float):
        self.document = document
        self.default_s, self.min_s = default_interval_s, min_interval_s
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
        url = _valid_url(entry.url, refuse)
        name = _valid_name(entry.name, refuse)
        interval = self.interval(entry.interval, refuse)
        if entry.language is not None and language_code(entry.language) is None:
            refuse("language", f"expected {LANGUAGE}, got {entry.language!r}")
        if len(self.problems) > before:
            return None
        return FeedConfig(url=url, name=name, interval_s=interval, language=entry.language,
                          tags=tuple(entry.tags or ()), full_text=entry.full_text,
                          adaptive=entry.interval is None)

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
        """Names label metrics and URLs key the stored state: both must be unique."""
        for attribute in ("url", "name"):
            seen: set[str] = set()
            for index, feed in feeds.items():
                value = getattr(feed, attribute)
                if value in seen:
                    line = self.document.line(("feeds", index, attribute))
                    self.problems.append(f"line {line}: feed '{feed.name}': field '{attribute}': "
                                         f"{value!r} already used by another feed")
                seen.add(value)


def _label(index: int, entry: object) -> str:
    name = entry.get("name") or entry.get("url") if isinstance(entry, dict) else None
    return f"feeds[{index}]" + (f" ({name})" if name else "")


def _valid_url(value: str, refuse) -> str | None:
    try:
        return check_url(value)
    except UnsafeURLError as exc:
        refuse("url", str(exc))
        return None


def _valid_name(value: str, refuse) -> str | None:
    if len(value.strip()) > MAX_NAME:
        refuse("name", f"longer than {MAX_NAME} characters")
        return None
    return value.strip()
