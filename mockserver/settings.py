"""Server settings: what the CLI, the environment or a test passes to `create_app`."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from .clock import parse_speed


@dataclass(frozen=True)
class Settings:
    host: str = "127.0.0.1"
    port: int = 8080
    fixtures: Path | None = None
    seed: int | None = None
    speed: float = 1.0
    virtual_clock: bool = False
    start_time: float | None = None
    public_url: str | None = None
    log_level: str = "info"
    access_log: bool = True
    webhook_attempts: int = 12
    webhook_timeout: float = 5.0
    webhook_first_retry: float = 10.0
    webhook_allow: tuple[str, ...] = ()
    journal_size: int = 1000
    max_finished_jobs: int = 10_000
    max_deliveries: int = 10_000
    render: bool = True
    cors_origins: tuple[str, ...] = ()
    media_dir: Path | None = None
    admin_token: str | None = None
    client_timeout: float = 10.0
    state_file: Path | None = None

    def __post_init__(self) -> None:
        if isinstance(self.speed, str):
            object.__setattr__(self, "speed", parse_speed(self.speed))
        if isinstance(self.fixtures, str):
            object.__setattr__(self, "fixtures", Path(self.fixtures))
        if isinstance(self.state_file, str):
            object.__setattr__(self, "state_file", Path(self.state_file))
        if isinstance(self.media_dir, str):
            object.__setattr__(self, "media_dir", Path(self.media_dir))
        if isinstance(self.cors_origins, str):
            origins = tuple(o.strip() for o in self.cors_origins.split(",") if o.strip())
            object.__setattr__(self, "cors_origins", origins)
        if isinstance(self.webhook_allow, str):
            patterns = tuple(p.strip() for p in self.webhook_allow.split(",") if p.strip())
            object.__setattr__(self, "webhook_allow", patterns)
        if self.public_url is not None:
            object.__setattr__(self, "public_url", self.public_url.rstrip("/"))
