"""Job requests as both surfaces receive them, checked against the catalogue in one place.

The GraphQL resolvers and the REST routes each turn their own input shape into a
`JobRequest`; `plan_job` applies every business rule (provider, avatar, voice, text length,
price) so the two surfaces can never disagree.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any
from urllib.parse import urlsplit

from . import grammar
from .errors import BadUserInput
from .fixtures import Fixtures, ScenarioFixture, language_matches
from .pricing import cost_for, speech_limits, speech_seconds
from .text import check_text

JOB_TYPE = "AVATAR"

# The longest value each input field takes, the same on every surface: REST's bodies and the
# OpenAPI document are derived from this table, and `plan_job` holds GraphQL to it. A job keeps
# what it was given for as long as it is kept, so no field may be as long as a whole body.
MAX_TEXT = 100_000
MAX_URL = 4096
MAX_NAME = 200
FIELD_LIMITS = {
    "type": MAX_NAME,
    "provider": MAX_NAME,
    "service": MAX_NAME,
    "text": MAX_TEXT,
    "avatarId": MAX_NAME,
    "imageUrl": MAX_URL,
    "audioUrl": MAX_URL,
    "voice": MAX_NAME,
    "language": MAX_NAME,
    "version": MAX_NAME,
    "webhookUrl": MAX_URL,
    "aspectRatio": MAX_NAME,
    "resolution": MAX_NAME,
}


def check_field(value: str | None, field: str) -> None:
    """Valid Unicode text, no longer than the table allows for the field."""
    if value is None:
        return
    limit = FIELD_LIMITS[field]
    if len(value) > limit:
        raise BadUserInput(f"{field} is too long: {len(value)} characters, at most {limit}", field=field)
    check_text(value, field)


@dataclass(frozen=True, slots=True)
class JobRequest:
    provider: str
    text: str | None = None
    avatar_id: str | None = None
    image_url: str | None = None
    audio_url: str | None = None
    voice: str | None = None
    language: str | None = None
    version: str | None = None
    webhook_url: str | None = None
    aspect_ratio: str | None = None
    resolution: str | None = None
    type: str = JOB_TYPE
    provider_field: str = "provider"


@dataclass(frozen=True, slots=True)
class JobPlan:
    """A request that passed every rule, with what the rules worked out."""

    request: JobRequest
    duration: float
    credit_cost: int
    tier: str
    width: int
    height: int
    scenario: ScenarioFixture | None = None


def find_scenario(req: JobRequest, account_key: str, fx: Fixtures) -> ScenarioFixture | None:
    """The first scenario of `scenarios.yaml` whose every condition the request meets."""
    for scenario in fx.scenarios:
        m = scenario.match
        if m.text_contains is not None and m.text_contains not in (req.text or ""):
            continue
        if m.avatar_id is not None and m.avatar_id != req.avatar_id:
            continue
        if m.voice is not None and m.voice != req.voice:
            continue
        if m.account is not None and m.account != account_key:
            continue
        return scenario
    return None


def check_url(value: str, field: str) -> str:
    try:
        parts = urlsplit(value)
        host = parts.hostname
        parts.port  # noqa: B018 - raises ValueError on a bad port
    except ValueError:
        raise BadUserInput(f"{field} is not a valid URL: {value!r}", field=field) from None
    if parts.scheme not in ("http", "https"):
        raise BadUserInput(f"{field} must be an http or https URL, not {value!r}", field=field)
    if not host:
        raise BadUserInput(f"{field} has no host: {value!r}", field=field)
    if parts.username is not None or parts.password is not None:
        raise BadUserInput(f"{field} must not contain credentials", field=field)
    problem = grammar.url_problem(value)
    if problem is not None:
        raise BadUserInput(f"{field} {problem}: {value!r}", field=field)
    return value


def _known(values: list[str]) -> str:
    return ", ".join(values[:12]) + (", ..." if len(values) > 12 else "")


def _audio_seconds(url: str, default: float) -> float:
    """The mock cannot fetch the caller's audio: `?duration=N` in the URL says how long it is,
    in seconds rounded to the nearest tenth (halves up)."""
    value = grammar.duration_hint(url)
    if value is None:
        return default
    seconds = grammar.hint_seconds(value)
    if seconds is None:
        raise BadUserInput(
            f"audioUrl's duration hint must be a number of seconds such as 7.5, not {value!r}", field="audioUrl"
        )
    if seconds < 0.1:
        raise BadUserInput(
            f"audioUrl's duration hint must be at least 0.05 s (it is rounded to tenths), not {value!r}",
            field="audioUrl",
        )
    return seconds


@dataclass(frozen=True, slots=True)
class Estimate:
    duration: float
    credits: int
    tier: str


def price_speech(text: str | None, audio_url: str | None, fx: Fixtures) -> Estimate:
    """Speech duration, credits and tier for text or recorded audio, or a BadUserInput."""
    check_field(text, "text")
    check_field(audio_url, "audioUrl")
    if audio_url is not None:
        check_url(audio_url, "audioUrl")
        if text is not None:
            raise BadUserInput("give either text or audioUrl, not both", field="text")
        duration = _audio_seconds(audio_url, fx.pricing.audio_url_default_seconds)
    elif text is None:
        raise BadUserInput("text is required (or audioUrl with recorded speech)", field="text")
    elif not text.strip():
        raise BadUserInput("text must not be empty", field="text")
    else:
        most = speech_limits(fx.pricing).chars
        if len(text) > most:
            raise BadUserInput(
                f"text is too long: {len(text)} characters, the maximum is {most} "
                f"(about {fx.pricing.max_duration_seconds:g} s of speech)",
                field="text",
            )
        duration = speech_seconds(text, fx.pricing)
    priced = cost_for(duration, fx.pricing)
    if priced is None:
        limit = fx.pricing.max_duration_seconds
        field = "audioUrl" if audio_url is not None else "text"
        raise BadUserInput(
            f"{field} is too long: about {duration:g} s of speech, the maximum is {limit:g} s",
            field=field,
        )
    return Estimate(duration, priced[0], priced[1])


def plan_job(req: JobRequest, fx: Fixtures) -> JobPlan:
    check_field(req.provider, req.provider_field)
    check_field(req.type, "type")
    for name, attr in FLAT_FIELDS.items():
        check_field(getattr(req, attr), name)
    provider = fx.provider
    if req.type != JOB_TYPE:
        raise BadUserInput(f"type must be {JOB_TYPE} for provider {provider.name}", field="type")
    if req.provider != provider.name:
        raise BadUserInput(
            f"unknown {req.provider_field} {req.provider!r}: this server emulates {provider.name!r}",
            field=req.provider_field,
        )

    price = price_speech(req.text, req.audio_url, fx)
    text = req.text.strip() if req.text is not None else None

    if req.image_url is not None:
        check_url(req.image_url, "imageUrl")
        if req.avatar_id is not None:
            raise BadUserInput("give either avatarId or imageUrl, not both", field="avatarId")
    elif req.avatar_id is None:
        raise BadUserInput("avatarId is required (or imageUrl with your own portrait)", field="avatarId")
    elif req.avatar_id not in fx.avatar_by_id:
        raise BadUserInput(
            f"unknown avatarId {req.avatar_id!r} (known: {_known(list(fx.avatar_by_id))})",
            field="avatarId",
        )

    voice = req.voice
    if voice is None and req.audio_url is None:
        voice = _default_voice(fx, req.language)
    if voice is not None and voice not in fx.voice_by_id:
        raise BadUserInput(
            f"unknown voice {voice!r} (known: {_known(list(fx.voice_by_id))})", field="voice"
        )
    if req.language is not None:
        _check_language(req.language, voice, fx)

    version = req.version if req.version is not None else provider.default_version
    if version not in provider.versions:
        raise BadUserInput(
            f"unknown version {version!r} (known: {_known(provider.versions)})", field="version"
        )
    aspect = req.aspect_ratio if req.aspect_ratio is not None else provider.default_aspect_ratio
    if aspect not in provider.aspect_ratios:
        raise BadUserInput(
            f"unknown aspectRatio {aspect!r} (known: {_known(list(provider.aspect_ratios))})",
            field="aspectRatio",
        )
    resolution = req.resolution if req.resolution is not None else provider.default_resolution
    if resolution not in provider.resolutions:
        raise BadUserInput(
            f"unknown resolution {resolution!r} (known: {_known(list(provider.resolutions))})",
            field="resolution",
        )
    if req.webhook_url is not None:
        check_url(req.webhook_url, "webhookUrl")

    width, height = provider.frame_size(aspect, resolution)
    normalized = replace(
        req, text=text, voice=voice, version=version, aspect_ratio=aspect, resolution=resolution
    )
    return JobPlan(normalized, price.duration, price.credits, price.tier, width, height)


def _default_voice(fx: Fixtures, language: str | None) -> str:
    matching = fx.voices_for(language) if language is not None else []
    return (matching or fx.voices)[0].id


def _check_language(language: str, voice: str | None, fx: Fixtures) -> None:
    if voice is not None:
        tag = fx.voice_by_id[voice].language
        if not language_matches(language, tag):
            raise BadUserInput(
                f"language {language!r} does not match voice {voice!r} ({tag})", field="language"
            )
        return
    if not fx.voices_for(language):
        known = sorted({v.language for v in fx.voices})
        raise BadUserInput(
            f"unsupported language {language!r} (known: {_known(known)})", field="language"
        )


FLAT_FIELDS = {
    "text": "text",
    "avatarId": "avatar_id",
    "imageUrl": "image_url",
    "audioUrl": "audio_url",
    "voice": "voice",
    "language": "language",
    "version": "version",
    "webhookUrl": "webhook_url",
    "aspectRatio": "aspect_ratio",
    "resolution": "resolution",
}


def from_flat(data: dict[str, Any]) -> JobRequest:
    """The flat shape: GraphQL `generateAvatar` and REST `POST /v1/avatar`."""
    values: dict[str, Any] = {attr: data.get(name) for name, attr in FLAT_FIELDS.items()}
    return JobRequest(provider=data["service"], provider_field="service", **values)


def from_generate(data: dict[str, Any]) -> JobRequest:
    """GraphQL `generate`: {type, provider, input {...}, options {...}, webhookUrl}."""
    content = data.get("input") or {}
    options = data.get("options") or {}
    top, inner = data.get("webhookUrl"), options.get("webhookUrl")
    if top is not None and inner is not None and top != inner:
        raise BadUserInput(
            "webhookUrl is given twice with different values (top level and options)",
            field="webhookUrl",
        )
    return JobRequest(
        provider=data["provider"],
        type=data.get("type", JOB_TYPE),
        text=content.get("text"),
        avatar_id=content.get("avatarId"),
        image_url=content.get("imageUrl"),
        audio_url=content.get("audioUrl"),
        voice=options.get("voice"),
        language=options.get("language"),
        version=options.get("version"),
        webhook_url=top if top is not None else inner,
        aspect_ratio=options.get("aspectRatio"),
        resolution=options.get("resolution"),
    )
