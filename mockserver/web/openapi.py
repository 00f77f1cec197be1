"""The OpenAPI document of the REST surface, built from the same models the routes validate with,
and from the fixtures the server runs on: the catalogue's ids are enums, the rules between fields
(text or audioUrl, avatarId or imageUrl) are stated, and the ids a submission answers with are
linked to the routes that take them.

What JSON Schema cannot state is said in the descriptions: a language must suit the voice, and
the text may hold at most the speech of the price table's last tier. It imports no web framework:
`doitong-mock check` reads it as the expectations of the REST surface.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from .. import __version__
from ..core.fixtures import Fixtures
from ..core.jobs import CURSOR_PATTERN, STATUSES
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
CANCEL_ERRORS = {**ONE_JOB_ERRORS, "409": _json(_ref("Error"), "JOB_ALREADY_FINISHED")}

JOB_ID = {"name": "job_id", "in": "path", "required": True, "schema": {"type": "string"}}


URL = r"^https?://[^\s/?#@\x00-\x1f]+(/[^\s\x00-\x1f]*)?$"
PLAIN_TEXT = r"^[^\x00-\x08\x0b\x0c\x0e-\x1f]*$"
CURSOR = CURSOR_PATTERN.replace("{1,16}", "{0,16}")  # empty: the first page
JOB_LINKS = {
    name: {"operationId": operation, "parameters": {"job_id": "$response.body#/data/avatar/id"}}
    for name, operation in (
        ("GetAvatar", "getAvatar"), ("CancelAvatar", "cancelAvatar"), ("DeleteAvatar", "deleteAvatar")
    )
}


def _one_of(*names: str) -> dict[str, Any]:
    """Exactly one of these fields is given (a null counts as not given)."""
    return {"oneOf": [{"required": [n], "properties": {n: {"type": "string"}}} for n in names]}


def _string(schema: dict[str, Any], **constraints: Any) -> None:
    """Constrain the string branch of an optional (string or null) property."""
    branch = next(b for b in schema.get("anyOf", [schema]) if b.get("type") == "string")
    branch.update(constraints)


def _avatar_request(fixtures: Fixtures) -> dict[str, Any]:
    schema = AvatarBody.model_json_schema()
    props = schema["properties"]
    provider = fixtures.provider
    _string(props["service"], enum=[provider.name])
    _string(props["avatarId"], enum=[a.id for a in fixtures.avatars.avatars])
    _string(props["voice"], enum=[v.id for v in fixtures.voices.voices])
    _string(props["version"], enum=list(provider.versions))
    _string(props["aspectRatio"], enum=list(provider.aspect_ratios))
    _string(props["resolution"], enum=list(provider.resolutions))
    _string(props["language"], pattern=r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*$")
    for name in ("imageUrl", "audioUrl", "webhookUrl"):
        _string(props[name], pattern=URL)
    _string(props["text"], pattern=PLAIN_TEXT, minLength=1)
    limit = fixtures.pricing.max_duration_seconds
    props["text"]["description"] += (
        f"; at most {limit:g} s of speech at {fixtures.pricing.words_per_minute:g} words a minute"
    )
    props["language"]["description"] += "; it must suit the voice"
    schema["allOf"] = [_one_of("text", "audioUrl"), _one_of("avatarId", "imageUrl")]
    return schema


def _estimate_request() -> dict[str, Any]:
    schema = EstimateBody.model_json_schema()
    _string(schema["properties"]["text"], pattern=PLAIN_TEXT, minLength=1)
    _string(schema["properties"]["audioUrl"], pattern=URL)
    schema.update(_one_of("text", "audioUrl"))
    return schema


def openapi(fixtures: Fixtures, base_url: str) -> dict[str, Any]:
    """The document for this server (its fixtures) as seen at `base_url`."""
    return {**_document(fixtures), "servers": [{"url": base_url}]}


@lru_cache(maxsize=4)
def _document(fixtures: Fixtures) -> dict[str, Any]:
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
                "AvatarRequest": _avatar_request(fixtures),
                "EstimateRequest": _estimate_request(),
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
                            "schema": {"type": "string", "minLength": 1, "maxLength": 255},
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
                    "summary": "Cancel a queued or processing job",
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
