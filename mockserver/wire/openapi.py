"""The OpenAPI document of the REST surface, built from the same models the routes validate with,
from the fixtures the server runs on and from `core/grammar.py`'s expressions, which the server
applies too: it states every rule a request must meet, so what the document allows the server
takes (schemathesis's positive_data_acceptance holds) and generated clients need no workaround.
The catalogue's ids are enums; the rules between fields (text or audioUrl, avatarId or imageUrl,
a language that suits the voice) are `oneOf`/`anyOf` branches; the text's length, the audio's
duration hint and where webhooks may go are patterns; optional fields carry no default. The ids
a submission answers with are linked to the routes that take them.

It imports no web framework: `doitong-mock check` reads it as the expectations of the REST surface.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from .. import __version__
from ..core import grammar
from ..core.fixtures import Fixtures
from ..core.jobs import CURSOR_PATTERN, STATUSES
from ..core.pricing import speech_limits
from ..core.targets import ServerAddress
from .bodies import AvatarBody, EstimateBody

NULLABLE_STRING = {"type": ["string", "null"]}

JOB = {
    "type": "object",
    "required": ["id", "status", "type", "provider", "url", "creditCost", "createdAt", "progress"],
    "properties": {
        "id": {"type": "string"},
        "status": {"type": "string", "enum": list(STATUSES)},
        "type": {"type": "string", "enum": ["AVATAR"]},
        "provider": {"type": "string"},
        "service": {"type": "string"},
        "url": {**NULLABLE_STRING, "description": "Output MP4, once completed"},
        "videoUrl": {**NULLABLE_STRING, "description": "Same as url"},
        "metadata": {
            "type": "object",
            "properties": {
                "duration": {"type": ["number", "null"]},
                "width": {"type": ["integer", "null"]},
                "height": {"type": ["integer", "null"]},
            },
        },
        "creditCost": {"type": "integer"},
        "createdAt": {"type": "string", "format": "date-time"},
        "startedAt": {"type": ["string", "null"], "format": "date-time"},
        "completedAt": {"type": ["string", "null"], "format": "date-time"},
        "progress": {"type": "number", "minimum": 0, "maximum": 1},
        "duration": {"type": ["number", "null"]},
        "webhookUrl": NULLABLE_STRING,
        "error": {
            "type": ["object", "null"],
            "properties": {"code": {"type": "string"}, "message": {"type": "string"}},
        },
        **dict.fromkeys(
            ("text", "avatarId", "imageUrl", "audioUrl", "voice", "language", "version", "aspectRatio", "resolution"),
            NULLABLE_STRING,
        ),
    },
}

ERROR = {
    "type": "object",
    "required": ["errors"],
    "properties": {
        "errors": {
            "type": "array",
            "minItems": 1,
            "items": {
                "type": "object",
                "required": ["message", "extensions"],
                "properties": {
                    "message": {"type": "string"},
                    "extensions": {
                        "type": "object",
                        "required": ["code"],
                        "properties": {"code": {"type": "string"}, "field": {"type": "string"}},
                    },
                },
            },
        }
    },
}


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _envelope(**props: Any) -> dict[str, Any]:
    return {
        "type": "object",
        "required": ["data"],
        "properties": {
            "data": {"type": "object", "required": list(props), "properties": props}
        },
    }


def _json(schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


ERRORS = {
    "400": _json(_ref("Error"), "Bad input: BAD_USER_INPUT naming the field"),
    "401": _json(_ref("Error"), "Missing or invalid API key: UNAUTHENTICATED"),
    "403": _json(_ref("Error"), "Disabled account: FORBIDDEN"),
    "404": _json(_ref("Error"), "No such job: NOT_FOUND"),
    "429": _json(_ref("Error"), "A plan limit was reached"),
}

TOO_LARGE = _json(_ref("Error"), "Request body larger than 1 MiB: PAYLOAD_TOO_LARGE")
DROPPED = _json(_ref("Error"), "A finished job the --max-finished-jobs cap dropped: JOB_DROPPED")
ONE_JOB_ERRORS = {**ERRORS, "410": DROPPED}
CANCEL_ERRORS = {**ONE_JOB_ERRORS, "409": _json(_ref("Error"), "JOB_ALREADY_FINISHED: it completed or failed")}

JOB_ID = {"name": "job_id", "in": "path", "required": True, "schema": {"type": "string"}}


CURSOR = CURSOR_PATTERN.replace("{1,16}", "{0,16}")  # empty: the first page
JOB_LINKS = {
    name: {"operationId": operation, "parameters": {"job_id": "$response.body#/data/avatar/id"}}
    for name, operation in (
        ("GetAvatar", "getAvatar"), ("CancelAvatar", "cancelAvatar"), ("DeleteAvatar", "deleteAvatar")
    )
}


@dataclass(frozen=True, slots=True)
class WebhookTargets:
    """Where this server refuses to send webhooks: its own address, and what --webhook-allow
    leaves out. The document a server serves states them for itself."""

    address: ServerAddress
    allow: tuple[str, ...] = ()


def _one_of(*names: str) -> dict[str, Any]:
    """Exactly one of these fields is given (a null counts as not given)."""
    return {"oneOf": [{"required": [n], "properties": {n: {"type": "string"}}} for n in names]}


def _string(schema: dict[str, Any], **constraints: Any) -> None:
    """Constrain the string branch of an optional (string or null) property; an optional field
    has no default in the document (a generator would take `null` for a value it must send)."""
    schema.pop("default", None)
    branch = next(b for b in schema.get("anyOf", [schema]) if b.get("type") == "string")
    branch.update(constraints)


def _text(schema: dict[str, Any], fixtures: Fixtures) -> None:
    limits = speech_limits(fixtures.pricing)
    _string(schema, pattern=grammar.text_pattern(limits.words), minLength=1, maxLength=limits.chars)
    pricing = fixtures.pricing
    schema["description"] += (
        f"; at most {limits.chars} characters and {limits.words} words (about {pricing.max_duration_seconds:g} s "
        f"of speech at {pricing.words_per_minute:g} words a minute)"
    )


def _audio_url(schema: dict[str, Any], fixtures: Fixtures) -> None:
    most = round(fixtures.pricing.max_duration_seconds * 10)
    _string(schema, pattern=grammar.audio_url_pattern(most))
    schema["description"] += (
        f"; `?duration=N` says how long it is, in seconds rounded to the nearest tenth (halves up): 0.1 to "
        f"{fixtures.pricing.max_duration_seconds:g} (without it, {fixtures.pricing.audio_url_default_seconds:g})"
    )


def _webhook_url(schema: dict[str, Any], targets: WebhookTargets | None) -> None:
    allow = targets.allow if targets is not None else ()
    refused = [{"pattern": grammar.CONTROL_PATH}, {"pattern": grammar.metadata_pattern(allow)}]
    if targets is not None:
        refused.append({"pattern": grammar.self_pattern(targets.address.hosts, targets.address.ports)})
    constraints: dict[str, Any] = {"pattern": grammar.URL}
    if allow:
        constraints["allOf"] = [{"pattern": grammar.allowed_hosts_pattern(allow)}]
    _string(schema, **constraints, **{"not": {"anyOf": refused}})
    schema["description"] += (
        "; not this server itself, no path under /_mock, no cloud metadata service (a link-local address, "
        f"{', '.join(grammar.METADATA_NAMES[:2])}, ...) unless --webhook-allow names that host exactly"
        + (f", and a host --webhook-allow names ({', '.join(allow)})" if allow else "")
    )


def _voice_and_language(props: dict[str, Any], fixtures: Fixtures) -> list[dict[str, Any]]:
    """`language` must suit the voice (or, without one, some voice): one branch per language."""
    by_tag: dict[str, list[str]] = {}
    for voice in fixtures.voices:
        by_tag.setdefault(voice.language, []).append(voice.id)
    _string(props["voice"], enum=[v.id for v in fixtures.voices])
    _string(props["language"], pattern=grammar.language_pattern(list(by_tag)))
    props["language"]["description"] += "; it must suit the voice (or, without a voice, one of the catalogue's)"
    return [
        {"properties": {"voice": {"enum": [*ids, None]},
                        "language": {"type": ["string", "null"], "pattern": grammar.language_pattern([tag])}}}
        for tag, ids in by_tag.items()
    ]


def _avatar_request(fixtures: Fixtures, targets: WebhookTargets | None) -> dict[str, Any]:
    schema = AvatarBody.model_json_schema()
    props = schema["properties"]
    provider = fixtures.provider
    _string(props["service"], enum=[provider.name])
    _string(props["avatarId"], enum=[a.id for a in fixtures.avatars])
    _string(props["version"], enum=list(provider.versions))
    _string(props["aspectRatio"], enum=list(provider.aspect_ratios))
    _string(props["resolution"], enum=list(provider.resolutions))
    _string(props["imageUrl"], pattern=grammar.URL)
    _text(props["text"], fixtures)
    _audio_url(props["audioUrl"], fixtures)
    _webhook_url(props["webhookUrl"], targets)
    pairs = _voice_and_language(props, fixtures)
    schema["allOf"] = [_one_of("text", "audioUrl"), _one_of("avatarId", "imageUrl"), {"anyOf": pairs}]
    schema["examples"] = [minimal_body(fixtures)]
    return schema


def minimal_body(fixtures: Fixtures) -> dict[str, str]:
    """The shortest request the document's snippets make: service, text, avatar and voice."""
    return {"service": fixtures.provider.name, "text": "Hello, welcome to our platform!",
            "avatarId": fixtures.avatars[0].id, "voice": fixtures.voices[0].id}


