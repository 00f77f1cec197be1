"""Server settings: the one place each option's default, meaning and command-line flag are written.

`Settings` is what `create_app` takes; the command line (`cli.py`) and the README's option table
are derived from its fields, so they cannot disagree with it. Values may be given as the strings
a command line or an environment variable carries (`speed="instant"`, `fixtures="./fx"`); they
are converted on construction, so every attribute has the type its annotation says.
"""

from __future__ import annotations

from dataclasses import KW_ONLY, dataclass
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from .speed import parse_speed


@dataclass(frozen=True, slots=True)
class Cli:
    """How a setting appears on the command line and in the README's table.

    `flag` is the option (the environment variable is DOITONG_MOCK_ + its name); `shown` is the
    default in words where the value itself would not tell (`bundled`, `random`); `switch`
    makes a flag that takes no value and sets the setting to `switch` (`--no-render`).
    """

    flag: str
    help: str
    shown: str | None = None
    _: KW_ONLY
    switch: bool | None = None
    metavar: str | None = None

    @property
    def env(self) -> str:
        return "DOITONG_MOCK_" + self.flag.removeprefix("--").upper().replace("-", "_")


def _csv(value: Any) -> Any:
    if isinstance(value, str):
        return tuple(part.strip() for part in value.split(",") if part.strip())
    return value


class Settings(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    host: Annotated[str, Cli("--host", "address to listen on (0.0.0.0 in a container)")] = "127.0.0.1"
    port: Annotated[
        int, Field(ge=0, le=65535), Cli("--port", "port to listen on (0 picks a free one)")
    ] = 8080
    fixtures: Annotated[
        Path | None,
        Cli("--fixtures", "directory whose YAML files replace the bundled ones, file by file", "bundled",
            metavar="DIR"),
    ] = None
    seed: Annotated[
        int | None,
        Cli("--seed", "processing-time and retry jitter and fake data become deterministic (ids never do)", "random",
            metavar="N"),
    ] = None
    speed: Annotated[
        float, Cli("--speed", "realtime, instant, or a factor such as 10 (ten times faster)", "realtime")
    ] = 1.0
    clock: Annotated[
        Literal["real", "virtual"], Cli("--clock", "real wall time, or virtual: time stands still until advanced")
    ] = "real"
    start_time: float | None = None
    public_url: Annotated[
        str | None,
        Cli("--public-url", "base of output and portrait URLs (e.g. http://mock:8080 behind compose)", "the request's"),
    ] = None
    allowed_hosts: Annotated[
        tuple[str, ...],
        Cli("--allow-host", "comma-separated host names (patterns such as '*.internal') the server answers to "
            "besides its own, e.g. a proxy's or a cluster's name; '*': any (no DNS-rebinding guard)", "none"),
    ] = ()
    webhook_allow: Annotated[
        tuple[str, ...],
        Cli("--webhook-allow", "comma-separated host patterns webhooks may go to, e.g. 'localhost,*.internal'", "any"),
    ] = ()
    webhook_timeout: Annotated[
        float, Field(gt=0), Cli("--webhook-timeout", "seconds to wait for a webhook receiver")
    ] = 5.0
    webhook_attempts: Annotated[
        int, Field(gt=0), Cli("--webhook-attempts", "attempts per delivery before it is marked failed")
    ] = 12
    webhook_first_retry: Annotated[float, Field(gt=0)] = 10.0
    published_on: Annotated[
        str | None,
        Cli("--published-on", "host address a container's port is published on (docker-compose.yml sets it): "
            "on loopback, listening on 0.0.0.0 inside draws no warning", "none", metavar="ADDRESS"),
    ] = None
    admin_token: Annotated[
        str | None, Cli("--admin-token", "require this token (X-Admin-Token header) on the /_mock control API", "none")
    ] = None
    journal_size: Annotated[
        int, Field(ge=0), Cli("--journal-size", "requests kept in the journal, oldest dropped first (0 keeps none)")
    ] = 1000
    state_file: Annotated[
        Path | None,
        Cli("--state-file", "SQLite file the state is written through to and read back at start-up", "none",
            metavar="PATH"),
    ] = None
    max_finished_jobs: Annotated[
        int, Field(ge=0),
        Cli("--max-finished-jobs", "finished jobs kept, oldest dropped first (jobs in flight are always kept)"),
    ] = 10_000
    max_deliveries: Annotated[
        int, Field(ge=0),
        Cli("--max-deliveries", "webhook deliveries kept in the log; when full, the account holding the most "
            "loses its oldest (finished first)"),
    ] = 10_000
    max_idempotency_keys: Annotated[
        int, Field(ge=1),
        Cli("--max-idempotency-keys",
            "Idempotency-Keys an account holds at once (24 h each); past it a new one is a 429"),
    ] = 10_000
    client_timeout: Annotated[
        float, Field(gt=0),
        Cli("--client-timeout", "seconds a client has to send its request head, then its body, before a 408"),
    ] = 10.0
    cors_origins: Annotated[
        tuple[str, ...],
        Cli("--cors-origin", "comma-separated origins browsers may call from ('*': any)", "localhost"),
    ] = ()
    render: Annotated[
        bool, Cli("--no-render", "serve a still of each job's size and length (silent, encoded in a blink) instead "
                  "of rendering its video", "off", switch=False)
    ] = True
    media_dir: Annotated[
        Path | None, Cli("--media-dir", "where rendered videos are cached", "temp", metavar="DIR")
    ] = None
    http: Annotated[
        Literal["auto", "httptools", "h11"],
        Cli("--http", "HTTP/1.1 implementation: auto is httptools where it is installed, else h11"),
    ] = "auto"
    loop: Annotated[
        Literal["auto", "uvloop", "asyncio"],
        Cli("--loop", "event loop: auto is uvloop where it is installed, else asyncio"),
    ] = "auto"
    log_level: Annotated[
        Literal["critical", "error", "warning", "info", "debug"], Cli("--log-level", "how much the server logs")
    ] = "info"
    access_log: Annotated[
        bool, Cli("--no-access-log", "do not log one line per request", "off", switch=False)
    ] = True

    @field_validator("speed", mode="before")
    @classmethod
    def _speed(cls, value: Any) -> float:
        return parse_speed(value)

    @field_validator("allowed_hosts", "webhook_allow", "cors_origins", mode="before")
    @classmethod
    def _comma_separated(cls, value: Any) -> Any:
        return _csv(value)

    @field_validator("public_url")
    @classmethod
    def _no_trailing_slash(cls, value: str | None) -> str | None:
        return value.rstrip("/") if value is not None else None


@dataclass(frozen=True, slots=True)
class Option:
    name: str
    cli: Cli
    default: Any

    @property
    def shown(self) -> str:
        """The default as the help text and the README's table show it."""
        if self.cli.shown is not None:
            return self.cli.shown
        if isinstance(self.default, float):
            return f"{self.default:g}"
        return str(self.default)


def cli_options() -> list[Option]:
    """Every setting the command line offers, in the order of `Settings`."""
    options = []
    for name, info in Settings.model_fields.items():
        cli = next((m for m in info.metadata if isinstance(m, Cli)), None)
        if cli is not None:
            options.append(Option(name, cli, info.default))
    return options
