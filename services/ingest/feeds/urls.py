"""URL checks: Vigie fetches http and https only, so a feed list or a redirect cannot make it
read local files (file://) or speak other protocols (ftp://, gopher://...)."""

from __future__ import annotations

from urllib.parse import urlsplit

from .errors import UnsafeURLError

ALLOWED_SCHEMES = ("http", "https")


def check_url(url: str) -> str:
    """Return ``url`` if it is an absolute http(s) URL with a host, else raise UnsafeURLError."""
    if not isinstance(url, str) or not url.strip():
        raise UnsafeURLError("URL is empty")
    parts = urlsplit(url.strip())
    if parts.scheme.lower() not in ALLOWED_SCHEMES:
        shown = parts.scheme or "none"
        raise UnsafeURLError(f"scheme {shown!r} refused, only http and https are fetched: {url}")
    if not parts.hostname:
        raise UnsafeURLError(f"URL has no host: {url}")
    return url.strip()


def host_of(url: str) -> str:
    """The host and port a URL points to, the unit of per-host politeness."""
    parts = urlsplit(url)
    return parts.netloc.lower()
