"""`doitong-mock` / `python -m mockserver`: serve the mock with uvicorn.

Every option can also come from the environment as DOITONG_MOCK_<OPTION> (dashes become
underscores); a command-line flag wins over the environment.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from . import __version__
from .clock import format_speed, parse_speed
from .fixtures import FixtureError, load_fixtures, summary
from .settings import Settings

ENV_PREFIX = "DOITONG_MOCK_"
LOOPBACK = ("127.0.0.1", "localhost", "::1")


def _env(name: str, default: str | None = None) -> str | None:
    """An empty variable counts as unset, as `DOITONG_MOCK_SEED=` in a compose file means."""
    return os.environ.get(ENV_PREFIX + name.upper().replace("-", "_")) or default


def _port(value: str) -> int:
    port = int(value)
    if not 0 <= port <= 65535:
        raise ValueError
    return port


_port.__name__ = "port"


def _speed(value: str) -> float:
    try:
        return parse_speed(value)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="doitong-mock",
        description="Local mock server of the Doitong API fronting Hedra's talking avatars.",
        epilog="Each option may also be set as DOITONG_MOCK_<OPTION>, e.g. DOITONG_MOCK_PORT=9000.",
    )
    p.add_argument("--host", default=_env("host", "127.0.0.1"), help="address to listen on (default 127.0.0.1; 0.0.0.0 in containers)")
    p.add_argument("--port", type=_port, default=_env("port", "8080"), help="port to listen on (default 8080; 0 picks a free one)")
    p.add_argument("--fixtures", type=Path, default=_env("fixtures"), help="directory whose YAML files replace the bundled ones, file by file")
    p.add_argument("--seed", type=int, default=_env("seed"), help="seed for job ids, timings and fake data (deterministic runs)")
    p.add_argument("--speed", type=_speed, default=_env("speed", "realtime"), help="realtime, instant, or a factor such as 10 (ten times faster)")
    p.add_argument("--clock", choices=["real", "virtual"], default=_env("clock", "real"), help="real wall time, or virtual time that only moves when advanced")
    p.add_argument("--public-url", default=_env("public-url"), help="base URL written into output and portrait URLs (default: the URL the client used)")
    p.add_argument("--webhook-allow", default=_env("webhook-allow", ""), help="comma-separated host patterns webhooks may be sent to, e.g. 'localhost,*.internal' (default: any)")
    p.add_argument("--webhook-timeout", type=float, default=_env("webhook-timeout", "5"), help="seconds to wait for a webhook receiver (default 5)")
    p.add_argument("--webhook-attempts", type=int, default=_env("webhook-attempts", "12"), help="attempts per delivery before it is marked failed (default 12)")
    p.add_argument("--admin-token", default=_env("admin-token"), help="require this token (X-Admin-Token header) on the /_mock control API")
    p.add_argument("--journal-size", type=int, default=_env("journal-size", "1000"), help="requests kept in the journal, oldest dropped first (default 1000; 0 keeps none)")
    p.add_argument("--state-file", type=Path, default=_env("state-file"), help="SQLite file that jobs, credits, counters and deliveries are written through to, and read back from at start-up (default: state in memory only)")
    p.add_argument("--max-finished-jobs", type=int, default=_env("max-finished-jobs", "10000"), help="finished jobs kept, oldest dropped first (default 10000); jobs in flight are always kept")
    p.add_argument("--max-deliveries", type=int, default=_env("max-deliveries", "10000"), help="webhook deliveries kept in the log, oldest dropped first (default 10000)")
    p.add_argument("--no-render", action="store_true", default=_env("no-render", "") not in ("", "0", "false"), help="serve a short placeholder MP4 instead of rendering each job's video")
    p.add_argument("--media-dir", type=Path, default=_env("media-dir"), help="where rendered videos are cached (default: a folder in the system's temp directory)")
    p.add_argument("--cors-origin", default=_env("cors-origin", ""), help="comma-separated origins browsers may call from ('*': any; default: any http(s)://localhost, 127.0.0.1 or [::1] origin)")
    p.add_argument("--client-timeout", type=float, default=_env("client-timeout", "10"), help="seconds a client has to send its request head, and then its body, before a 408 (default 10)")
    p.add_argument("--log-level", choices=["critical", "error", "warning", "info", "debug"], default=_env("log-level", "info"))
    p.add_argument("--no-access-log", action="store_true", default=_env("no-access-log", "") not in ("", "0", "false"), help="do not log one line per request")
    p.add_argument("--version", action="version", version=f"doitong-mock {__version__}")
    return p


def settings_from_args(argv: Sequence[str] | None = None) -> Settings:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        port = _port(str(args.port))
    except ValueError:
        parser.error(f"argument --port: invalid port {args.port!r}")
    try:
        seed = int(args.seed) if args.seed is not None else None
    except ValueError:
        parser.error(f"argument --seed: invalid integer {args.seed!r}")
    speed = args.speed if isinstance(args.speed, float) else _speed(str(args.speed))
    return Settings(
        host=args.host,
        port=port,
        fixtures=Path(args.fixtures) if args.fixtures else None,
        seed=seed,
        speed=speed,
        virtual_clock=args.clock == "virtual",
        public_url=args.public_url,
        log_level=args.log_level,
        access_log=not args.no_access_log,
        webhook_allow=args.webhook_allow,
        admin_token=args.admin_token or None,
        render=not args.no_render,
        cors_origins=args.cors_origin,
        media_dir=Path(args.media_dir) if args.media_dir else None,
        state_file=Path(args.state_file) if args.state_file else None,
        journal_size=_count(parser, "--journal-size", args.journal_size),
        max_finished_jobs=_count(parser, "--max-finished-jobs", args.max_finished_jobs),
        max_deliveries=_count(parser, "--max-deliveries", args.max_deliveries),
        webhook_timeout=_positive(parser, "--webhook-timeout", args.webhook_timeout),
        webhook_attempts=int(_positive(parser, "--webhook-attempts", args.webhook_attempts)),
        client_timeout=_positive(parser, "--client-timeout", args.client_timeout),
    )


def _count(parser: argparse.ArgumentParser, name: str, value: str | int) -> int:
    try:
        number = int(value)
    except ValueError:
        parser.error(f"argument {name}: invalid integer {value!r}")
    if number < 0:
        parser.error(f"argument {name}: must not be negative")
    return number


def _positive(parser: argparse.ArgumentParser, name: str, value: str | float) -> float:
    try:
        number = float(value)
    except ValueError:
        parser.error(f"argument {name}: invalid number {value!r}")
    if not number > 0:
        parser.error(f"argument {name}: must be greater than 0")
    return number


def main(argv: Sequence[str] | None = None) -> None:
    settings = settings_from_args(argv)
    logging.basicConfig(
        level=settings.log_level.upper(),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    log = logging.getLogger("mockserver")
    try:
        fixtures = load_fixtures(settings.fixtures)
    except FixtureError as exc:
        print(f"doitong-mock: bad fixture file {exc.file}: key {exc.key or '(top level)'}: {exc.reason}", file=sys.stderr)
        raise SystemExit(2) from None

    import uvicorn

    from .app import create_app
    from .protocol import tune_gc, uvicorn_options
    from .state import StateFileError

    try:
        app = create_app(settings, fixtures)
    except StateFileError as exc:
        print(f"doitong-mock: cannot use the state file {exc.path}: {exc.reason}", file=sys.stderr)
        raise SystemExit(2) from None
    log.info("fixtures: %s", summary(fixtures))
    if settings.state_file is not None:
        restored = app.state.service.restored
        log.info(
            "state file %s: restored %d accounts, %d jobs, %d webhook deliveries",
            settings.state_file, restored.get("accounts", 0), restored.get("jobs", 0), restored.get("deliveries", 0),
        )
    log.info(
        "doitong-mock %s listening on http://%s:%s (speed %s, %s clock); GraphQL at /graphql, REST at /v1",
        __version__,
        settings.host,
        settings.port,
        format_speed(settings.speed),
        "virtual" if settings.virtual_clock else "real",
    )
    if settings.admin_token is None and settings.host not in LOOPBACK:
        log.warning(
            "listening on %s without --admin-token: anyone who can reach this port can reset state, "
            "change credits and read the request journal through /_mock",
            settings.host,
        )
    tune_gc()
    uvicorn.run(
        app,
        host=settings.host,
        port=settings.port,
        log_level=settings.log_level,
        access_log=settings.access_log,
        **uvicorn_options(settings.client_timeout),
    )
