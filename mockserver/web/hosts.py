"""Which names in `Host` the server answers to: the guard against DNS rebinding.

A page on attacker.example that rebinds its name to the mock's address (127.0.0.1, or the host
port a container publishes) is same-origin with the mock, and could read every key and webhook
secret from `/_mock/accounts`. Its requests carry its own name in `Host`, so the server answers
only to names that are its own, on every network socket it listens on, with an admin token or
without:

- `localhost` and `*.localhost`, and any IP address (a page cannot rebind an address);
- the machine's name, `--host` and `--public-url`'s host;
- `mock`, the service name the compose file gives it (its neighbour calls `http://mock:8080`);
- whatever `--allow-host` names (patterns such as `*.internal`; `*` turns the guard off).

An app run in process (httpx's ASGITransport, Starlette's TestClient) has no socket, and no
browser can reach it: its requests name the test's base URL, which the guard leaves alone.
"""

from __future__ import annotations

import ipaddress
import socket
from fnmatch import fnmatch
from urllib.parse import urlsplit

COMPOSE_SERVICE = "mock"
MAX_VERDICTS = 256


def _is_address(name: str) -> bool:
    try:
        ipaddress.ip_address(name)
    except ValueError:
        try:  # the spellings the C library accepts too: 127.1, 2130706433, 0x7f.1
            socket.inet_aton(name)
        except OSError:
            return False
    return True


def over_network(server: tuple[str, int | None] | None) -> bool:
    """Whether a request came through a network socket: uvicorn gives the socket's own address
    as the ASGI `server`, where an in-process transport gives its base URL's host name."""
    return server is not None and _is_address(str(server[0]))


class HostNames:
    """The names this server answers to, and a verdict on each `Host` a request brings."""

    def __init__(self, own: frozenset[str], allowed: tuple[str, ...]) -> None:
        machine = socket.gethostname().lower()
        self.names = own | {COMPOSE_SERVICE, machine, machine.split(".", 1)[0]}
        self.patterns = tuple(p.lower().rstrip(".") for p in allowed)
        # Clients send the same few Host values again and again, so each verdict is kept.
        self._verdicts: dict[str, bool] = {}

    def foreign(self, host: str) -> bool:
        """True for a `Host` header that does not name this server."""
        verdict = self._verdicts.get(host)
        if verdict is None:
            verdict = not self._own(host)
            if len(self._verdicts) >= MAX_VERDICTS:
                self._verdicts.clear()
            self._verdicts[host] = verdict
        return verdict

    def _own(self, host: str) -> bool:
        if not host.strip():
            return True  # no name to rebind (browsers always send one)
        try:
            name = (urlsplit(f"//{host}").hostname or "").rstrip(".")
        except ValueError:  # `[::1` and the like: no name at all
            return False
        if not name:
            return False
        return (
            name == "localhost"
            or name.endswith(".localhost")
            or name in self.names
            or _is_address(name)
            or any(fnmatch(name, pattern) for pattern in self.patterns)
        )
