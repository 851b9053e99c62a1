"""OPML import: the subscription list every feed reader exports, turned into a feed list.

Outlines with an ``xmlUrl`` become feeds; the titles of the folders they sit in become tags.
The OPML is parsed with defusedxml, so an export cannot expand entities or reach local files.
"""

from __future__ import annotations

import logging
from pathlib import Path
from urllib.parse import urlsplit

import msgspec
import yaml
from defusedxml import ElementTree

from .errors import FeedListError, UnsafeURLError
from .feedlist import MAX_NAME, FeedEntry
from .urls import check_url

log = logging.getLogger(__name__)

HEADER = "# Feed list imported from {source}. Check names (metric labels) and intervals.\n"


def opml_to_yaml(opml_path: str | Path) -> str:
    """The feed list YAML for an OPML file (``vigie feeds import FILE.opml``)."""
    try:
        root = ElementTree.parse(str(opml_path)).getroot()
    except Exception as exc:  # noqa: BLE001 - defusedxml and expat raise several types
        raise FeedListError(str(opml_path), [f"not a readable OPML file: {exc}"]) from None
    body = root.find("body")
    if body is None:
        raise FeedListError(str(opml_path), ["no <body> element: not an OPML file"])
    feeds = _unique_names(_deduplicated(list(_outlines(body, ()))))
    document = yaml.safe_dump({"feeds": msgspec.to_builtins(feeds)}, allow_unicode=True,
                              sort_keys=False, width=100)
    return HEADER.format(source=Path(opml_path).name) + document


def _outlines(element, folders: tuple[str, ...]):
    for outline in element.findall("outline"):
        url = outline.get("xmlUrl")
        title = (outline.get("title") or outline.get("text") or "").strip()
        if url:
            entry = _feed_entry(url.strip(), title, outline, folders)
            if entry:
                yield entry
        else:
            yield from _outlines(outline, folders + ((title,) if title else ()))


def _feed_entry(url: str, title: str, outline, folders: tuple[str, ...]) -> FeedEntry | None:
    try:
        check_url(url)
    except UnsafeURLError as exc:
        log.warning("OPML outline skipped: %s", exc, extra={"feed": title or url})
        return None
    language = (outline.get("language") or "").strip()
    tags = list(dict.fromkeys(list(folders) + _categories(outline.get("category"))))
    return FeedEntry(url=url, name=(title or urlsplit(url).hostname or url)[:MAX_NAME],
                     language=language if language and language.lower() != "unknown" else None,
                     tags=tags or None)


def _categories(value: str | None) -> list[str]:
    """OPML 2.0 ``category="/News/World,Europe"``: each path segment becomes a tag."""
    if not value:
        return []
    return [seg for part in value.split(",") for seg in part.strip("/").split("/") if seg.strip()]


def _deduplicated(feeds: list[FeedEntry]) -> list[FeedEntry]:
    by_url: dict[str, FeedEntry] = {}
    for feed in feeds:
        by_url.setdefault(feed.url, feed)
    return list(by_url.values())


def _unique_names(feeds: list[FeedEntry]) -> list[FeedEntry]:
    """Names label metrics, so two feeds called "Actualités" become "Actualités (2)"."""
    counts: dict[str, int] = {}
    for feed in feeds:
        name = feed.name
        counts[name] = counts.get(name, 0) + 1
        if counts[name] > 1:
            feed.name = f"{name} ({counts[name]})"
    return feeds
