"""`doitong-mock` / `python -m mockserver`: serve the mock with uvicorn; `doitong-mock check ...`
runs the conformance checker instead (`mockserver.check.cli`, which imports no server).

Every option comes from `Settings` (its flag, help and default) and can also be set in the
environment as DOITONG_MOCK_<OPTION> (dashes become underscores); a flag wins over the
environment, and an empty variable counts as unset.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import typing
from collections.abc import Mapping, Sequence
from typing import Any

from pydantic import ValidationError

from . import __version__
from .core.fixtures import FixtureError, load_fixtures, summary
from .core.targets import is_loopback_ip
from .settings import Option, Settings, cli_options
from .speed import format_speed

TRUE = ("1", "true", "yes", "on")


def _choices(option: Option) -> list[str] | None:
    annotation = Settings.model_fields[option.name].annotation
    if typing.get_origin(annotation) is typing.Literal:
        return list(typing.get_args(annotation))
    return None


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="doitong-mock",
        usage="doitong-mock [options]\n       doitong-mock check BASE_URL --key KEY [--spend] [options]  "
        "(doitong-mock check --help)",
        description="Local mock server of the Doitong API fronting Hedra's talking avatars.",
        epilog="Each option may also be set as DOITONG_MOCK_<OPTION>, e.g. DOITONG_MOCK_PORT=9000. "
        "To check an endpoint (the real API, or a mock) against the mock's contract instead: "
        "doitong-mock check BASE_URL --key KEY (see doitong-mock check --help).",
    )
    for option in cli_options():
        cli = option.cli
        text = f"{cli.help} (default: {option.shown}; ${cli.env})"
        if cli.switch is not None:
            p.add_argument(cli.flag, dest=option.name, action="store_const", const=cli.switch, default=None, help=text)
        else:
            p.add_argument(
                cli.flag, dest=option.name, default=None, metavar=cli.metavar, choices=_choices(option), help=text
            )
    p.add_argument("--version", action="version", version=f"doitong-mock {__version__}")
    return p


def _loopback(address: str) -> bool:
    return address.lower() == "localhost" or is_loopback_ip(address)


def exposure_warning(settings: Settings) -> str | None:
    """The warning that /_mock is open to other machines, given only where it is: not behind
    --admin-token, not on loopback, and not in a container whose port is published on loopback
    (--published-on, which docker-compose.yml sets from the address it publishes on)."""
    if settings.admin_token is not None or _loopback(settings.host):
        return None
    if settings.published_on is None:
        where = f"listening on {settings.host}"
    elif _loopback(settings.published_on):
        return None
    else:
        where = f"published on {settings.published_on}"
    return (f"{where} without --admin-token: anyone who can reach this port can reset state, change credits "
            "and read the request journal through /_mock")


def _from_environment(option: Option, environ: Mapping[str, str]) -> Any:
    value = environ.get(option.cli.env) or None
    if value is None or option.cli.switch is None:
        return value
    return option.cli.switch if value.strip().lower() in TRUE else None


def settings_from_args(argv: Sequence[str] | None = None, environ: Mapping[str, str] | None = None) -> Settings:
    parser = build_parser()
    args = vars(parser.parse_args(argv))
    environ = os.environ if environ is None else environ
    values: dict[str, Any] = {}
    flags: dict[str, str] = {}
    for option in cli_options():
        flags[option.name] = option.cli.flag
        value = args[option.name]
        if value is None:
            value = _from_environment(option, environ)
        if value is not None:
            values[option.name] = value
    try:
        return Settings(**values)
    except ValidationError as exc:
        error = exc.errors()[0]
        name = str(error["loc"][0]) if error["loc"] else ""
        message = str(error["msg"]).removeprefix("Value error, ")
        parser.error(f"argument {flags.get(name, name)}: {message} (got {error.get('input')!r})")


def main(argv: Sequence[str] | None = None) -> None:
    args = list(sys.argv[1:] if argv is None else argv)
    if args[:1] == ["check"]:
        from .check.cli import main as check

        raise SystemExit(check(args[1:]))
    settings = settings_from_args(args)
    logging.basicConfig(
        level=settings.log_level.upper(),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    log = logging.getLogger("mockserver")
    try:
        fixtures = load_fixtures(settings.fixtures)
    except FixtureError as exc:
        key = exc.key or "(top level)"
        print(f"doitong-mock: bad fixture file {exc.file}: key {key}: {exc.reason}", file=sys.stderr)
        raise SystemExit(2) from None

    import uvicorn

    from .store.sqlite import StateFileError
    from .web.app import create_app
    from .web.protocol import http_implementation, loop_implementation, tune_gc, uvicorn_options

    try:
        app = create_app(settings, fixtures)
    except StateFileError as exc:
        print(f"doitong-mock: {exc}", file=sys.stderr)
        raise SystemExit(2) from None
    log.info("fixtures: %s", summary(fixtures))
    if settings.state_file is not None:
        restored = app.state.runtime.restored
        log.info(
            "state file %s: restored %d accounts, %d jobs, %d webhook deliveries",
            settings.state_file, restored["accounts"], restored["jobs"], restored["deliveries"],
        )
    log.info(
        "doitong-mock %s listening on http://%s:%s (speed %s, %s clock; HTTP %s on %s); "
        "GraphQL at /graphql, REST at /v1",
        __version__,
        settings.host,
        settings.port,
        format_speed(settings.speed),
        settings.clock,
        http_implementation(settings),
        loop_implementation(settings),
    )
    warning = exposure_warning(settings)
    if warning is not None:
        log.warning("%s", warning)
    tune_gc()
    uvicorn.run(
        app,
        host=settings.host,
        port=settings.port,
        log_level=settings.log_level,
        access_log=settings.access_log,
        **uvicorn_options(settings),
    )
