"""Fixture files: what accounts, plans, prices, avatars, voices and timings the mock serves.

Each file of a `--fixtures` directory replaces the bundled file of the same name; files it
lacks come from the defaults. Everything is validated before the server listens, and a bad
file stops start-up with the file, the key and the reason.
"""

from __future__ import annotations

import json
import stat
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from .ledger import MAX_CREDITS
from .yamlfile import YamlFileError, key_path, read_yaml, size_text

MAX_PORTRAIT_BYTES = 8 * 1024 * 1024
MAX_PORTRAIT_SIDE = 4096

FIXTURE_FILES = (
    "accounts.yaml",
    "plans.yaml",
    "pricing.yaml",
    "avatars.yaml",
    "voices.yaml",
    "processing.yaml",
    "service.yaml",
    "scenarios.yaml",
)


def default_fixtures_dir() -> Path:
    """Bundled in the wheel as `mockserver/_fixtures`; the repository's `fixtures/` in a checkout."""
    package = Path(__file__).resolve().parent.parent
    bundled = package / "_fixtures"
    return bundled if bundled.is_dir() else package.parent / "fixtures"


class FixtureError(Exception):
    def __init__(self, file: Path | str, key: str, reason: str) -> None:
        self.file = str(file)
        self.key = key
        self.reason = reason
        super().__init__(f"{self.file}: {key or '(top level)'}: {reason}")


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


NonEmpty = Annotated[str, Field(min_length=1)]
Limit = Annotated[int, Field(gt=0)] | None


class AccountFixture(_Model):
    key: NonEmpty
    name: str | None = None
    email: str | None = None
    plan: NonEmpty
    credits: Annotated[int, Field(ge=0, le=MAX_CREDITS)]
    webhook_secret: NonEmpty
    enabled: bool = True
    standard_webhooks: bool = False


class AccountsFile(_Model):
    accounts: list[AccountFixture]


class PlanFixture(_Model):
    name: NonEmpty
    requests_per_minute: Limit = None
    concurrent_jobs: Limit = None
    daily_jobs: Limit = None


class PlansFile(_Model):
    plans: dict[str, PlanFixture]


class PriceTier(_Model):
    name: NonEmpty
    up_to_seconds: Annotated[float, Field(gt=0)]
    min_credits: Annotated[int, Field(ge=0)]
    max_credits: Annotated[int, Field(ge=0)]

    @model_validator(mode="after")
    def _ordered(self) -> PriceTier:
        if self.max_credits < self.min_credits:
            raise ValueError("max_credits is below min_credits")
        return self


class PricingFile(_Model):
    words_per_minute: Annotated[float, Field(gt=0)]
    min_duration_seconds: Annotated[float, Field(ge=0)] = 1.0
    audio_url_default_seconds: Annotated[float, Field(gt=0)] = 10.0
    tiers: Annotated[list[PriceTier], Field(min_length=1)]

    @model_validator(mode="after")
    def _ascending(self) -> PricingFile:
        bounds = [t.up_to_seconds for t in self.tiers]
        if bounds != sorted(bounds) or len(set(bounds)) != len(bounds):
            raise ValueError("tiers must be listed by strictly increasing up_to_seconds")
        return self

    @property
    def max_duration_seconds(self) -> float:
        return self.tiers[-1].up_to_seconds


class AvatarFixture(_Model):
    id: NonEmpty
    name: NonEmpty
    description: str = ""
    gender: Literal["female", "male", "neutral"] = "neutral"
    style: str = "professional"
    portrait: NonEmpty
    mouth: tuple[Annotated[float, Field(ge=0, le=1)], Annotated[float, Field(ge=0, le=1)]] = (0.5, 0.54)


class AvatarsFile(_Model):
    avatars: Annotated[list[AvatarFixture], Field(min_length=1)]


