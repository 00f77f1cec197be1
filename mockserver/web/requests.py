"""What a route reads from a request besides its body: the emulator now serving, the admitted
caller, the base URL of the links it answers with, and integer query parameters."""

from __future__ import annotations

from starlette.requests import HTTPConnection

from ..core.admission import Caller
from ..core.emulator import Emulator, Here
from ..core.errors import BadUserInput
from ..core.runtime import Runtime
from ..core.targets import ServerAddress

# Set in a request's scope state by a response that streams until the client leaves (the event
# stream), to a function that ends it: the server's protocol calls it at shutdown instead of
# waiting for the client to go.
ENDLESS_STREAM = "endless_stream"


def runtime_of(conn: HTTPConnection) -> Runtime:
    runtime: Runtime = conn.app.state.runtime
    return runtime


def emulator_of(conn: HTTPConnection) -> Emulator:
    return runtime_of(conn).emulator


def caller_of(conn: HTTPConnection) -> Caller:
    """The caller the admission gate let in (routes behind it only)."""
    caller: Caller = conn.state.caller
    return caller


def base_url(conn: HTTPConnection) -> str:
    """`--public-url` when given, else the scheme and host the client used."""
    public = runtime_of(conn).settings.public_url
    if public is not None:
        return public
    url = str(conn.base_url).rstrip("/")
    return "http" + url[2:] if url.startswith("ws") else url


def here(conn: HTTPConnection) -> Here:
    """Where this request reached the mock (see `core.targets`): the configured names and ports,
    and the address and port the connection came in on."""
    known = runtime_of(conn).address
    server = conn.scope.get("server")
    if not server or server[1] is None:
        return Here(base_url(conn), known)
    host, port = server
    address = ServerAddress(known.hosts | {str(host).lower()}, known.ports | {int(port)})
    return Here(base_url(conn), address)


def int_param(conn: HTTPConnection, name: str, default: int) -> int:
    raw = conn.query_params.get(name)
    if raw is None:
        return default
    try:
        return int(raw)
    except ValueError:
        raise BadUserInput(f"query parameter {name!r} must be an integer", field=name) from None
