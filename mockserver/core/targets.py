"""Where webhooks may go: not into the mock itself, not to cloud metadata services, and only to
hosts `--webhook-allow` names.

One parser decides, for the check at submission and for every attempt alike: a `webhookUrl` is
read as the delivery client reads it (httpx's URL rules: IDNA, full-width dots, ...), and its host
is turned into addresses as the C library does (`getaddrinfo`, which also reads `2852039166`,
`0xa9fea9fe`, `169.254.43518` and `127.1` as IPv4). At submission, hosts that are addresses are
checked there and then; names are checked by name (`localhost`, the machine's own names, the
metadata services' names), and each attempt resolves them once, checks every address they
resolve to and connects only to an address it checked (DNS may answer differently by then).

The mock never POSTs to its own listening address and port (in any spelling) nor to any path
under `/_mock`, where a delivery could reset every tenant's state. Other ports of the same
machine stay allowed: a test's receiver lives there.
"""

from __future__ import annotations

import ipaddress
import posixpath
import re
import socket
from collections.abc import Iterable
from dataclasses import dataclass
from fnmatch import fnmatch
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote, urlsplit

from . import grammar
from .errors import BadUserInput

if TYPE_CHECKING:
    from ..settings import Settings

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

CONTROL_PREFIX = "/_mock"
DEFAULT_PORTS = {"http": 80, "https": 443}
FIELD = "webhookUrl"
# Where cloud providers serve instance metadata and credentials besides link-local addresses
# (169.254.0.0/16 and fe80::/10, all refused); `grammar` states them for the OpenAPI document.
METADATA_ADDRESSES = frozenset(
    ipaddress.ip_address(a)
    for a in (
        "fd00:ec2::254",  # AWS IMDS over IPv6
        "fd00:ec2::23",  # AWS EKS pod identity over IPv6
        "100.100.100.200",  # Alibaba Cloud
        "192.0.0.192",  # Oracle Cloud (classic)
    )
)
_HOST_NAME = re.compile(r"(?!-)[a-z0-9_-]+(?<!-)(\.(?!-)[a-z0-9_-]+(?<!-))*\.?")


@dataclass(frozen=True, slots=True)
class ServerAddress:
    """How a URL could name this server: host names and addresses beyond the loopback and
    unspecified ones (which always count), and the ports it listens on."""

    hosts: frozenset[str]
    ports: frozenset[int]


def configured_address(settings: Settings) -> ServerAddress:
    """The names and ports the settings give this server (each request adds its own)."""
    hosts = {settings.host.lower(), socket.gethostname().lower()}
    ports = {settings.port}
    if settings.public_url is not None:
        public = urlsplit(settings.public_url)
        hosts.add((public.hostname or "").lower())
        ports.add(public.port or DEFAULT_PORTS.get(public.scheme, 80))
    return ServerAddress(frozenset(hosts - {""}), frozenset(ports))


@dataclass(frozen=True, slots=True)
class Target:
    """A webhook URL as the delivery client reads it."""

    url: str
    scheme: str
    host: str  # as sent: ASCII (IDNA), lowercase, no brackets: what DNS or the C library is asked
    name: str  # as written, for messages and --webhook-allow: lowercase, IDNA decoded
    port: int
    netloc: str  # the Host header the receiver gets
    path: str  # the path and query as sent
    addresses: tuple[IPAddress, ...] | None  # the host read as addresses; None for a name

    def with_address(self, address: IPAddress) -> str:
        """The URL with its host replaced by an address it resolved to (the Host header and the
        TLS server name keep the name)."""
        host = f"[{address}]" if address.version == 6 else str(address)
        return f"{self.scheme}://{host}:{self.port}{self.path}"


def parse_target(url: str) -> Target:
    """Read `url` as the delivery client will, or refuse it (400, field `webhookUrl`)."""
    import httpx  # loaded with the first webhook URL: it costs start-up time otherwise

    try:
        parsed = httpx.URL(url)
    except httpx.InvalidURL as exc:
        raise BadUserInput(f"{FIELD} cannot be parsed: {exc}", field=FIELD) from None
    except ValueError as exc:  # the idna package's own errors
        raise BadUserInput(f"{FIELD} host is not a valid internationalised host name: {exc}", field=FIELD) from None
    if parsed.scheme not in DEFAULT_PORTS:
        raise BadUserInput(f"{FIELD} must be an http or https URL, not {url!r}", field=FIELD)
    if parsed.userinfo:
        raise BadUserInput(f"{FIELD} must not contain credentials", field=FIELD)
    host = parsed.raw_host.decode("ascii").lower()
    try:
        name = parsed.host.lower().rstrip(".")  # decoded from IDNA, for messages and --webhook-allow
    except ValueError:  # an A-label that decodes to nothing valid: the client sends it as it is
        name = host.rstrip(".")
    if not host:
        raise BadUserInput(f"{FIELD} has no host: {url!r}", field=FIELD)
    port = parsed.port or DEFAULT_PORTS[parsed.scheme]
    if not 0 < port < 65536:
        raise BadUserInput(f"{FIELD} port must be between 1 and 65535, not {port}", field=FIELD)
    if ":" in host:
        addresses = literal_addresses(host) if "%" not in host else None
        if addresses is None:
            raise BadUserInput(f"{FIELD} host [{host}] is not an IPv6 address the mock can connect to", field=FIELD)
    else:
        if not _HOST_NAME.fullmatch(host):
            raise BadUserInput(f"{FIELD} host {name!r} is not a valid host name", field=FIELD)
        addresses = literal_addresses(host)
    return Target(
        url=url,
        scheme=parsed.scheme,
        host=host,
        name=name,
        port=port,
        netloc=parsed.netloc.decode("ascii"),
        path=parsed.raw_path.decode("ascii"),
        addresses=addresses,
    )


