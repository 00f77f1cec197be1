"""What a route reads from a request besides its body: the doors of the emulator now serving
(`api_of`, `control_of`, `observe_of`), the admitted caller, the base URL of the links it
answers with, and integer query parameters."""

from __future__ import annotations

from starlette.requests import HTTPConnection
from starlette.types import Scope

from ..core.admission import Caller
from ..core.api import Api, Here
from ..core.control import Control
from ..core.emulator import Emulator
from ..core.errors import BadUserInput
from ..core.observe import Observation
from ..core.runtime import Runtime

# Set in a request's scope state by a response that streams until the client leaves (the event
# stream), to a function that ends it: the server's protocol calls it at shutdown instead of
# waiting for the client to go.
ENDLESS_STREAM = "endless_stream"
MAX_BASE_URLS = 64


def first_headers(scope: Scope, names: frozenset[bytes]) -> dict[str, str]:
    """The first value of each of `names` (lower case) among a request's raw headers, found in one
    pass: what starlette's `Headers` would give, without building it on the hot path."""
    found: dict[str, str] = {}
    for name, value in scope["headers"]:
        if name in names:
            found.setdefault(name.decode("latin-1"), value.decode("latin-1"))
    return found


def runtime_of(conn: HTTPConnection) -> Runtime:
    runtime: Runtime = conn.app.state.runtime
    return runtime


def emulator_of(conn: HTTPConnection) -> Emulator:
    """The emulator the request was admitted by (the gate notes it), else the one now serving.

    After a reset it may be closed: its operations then refuse with 503 rather than change a
    generation no one reads."""
    emulator: Emulator | None = conn.scope.get("state", {}).get("emulator")
    return emulator if emulator is not None else runtime_of(conn).emulator


def api_of(conn: HTTPConnection) -> Api:
    return emulator_of(conn).api


def control_of(conn: HTTPConnection) -> Control:
    return emulator_of(conn).control


def observe_of(conn: HTTPConnection) -> Observation:
    return emulator_of(conn).observe


def caller_of(conn: HTTPConnection) -> Caller:
    """The caller the admission gate let in (routes behind it only)."""
    caller: Caller = conn.state.caller
    return caller


def base_url(conn: HTTPConnection) -> str:
    """`--public-url` when given, else the scheme and host the client used (worked out once per
    distinct host a client uses)."""
    public = runtime_of(conn).settings.public_url
    if public is not None:
        return public
    scope = conn.scope
    key = (scope.get("scheme"), conn.headers.get("host"), scope.get("root_path"), scope.get("app_root_path"))
    known: dict[tuple[object, ...], str] = conn.app.state.base_urls
    url = known.get(key)
    if url is None:
        url = str(conn.base_url).rstrip("/")
        url = "http" + url[2:] if url.startswith("ws") else url
        if len(known) >= MAX_BASE_URLS:
            known.clear()
        known[key] = url
    return url


def here(conn: HTTPConnection) -> Here:
    """Where this request reached the mock (see `core.targets`); made once per base URL and
    socket address, like the base URL."""
    server = conn.scope.get("server")
    at = (str(server[0]), int(server[1])) if server and server[1] is not None else None
    url = base_url(conn)
    known: dict[tuple[str, tuple[str, int] | None], Here] = conn.app.state.heres
    found = known.get((url, at))
    if found is None:
        if len(known) >= MAX_BASE_URLS:
            known.clear()
        found = known[(url, at)] = Here(url, runtime_of(conn).address, at)
    return found


def int_param(conn: HTTPConnection, name: str, default: int) -> int:
    raw = conn.query_params.get(name)
    if raw is None:
        return default
    try:
        return int(raw)
    except ValueError:
        raise BadUserInput(f"query parameter {name!r} must be an integer", field=name) from None
