"""The feed ingest's exceptions, rooted in one base so callers can catch them together."""

from __future__ import annotations

from vigie.shared.errors import VigieError


class FeedError(VigieError):
    """Base of every error raised by the feed ingest."""


class FeedListError(FeedError, ValueError):
    """The feed list cannot be used; ``problems`` names each entry and field at fault."""

    def __init__(self, path: str, problems: list[str]) -> None:
        self.path = path
        self.problems = problems
        listed = "\n".join(f"  - {problem}" for problem in problems)
        super().__init__(f"invalid feed list {path}:\n{listed}")


class UnsafeURLError(FeedError, ValueError):
    """A URL whose scheme Vigie refuses to fetch (anything but http and https)."""


class FetchError(FeedError):
    """A fetch that failed; ``result`` is its label in the fetch metric."""

    def __init__(self, result: str, message: str, *, retry_after: float | None = None,
                 status: int | None = None) -> None:
        super().__init__(message)
        self.result = result
        self.retry_after = retry_after
        self.status = status  # the HTTP status of an http_error


class ParseError(FeedError):
    """A response that is not a feed, or one refused before parsing."""
