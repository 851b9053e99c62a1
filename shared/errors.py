"""The root of Vigie's own exceptions: an error that names what to fix (a setting, a rule, a
feed entry, a refused address), which the command line shows as one line instead of a
traceback. Anything else is a bug and keeps its traceback."""

from __future__ import annotations


class VigieError(Exception):
    """Base of every error Vigie raises on purpose."""