class VoiceFixture(_Model):
    id: NonEmpty
    name: NonEmpty
    language: Annotated[str, Field(pattern=r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$")]
    gender: Literal["female", "male", "neutral"] = "neutral"


class VoicesFile(_Model):
    voices: Annotated[list[VoiceFixture], Field(min_length=1)]


class ProcessingFile(_Model):
    queue_seconds: Annotated[float, Field(ge=0)] = 0.0
    base_seconds: Annotated[float, Field(ge=0)] = 10.0
    seconds_per_speech_second: Annotated[float, Field(ge=0)] = 2.0
    jitter: Annotated[float, Field(ge=0, lt=1)] = 0.0


class Resolution(_Model):
    short_side: Annotated[int, Field(gt=0, multiple_of=2)]


class ProviderFile(_Model):
    """`service.yaml`: the emulated provider and the models, sizes and shapes it offers."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    name: NonEmpty = Field("hedra", alias="provider")
    versions: Annotated[list[NonEmpty], Field(min_length=1)]
    default_version: NonEmpty
    aspect_ratios: dict[str, tuple[Annotated[int, Field(gt=0)], Annotated[int, Field(gt=0)]]]
    resolutions: dict[str, Resolution]
    default_aspect_ratio: NonEmpty
    default_resolution: NonEmpty

    @model_validator(mode="after")
    def _defaults_exist(self) -> ProviderFile:
        if self.default_version not in self.versions:
            raise ValueError(f"default_version {self.default_version!r} is not in versions")
        if self.default_aspect_ratio not in self.aspect_ratios:
            raise ValueError(f"default_aspect_ratio {self.default_aspect_ratio!r} is not listed")
        if self.default_resolution not in self.resolutions:
            raise ValueError(f"default_resolution {self.default_resolution!r} is not listed")
        return self

    def frame_size(self, aspect_ratio: str, resolution: str) -> tuple[int, int]:
        w, h = self.aspect_ratios[aspect_ratio]
        short = self.resolutions[resolution].short_side
        if w >= h:
            return _even(short * w / h), short
        return short, _even(short * h / w)


def _even(x: float) -> int:
    return round(x / 2) * 2


class ScenarioMatch(_Model):
    """Every key given must match; a scenario with an empty match applies to every job."""

    text_contains: NonEmpty | None = None
    avatar_id: NonEmpty | None = None
    voice: NonEmpty | None = None
    account: NonEmpty | None = None


class ScenarioFailure(_Model):
    code: NonEmpty = "GENERATION_FAILED"
    message: NonEmpty = "The avatar could not be generated"


class ScenarioFixture(_Model):
    name: NonEmpty
    match: ScenarioMatch
    queue_seconds: Annotated[float, Field(ge=0)] | None = None
    processing_seconds: Annotated[float, Field(ge=0)] | None = None
    fail: ScenarioFailure | None = None


class ScenariosFile(_Model):
    scenarios: list[ScenarioFixture] = []


_MODELS: dict[str, type[_Model]] = {
    "accounts.yaml": AccountsFile,
    "plans.yaml": PlansFile,
    "pricing.yaml": PricingFile,
    "avatars.yaml": AvatarsFile,
    "voices.yaml": VoicesFile,
    "processing.yaml": ProcessingFile,
    "service.yaml": ProviderFile,
    "scenarios.yaml": ScenariosFile,
}


@dataclass(frozen=True, eq=False)
class Fixtures:
    """What the fixture files hold, unwrapped: the lists and maps themselves, not the files."""

    accounts: list[AccountFixture]
    plans: dict[str, PlanFixture]
    pricing: PricingFile
    avatars: list[AvatarFixture]
    voices: list[VoiceFixture]
    processing: ProcessingFile
    provider: ProviderFile
    scenarios: list[ScenarioFixture]
    sources: dict[str, Path]
    avatar_by_id: dict[str, AvatarFixture] = field(default_factory=dict)
    voice_by_id: dict[str, VoiceFixture] = field(default_factory=dict)

    def portrait_path(self, avatar: AvatarFixture) -> Path:
        return (self.sources["avatars.yaml"].parent / avatar.portrait).resolve()

    def voices_for(self, language: str) -> list[VoiceFixture]:
        return [v for v in self.voices if language_matches(language, v.language)]


M = TypeVar("M", bound=BaseModel)


def _as(model: BaseModel, kind: type[M]) -> M:
    """A loaded file as the model its name says it is (`_MODELS`)."""
    assert isinstance(model, kind)
    return model


def language_matches(requested: str, tag: str) -> bool:
    """`en` matches `en-US`; `en-US` matches only itself (case aside)."""
    requested, tag = requested.lower(), tag.lower()
    return requested == tag or tag.split("-")[0] == requested


def _load_file(path: Path) -> _Model:
    """Read within bounds (`yamlfile`), then validate as strictly as JSON: `credits: true` or
    `credits: "10"` is an error, not 1 or 10."""
    model = _MODELS[path.name]
    try:
        raw = read_yaml(path)
    except YamlFileError as exc:
        raise FixtureError(path, exc.key, exc.reason) from None
    if not isinstance(raw, dict):
        raise FixtureError(path, "", f"must be a mapping, not {type(raw).__name__}")
    try:
        return model.model_validate_json(json.dumps(raw), strict=True)
    except ValidationError as exc:
        first = exc.errors()[0]
        key = key_path(tuple(first["loc"]))
        message = first["msg"].removeprefix("Value error, ")
        if first["type"] == "extra_forbidden":
            message = "unknown key"
        elif first["type"] == "missing":
            message = "required key is missing"
        raise FixtureError(path, key, message) from None


def resolve_sources(directory: Path | None) -> dict[str, Path]:
    defaults = default_fixtures_dir()
    if directory is not None and not directory.is_dir():
        raise FixtureError(directory, "", "is not a directory")
    sources = {}
    for name in FIXTURE_FILES:
        override = directory / name if directory is not None else None
        if override is not None and (override.exists() or override.is_symlink()):  # a dangling link is an error
            sources[name] = override
        else:
            sources[name] = defaults / name
    return sources


def load_fixtures(directory: Path | str | None = None) -> Fixtures:
    """Load and cross-check every fixture file; raises FixtureError on the first problem."""
    sources = resolve_sources(Path(directory) if directory is not None else None)
    files = {name: _load_file(path) for name, path in sources.items()}
    fx = Fixtures(
        accounts=_as(files["accounts.yaml"], AccountsFile).accounts,
        plans=_as(files["plans.yaml"], PlansFile).plans,
        pricing=_as(files["pricing.yaml"], PricingFile),
        avatars=_as(files["avatars.yaml"], AvatarsFile).avatars,
        voices=_as(files["voices.yaml"], VoicesFile).voices,
        processing=_as(files["processing.yaml"], ProcessingFile),
        provider=_as(files["service.yaml"], ProviderFile),
        scenarios=_as(files["scenarios.yaml"], ScenariosFile).scenarios,
        sources=sources,
    )
    _cross_check(fx)
    fx.avatar_by_id.update({a.id: a for a in fx.avatars})
    fx.voice_by_id.update({v.id: v for v in fx.voices})
    return fx


def _cross_check(fx: Fixtures) -> None:
    keys: set[str] = set()
    for i, account in enumerate(fx.accounts):
        if account.key in keys:
            raise FixtureError(
                fx.sources["accounts.yaml"], f"accounts[{i}].key", f"duplicate API key {account.key!r}"
            )
        keys.add(account.key)
        if account.plan not in fx.plans:
            known = ", ".join(sorted(fx.plans))
            raise FixtureError(
                fx.sources["accounts.yaml"],
                f"accounts[{i}].plan",
                f"unknown plan {account.plan!r} (plans.yaml defines: {known})",
            )
    ids = {"avatars": [a.id for a in fx.avatars], "voices": [v.id for v in fx.voices]}
    for kind, listed in ids.items():
        seen: set[str] = set()
        for i, item_id in enumerate(listed):
            if item_id in seen:
                raise FixtureError(fx.sources[f"{kind}.yaml"], f"{kind}[{i}].id", f"duplicate id {item_id!r}")
            seen.add(item_id)
    for i, avatar in enumerate(fx.avatars):
        problem = _portrait_problem(avatar.portrait, fx.portrait_path(avatar))
        if problem is not None:
            raise FixtureError(fx.sources["avatars.yaml"], f"avatars[{i}].portrait", problem)


def _portrait_problem(name: str, path: Path) -> str | None:
    """Portraits are read whole and decoded for every render: a regular image file of bounded
    size and pixels, not a FIFO, a device or a decompression bomb."""
    try:
        info = path.stat()
    except OSError:
        return f"file {name!r} not found (looked at {path})"
    if not stat.S_ISREG(info.st_mode):
        return f"{path} is not a regular file"
    if path.suffix.lower() not in (".png", ".jpg", ".jpeg"):
        return "must be a .png or .jpg image"
    if info.st_size > MAX_PORTRAIT_BYTES:
        return f"{path} is {size_text(info.st_size)}: a portrait may be at most {size_text(MAX_PORTRAIT_BYTES)}"
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(path) as image:
            width, height = image.size
    except Image.DecompressionBombError:
        return f"{path} has more pixels than a portrait may have ({MAX_PORTRAIT_SIDE} on a side)"
    except (OSError, UnidentifiedImageError):
        return f"{path} is not a PNG or JPEG image Pillow can read"
    if max(width, height) > MAX_PORTRAIT_SIDE:
        return f"{path} is {width}x{height} pixels: a portrait may be at most {MAX_PORTRAIT_SIDE} on a side"
    return None


def summary(fx: Fixtures) -> str:
    dirs = sorted({str(p.parent) for p in fx.sources.values()})
    return (
        f"{len(fx.accounts)} accounts, {len(fx.plans)} plans, "
        f"{len(fx.avatars)} avatars, {len(fx.voices)} voices, "
        f"{len(fx.scenarios)} scenarios "
        f"from {', '.join(dirs)}"
    )
