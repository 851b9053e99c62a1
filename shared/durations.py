"""Durations as people write them in settings files and on the command line: ``90s``, ``15m``,
``2h``, ``1d``, or a number of seconds (``300``)."""

from __future__ import annotations

import re

DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(s|m|h|d)?\s*$")
UNIT_SECONDS = {None: 1, "s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_duration(value: object, *, bare_seconds: bool = True) -> float | None:
    """Seconds from ``300``, ``"90s"``, ``"15m"``, ``"2h"`` or ``"1d"``; None if unreadable.

    ``bare_seconds=False`` reads a number without a unit as no duration, where it means
    something else (``--since 2025`` or ``--since 20250822`` is a date).
    """
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return float(value) if bare_seconds else None
    match = DURATION.match(value) if isinstance(value, str) else None
    if not match or (match.group(2) is None and not bare_seconds):
        return None
    return float(match.group(1)) * UNIT_SECONDS[match.group(2)]


def format_duration(seconds: float) -> str:
    """A duration as people read it: ``45s``, ``6m``, ``1.5h``, ``2d``."""
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size:
            return f"{seconds / size:.3g}{unit}"
    return f"{seconds:.3g}s"
