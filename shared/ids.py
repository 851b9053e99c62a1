"""Deterministic identifiers: the same input gives the same id on every run and machine."""

from __future__ import annotations

from .text import digest


def article_id(source_kind: str, *parts: str) -> str:
    """Stable article id: re-ingesting the same item gives the same id.

    Files: ``article_id("file", root-relative path)``; feed entries:
    ``article_id("feed", feed_url, guid or link)``.
    """
    return digest(source_kind, *parts)


def revision(title: str | None, text: str) -> str:
    """Changes when the title or the text changes, so an edited item is published again."""
    return digest(title or "", text, length=16)


def alert_id(rule_id: str, story_id: str) -> str:
    """One alert per rule and story: redelivery and duplicates give the same id."""
    return digest("alert", rule_id, story_id)