def literal_addresses(host: str) -> tuple[IPAddress, ...] | None:
    """The host read as addresses the way the C library reads it (so `2852039166`, `0x7f.1` and
    `127.1` are IPv4), without asking DNS; None for a name."""
    try:
        found = socket.getaddrinfo(host, None, type=socket.SOCK_STREAM, flags=socket.AI_NUMERICHOST)
    except (socket.gaierror, UnicodeError, ValueError):
        return None
    return unique_addresses(found)


def unique_addresses(found: Iterable[tuple[Any, ...]]) -> tuple[IPAddress, ...]:
    """The addresses of a `getaddrinfo` answer, in its order, each once; an IPv4-mapped IPv6
    address as the IPv4 address it is (where a connection to it goes)."""
    addresses: dict[IPAddress, None] = {}
    for *_, sockaddr in found:
        address = ipaddress.ip_address(str(sockaddr[0]).split("%", 1)[0])
        if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
            address = address.ipv4_mapped
        addresses[address] = None
    return tuple(addresses)


def _named(patterns: tuple[str, ...], target: Target) -> bool:
    """Whether `--webhook-allow` names this host exactly, as the URL writes it (a wildcard does not count)."""
    return target.name in grammar.named_exactly(patterns)


def _is_local(address: IPAddress, own: frozenset[str]) -> bool:
    return address.is_loopback or address.is_unspecified or str(address) in own


def _is_self(target: Target, addresses: tuple[IPAddress, ...], server: ServerAddress) -> bool:
    if target.port not in server.ports:
        return False
    if target.addresses is None and (
        target.name == "localhost" or target.name.endswith(".localhost") or target.name in server.hosts
    ):
        return True
    return any(_is_local(address, server.hosts) for address in addresses)


def _forbidden(target: Target, address: IPAddress, patterns: tuple[str, ...]) -> str | None:
    """Why the address is out of bounds unless --webhook-allow names it, or None."""
    if address.is_link_local:
        kind = "a link-local address (cloud metadata services live there)"
    elif address in METADATA_ADDRESSES:
        kind = "a cloud metadata service address"
    else:
        return None
    if _named(patterns, target):
        return None
    return f"{FIELD} host {target.name!r} is {address}, {kind}: name it in --webhook-allow to allow it"


def refusal(
    target: Target, addresses: tuple[IPAddress, ...], patterns: tuple[str, ...], server: ServerAddress
) -> str | None:
    """Why the mock may not post to this target when its host leads to `addresses` (none for a
    name not resolved yet), or None: every address must be allowed, or none is used."""
    if _is_self(target, addresses, server):
        return f"{FIELD} points at this mock server itself ({target.name}:{target.port}): give your receiver's address"
    path = _path(target.path.split("?", 1)[0])
    if path == CONTROL_PREFIX or path.startswith(CONTROL_PREFIX + "/"):
        return f"{FIELD} must not point at a control API path ({CONTROL_PREFIX}): {target.path!r}"
    if target.addresses is None and target.name in grammar.METADATA_NAMES and not _named(patterns, target):
        return f"{FIELD} host {target.name!r} is a cloud metadata service name: name it in --webhook-allow to allow it"
    for address in addresses:
        reason = _forbidden(target, address, patterns)
        if reason is not None:
            return reason
    if patterns and not any(fnmatch(target.name, p.lower()) or fnmatch(target.host, p.lower()) for p in patterns):
        return f"{FIELD} host {target.name!r} is not allowed by this server's --webhook-allow ({', '.join(patterns)})"
    return None


def check_webhook_url(url: str, patterns: tuple[str, ...], server: ServerAddress) -> Target:
    """At submission: what can be decided without DNS; a name is checked again at each attempt."""
    target = parse_target(url)
    reason = refusal(target, target.addresses or (), patterns, server)
    if reason is not None:
        raise BadUserInput(reason, field=FIELD)
    return target


def _normal_host(host: str) -> str:
    return host.lower().rstrip(".").strip("[]")


def is_loopback_ip(text: str) -> bool:
    try:
        return ipaddress.ip_address(_normal_host(text)).is_loopback
    except ValueError:
        return False


def _path(raw: str) -> str:
    """The path a server would route, after decoding and collapsing `//` and dot segments."""
    path = re.sub("/{2,}", "/", "/" + unquote(raw))
    return posixpath.normpath(path)
