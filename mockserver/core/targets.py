"""Where webhooks may go: not into the mock itself, and only to hosts `--webhook-allow` names.

A job's `webhookUrl` is checked when the job is submitted. The mock never POSTs to its own
listening address (in any spelling of a local host: `localhost`, `127.0.0.1`, `127.1`, `0`,
`[::1]`, the machine's name, ...) nor to any path under `/_mock`, where a delivery could reset
every tenant's state. Other ports of the same machine stay allowed: a test's receiver lives there.
"""

from __future__ import annotations

import ipaddress
import posixpath
import re
import socket
from dataclasses import dataclass
from fnmatch import fnmatch
from urllib.parse import unquote, urlsplit

from .errors import BadUserInput

CONTROL_PREFIX = "/_mock"
DEFAULT_PORTS = {"http": 80, "https": 443}


@dataclass(frozen=True, slots=True)
class ServerAddress:
    """How a URL could name this server: host names and addresses beyond the loopback and
    unspecified ones (which always count), and the ports it listens on."""

    hosts: frozenset[str]
    ports: frozenset[int]


def _normal_host(host: str) -> str:
    return host.lower().rstrip(".").strip("[]")


def is_local_host(host: str, own: frozenset[str] = frozenset()) -> bool:
    host = _normal_host(host)
    if host == "localhost" or host.endswith(".localhost") or host in own:
        return True
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        try:  # the spellings the C library accepts too: 127.1, 2130706433, 0x7f.1, 0
            address = ipaddress.IPv4Address(socket.inet_aton(host))
        except OSError:
            return False
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return address.is_loopback or address.is_unspecified or str(address) in own


def _is_link_local(host: str) -> bool:
    try:
        return ipaddress.ip_address(_normal_host(host)).is_link_local
    except ValueError:
        return False


def is_loopback_ip(text: str) -> bool:
    try:
        return ipaddress.ip_address(_normal_host(text)).is_loopback
    except ValueError:
        return False


def _path(raw: str) -> str:
    """The path a server would route, after decoding and collapsing `//` and dot segments."""
    path = re.sub("/{2,}", "/", "/" + unquote(raw))
    return posixpath.normpath(path)


def host_allowed(host: str, patterns: tuple[str, ...]) -> bool:
    if not patterns:
        return True
    host = _normal_host(host)
    return any(fnmatch(host, p.lower()) for p in patterns)


def check_webhook_url(url: str, patterns: tuple[str, ...], server: ServerAddress) -> None:
    parts = urlsplit(url)
    host = parts.hostname or ""
    port = parts.port or DEFAULT_PORTS.get(parts.scheme, 80)
    if port in server.ports and is_local_host(host, server.hosts):
        raise BadUserInput(
            f"webhookUrl points at this mock server itself ({host}:{port}): give your receiver's address",
            field="webhookUrl",
        )
    path = _path(parts.path)
    if path == CONTROL_PREFIX or path.startswith(CONTROL_PREFIX + "/"):
        raise BadUserInput(
            f"webhookUrl must not point at a control API path ({CONTROL_PREFIX}): {parts.path!r}", field="webhookUrl"
        )
    if patterns == () and _is_link_local(host):
        raise BadUserInput(
            f"webhookUrl host {host!r} is link-local (cloud metadata lives there): name it in --webhook-allow "
            "to allow it",
            field="webhookUrl",
        )
    if not host_allowed(host, patterns):
        raise BadUserInput(
            f"webhookUrl host {host!r} is not allowed by this server's --webhook-allow ({', '.join(patterns)})",
            field="webhookUrl",
        )
