"""HTTP connections for everything Vigie sends out: feed and page fetches, the alert webhook.

Built on the standard library's ``http.client``: every caller follows redirects itself (a feed
checks each hop, the webhook never turns a POST into a GET), and the connection's socket is at
hand, which is what the address guard and the fetch deadline need. ``open_route`` gives the
connection for a URL and the request target to send on it:

- proxies come from ``HTTP_PROXY``, ``HTTPS_PROXY`` and ``NO_PROXY`` (read by the standard
  library's ``urllib.request``); https goes through the proxy in a CONNECT tunnel, http as an
  absolute URL. The proxy is the operator's own and is not checked;
- with a ``NetworkPolicy`` the connection goes only to an address the policy permits, among
  those the host resolves to; behind a proxy, the target's resolved addresses are checked
  before connecting to the proxy (which resolves again, out of Vigie's sight).

Both checks run when the connection opens (``connect``), through ``http.client``'s hook for
opening its socket, so a refused address raises ``RefusedAddress`` there.
"""

from __future__ import annotations

import base64
import email.utils
import http.client
import socket
import ssl
import time
import urllib.request
from dataclasses import dataclass
from functools import partial
from urllib.parse import unquote, urlsplit

from .addresses import NetworkPolicy

REDIRECTS = {301, 302, 303, 307, 308}


@dataclass
class Route:
    """An unopened connection for a URL, and the request target to send on it."""

    connection: http.client.HTTPConnection
    target: str
    headers: dict[str, str]
    proxy: str | None = None


def proxy_for(url: str) -> str | None:
    """The proxy URL for ``url`` from the environment, or None for a direct connection."""
    parts = urlsplit(url)
    if urllib.request.proxy_bypass_environment(parts.hostname or ""):
        return None
    proxy = urllib.request.getproxies_environment().get(parts.scheme.lower())
    if proxy and "://" not in proxy:
        proxy = "http://" + proxy
    return proxy or None


def open_route(url: str, timeout: float, policy: NetworkPolicy | None = None) -> Route:
    """The connection (not yet connected) for ``url``, direct or through its proxy."""
    parts = urlsplit(url)
    https = parts.scheme.lower() == "https"
    port = parts.port or (443 if https else 80)
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    guarded = policy is not None and not policy.allow_all
    proxy = proxy_for(url)
    if proxy is None:
        connection = _connection(https, parts.hostname, port, timeout)
        if guarded:  # http.client's hook for opening the socket; TLS then wraps that socket
            connection._create_connection = partial(connect_permitted, policy)
        return Route(connection, path, {})
    proxy_parts = urlsplit(proxy)
    if proxy_parts.scheme.lower() != "http":
        raise ValueError(f"proxy {proxy_parts.scheme}:// is not supported, only http://")
    auth = _proxy_authorization(proxy_parts)
    connection = _connection(https, proxy_parts.hostname, proxy_parts.port or 80, timeout)
    if guarded:
        connection._create_connection = partial(connect_checking_target, policy,
                                                 parts.hostname, port)
    if https:  # a CONNECT tunnel: the proxy sees the host name only, TLS is end to end
        connection.set_tunnel(parts.hostname, port, headers=auth)
        return Route(connection, path, {}, proxy)
    return Route(connection, url, auth, proxy)  # plain http: the absolute URL to the proxy


def _connection(https: bool, host: str, port: int, timeout: float):
    if https:
        return http.client.HTTPSConnection(host, port, timeout=timeout,
                                           context=ssl.create_default_context())
    return http.client.HTTPConnection(host, port, timeout=timeout)


def _proxy_authorization(proxy) -> dict[str, str]:
    if proxy.username is None:
        return {}
    credentials = f"{unquote(proxy.username)}:{unquote(proxy.password or '')}"
    return {"Proxy-Authorization": "Basic " + base64.b64encode(credentials.encode()).decode()}


def resolve(host: str, port: int) -> list[str]:
    """The addresses ``host`` resolves to, as ``getaddrinfo`` orders them."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        raise OSError(f"cannot resolve {host}: {exc.strerror}") from None
    return [info[4][0] for info in infos]


def connect_permitted(policy: NetworkPolicy, address: tuple[str, int], timeout=None,
                      source_address=None) -> socket.socket:
    """``socket.create_connection`` restricted to the addresses ``policy`` permits: the
    host is resolved once and the socket connects to a checked address, so a DNS answer
    that changes between the check and the connection cannot slip through."""
    host, port = address
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    permitted = set(policy.check(host, [info[4][0] for info in infos]))
    error: OSError | None = None
    for family, kind, proto, _, sockaddr in infos:
        if sockaddr[0] not in permitted:
            continue
        sock = socket.socket(family, kind, proto)
        try:
            if timeout is not None:
                sock.settimeout(timeout)
            if source_address:
                sock.bind(source_address)
            sock.connect(sockaddr)
            return sock
        except OSError as exc:
            sock.close()
            error = exc
    raise error


def connect_checking_target(policy: NetworkPolicy, host: str, port: int,
                            proxy: tuple[str, int], timeout=None, source_address=None):
    """Connect to the proxy once the target's own addresses passed ``policy``."""
    policy.check(host, resolve(host, port))
    return socket.create_connection(proxy, timeout, source_address)


def retry_after(value: str | None, now: float | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (delay in seconds or an HTTP date)."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        moment = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if moment is None or moment.tzinfo is None:
        return None
    return max(0.0, moment.timestamp() - (time.time() if now is None else now))
