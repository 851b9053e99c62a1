"""The feed list: a YAML file of feeds, validated as a whole at start.

```yaml
feeds:
  - url: https://www.example-outlet.fr/rss/une.xml
    name: Example — À la une      # the metric label: short, unique
    interval: 10m                 # seconds (300) or 90s / 15m / 2h; default from settings
    language: fr                  # optional, ISO 639-1: used where the feed declares none
    tags: [france, une]           # optional
    full_text: auto               # the page behind each link: auto (a teaser under
                                  # VIGIE_PAGES_MIN_CHARS), always or never
```

Every problem is collected and reported together, each naming the entry and the field, so an
operator fixes the file in one pass.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import yaml

from vigie.shared.durations import parse_duration
from vigie.shared.languages import language_code

from .errors import FeedListError, UnsafeURLError
from .urls import check_url

FIELDS = {"url", "name", "interval", "language", "tags", "full_text"}
FULL_TEXT = ("auto", "always", "never")
MAX_NAME = 80


@dataclass(frozen=True)
class FeedConfig:
    url: str
    name: str
    interval_s: float
    language: str | None = None
    tags: tuple[str, ...] = field(default_factory=tuple)
    full_text: str = "auto"  # fetch the page behind each entry's link: auto, always, never


def load_feed_list(path: str | Path, *, default_interval_s: float,
                   min_interval_s: float = 0.0) -> list[FeedConfig]:
    """Read and validate the feed list; raise FeedListError naming every bad entry and field."""
    path = str(path)
    try:
        document = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise FeedListError(path, [f"cannot read: {exc}"]) from None
    entries = document.get("feeds") if isinstance(document, dict) else None
    if not isinstance(entries, list):
        raise FeedListError(path, ["top level: expected a mapping with a 'feeds' list"])
    problems: list[str] = []
    feeds = []
    for index, entry in enumerate(entries):
        feed = _validate_entry(index, entry, default_interval_s, min_interval_s, problems)
        if feed is not None:
            feeds.append(feed)
    _check_unique(feeds, problems)
    if problems:
        raise FeedListError(path, problems)
    return feeds


def _label(index: int, entry: object) -> str:
    name = entry.get("name") or entry.get("url") if isinstance(entry, dict) else None
    return f"feeds[{index}]" + (f" ({name})" if name else "")


def _validate_entry(index: int, entry: object, default_interval_s: float,
                    min_interval_s: float, problems: list[str]) -> FeedConfig | None:
    label = _label(index, entry)
    if not isinstance(entry, dict):
        problems.append(f"{label}: expected a mapping with at least 'url' and 'name'")
        return None
    before = len(problems)

    def refuse(field_name: str, why: str) -> None:
        problems.append(f"{label}: field '{field_name}': {why}")

    for unknown in sorted(set(map(str, entry)) - FIELDS):
        refuse(unknown, f"unknown field (expected one of {', '.join(sorted(FIELDS))})")
    url = _valid_url(entry.get("url"), refuse)
    name = _valid_name(entry.get("name"), refuse)
    interval = _valid_interval(entry.get("interval"), default_interval_s, min_interval_s, refuse)
    language = _valid_language(entry.get("language"), refuse)
    tags = _valid_tags(entry.get("tags"), refuse)
    full_text = entry.get("full_text", "auto")
    if full_text not in FULL_TEXT:
        refuse("full_text", f"expected one of {', '.join(FULL_TEXT)}, got {full_text!r}")
    if len(problems) > before:
        return None
    return FeedConfig(url=url, name=name, interval_s=interval, language=language, tags=tags,
                      full_text=full_text)


def _valid_url(value, refuse) -> str | None:
    if value is None:
        refuse("url", "missing")
        return None
    try:
        return check_url(value)
    except UnsafeURLError as exc:
        refuse("url", str(exc))
        return None


def _valid_name(value, refuse) -> str | None:
    if not isinstance(value, str) or not value.strip():
        refuse("name", "missing or empty (it labels the feed's metrics and logs)")
        return None
    if len(value.strip()) > MAX_NAME:
        refuse("name", f"longer than {MAX_NAME} characters")
        return None
    return value.strip()


def _valid_interval(value, default_s: float, min_s: float, refuse) -> float | None:
    if value is None:
        return max(default_s, min_s)
    seconds = parse_duration(value)
    if seconds is None or seconds <= 0:
        refuse("interval", f"expected a positive duration (300, 90s, 15m, 2h), got {value!r}")
        return None
    if seconds < min_s:
        refuse("interval", f"{value!r} is shorter than the minimum of {min_s:g} s")
        return None
    return seconds


def _valid_language(value, refuse) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or language_code(value) is None:
        refuse("language", f"expected an ISO 639-1 code such as 'fr' or 'fr-BE', got {value!r}")
        return None
    return value


def _valid_tags(value, refuse) -> tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(t, str) and t for t in value):
        refuse("tags", f"expected a list of non-empty strings, got {value!r}")
        return ()
    return tuple(value)


def _check_unique(feeds: list[FeedConfig], problems: list[str]) -> None:
    """Names label metrics and URLs key the stored state: both must be unique."""
    for attribute in ("url", "name"):
        seen: dict[str, int] = {}
        for index, feed in enumerate(feeds):
            value = getattr(feed, attribute)
            if value in seen:
                problems.append(f"feed '{feed.name}': field '{attribute}': {value!r} "
                                f"already used by another feed")
            seen.setdefault(value, index)