def _estimate_request(fixtures: Fixtures) -> dict[str, Any]:
    schema = EstimateBody.model_json_schema()
    for name in ("text", "audioUrl"):
        schema["properties"][name].setdefault("description", "What the avatar would say" if name == "text"
                                              else "Recorded speech instead of text")
    _text(schema["properties"]["text"], fixtures)
    _audio_url(schema["properties"]["audioUrl"], fixtures)
    schema.update(_one_of("text", "audioUrl"))
    schema["examples"] = [{"text": minimal_body(fixtures)["text"]}]
    return schema


def openapi(fixtures: Fixtures, base_url: str, targets: WebhookTargets | None = None) -> dict[str, Any]:
    """The document for this server (its fixtures, and where it refuses webhooks) as seen at
    `base_url`; without `targets`, the contract alone (what the checker compares with)."""
    return {**_document(fixtures, targets), "servers": [{"url": base_url}]}


@lru_cache(maxsize=16)
def _document(fixtures: Fixtures, targets: WebhookTargets | None) -> dict[str, Any]:
    job_envelope = _json(_envelope(avatar=_ref("Job")), "The job")
    created = {**job_envelope, "links": JOB_LINKS}
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "doitong-mock REST API",
            "version": __version__,
            "description": "Mock of the Doitong API fronting Hedra's talking-avatar service.",
        },
        "components": {
            "securitySchemes": {
                "apiKey": {"type": "apiKey", "in": "header", "name": "X-API-Key"},
                "bearer": {"type": "http", "scheme": "bearer"},
            },
            "schemas": {
                "Job": JOB,
                "Error": ERROR,
                "AvatarRequest": _avatar_request(fixtures, targets),
                "EstimateRequest": _estimate_request(fixtures),
            },
        },
        "security": [{"apiKey": []}, {"bearer": []}],
        "paths": {
            "/v1/avatar": {
                "post": {
                    "operationId": "createAvatar",
                    "summary": "Start a talking-avatar job",
                    "parameters": [
                        {
                            "name": "Idempotency-Key",
                            "in": "header",
                            "required": False,
                            "description": "Retries with the same key and body return the first job and charge nothing",
                            "schema": {"type": "string", "pattern": grammar.IDEMPOTENCY_KEY},
                        }
                    ],
                    "requestBody": {
                        "required": True,
                        "content": {"application/json": {"schema": _ref("AvatarRequest")}},
                    },
                    "responses": {
                        "200": created,
                        **ERRORS,
                        "402": _json(_ref("Error"), "INSUFFICIENT_CREDITS"),
                        "409": _json(_ref("Error"), "IDEMPOTENCY_KEY_REUSED with another body"),
                        "413": TOO_LARGE,
                    },
                },
                "get": {
                    "operationId": "listAvatars",
                    "summary": "The caller's jobs, newest first",
                    "parameters": [
                        {
                            "name": "limit",
                            "in": "query",
                            "schema": {"type": "integer", "minimum": 1, "maximum": 100, "default": 20},
                        },
                        {"name": "cursor", "in": "query", "schema": {"type": "string", "pattern": CURSOR},
                         "description": "data.pageInfo.endCursor of the page before"},
                        {"name": "status", "in": "query", "schema": {"type": "string", "enum": list(STATUSES)}},
                    ],
                    "responses": {
                        "200": _json(
                            _envelope(
                                avatars={"type": "array", "items": _ref("Job")},
                                pageInfo={
                                    "type": "object",
                                    "properties": {
                                        "hasNextPage": {"type": "boolean"},
                                        "endCursor": NULLABLE_STRING,
                                    },
                                },
                                totalCount={"type": "integer"},
                                cursors={"type": "array", "items": {"type": "string"}},
                            ),
                            "A page of jobs",
                        ),
                        **ERRORS,
                    },
                },
            },
            "/v1/avatar/{job_id}": {
                "parameters": [JOB_ID],
                "get": {
                    "operationId": "getAvatar",
                    "summary": "Poll one job",
                    "responses": {"200": job_envelope, **ONE_JOB_ERRORS},
                },
                "delete": {
                    "operationId": "deleteAvatar",
                    "summary": "Cancel a job (same as POST .../cancel)",
                    "responses": {"200": job_envelope, **CANCEL_ERRORS},
                },
            },
            "/v1/avatar/{job_id}/cancel": {
                "parameters": [JOB_ID],
                "post": {
                    "operationId": "cancelAvatar",
                    "summary": "Cancel a queued or processing job (a cancelled one again: 200, the same job)",
                    "responses": {"200": job_envelope, **CANCEL_ERRORS},
                },
            },
            "/v1/account": {
                "get": {
                    "operationId": "getAccount",
                    "summary": "The caller's plan and credits",
                    "parameters": [{"name": "entries", "in": "query", "schema": {"type": "integer", "default": 20}}],
                    "responses": {"200": _json(_envelope(account={"type": "object"}), "The account"), **ERRORS},
                },
            },
            "/v1/catalog": {
                "get": {
                    "operationId": "getCatalog",
                    "summary": "Avatars and voices",
                    "responses": {
                        "200": _json(
                            _envelope(
                                avatars={"type": "array", "items": {"type": "object"}},
                                voices={"type": "array", "items": {"type": "object"}},
                            ),
                            "The catalogue",
                        ),
                        **ERRORS,
                    },
                },
            },
            "/v1/estimate": {
                "post": {
                    "operationId": "estimateCost",
                    "summary": "What a job would cost",
                    "requestBody": {
                        "required": True,
                        "content": {"application/json": {"schema": _ref("EstimateRequest")}},
                    },
                    "responses": {
                        "413": TOO_LARGE,
                        "200": _json(
                            _envelope(
                                estimate={
                                    "type": "object",
                                    "required": ["duration", "credits", "tier"],
                                    "properties": {
                                        "duration": {"type": "number"},
                                        "credits": {"type": "integer"},
                                        "tier": {"type": "string"},
                                    },
                                }
                            ),
                            "The estimate",
                        ),
                        **ERRORS,
                    },
                },
            },
        },
    }
