"""The OpenAPI document of the REST surface, built from the same models the routes validate with.

It imports no web framework: `doitong-mock check` reads it as the expectations of the REST surface."""

from __future__ import annotations

from functools import cache
from typing import Any

from .. import __version__
from ..core.jobs import STATUSES
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

JOB_ID = {"name": "job_id", "in": "path", "required": True, "schema": {"type": "string"}}


@cache
def openapi() -> dict[str, Any]:
    job_envelope = _json(_envelope(avatar=_ref("Job")), "The job")
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
                "AvatarRequest": AvatarBody.model_json_schema(),
                "EstimateRequest": EstimateBody.model_json_schema(),
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
                        "200": job_envelope,
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
                        {"name": "cursor", "in": "query", "schema": {"type": "string"}},
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
                    "operationId": "getAvatar", "summary": "Poll one job", "responses": {"200": job_envelope, **ERRORS}
                },
                "delete": {
                    "operationId": "deleteAvatar",
                    "summary": "Cancel a job (same as POST .../cancel)",
                    "responses": {"200": job_envelope, **ERRORS, "409": _json(_ref("Error"), "JOB_ALREADY_FINISHED")},
                },
            },
            "/v1/avatar/{job_id}/cancel": {
                "parameters": [JOB_ID],
                "post": {
                    "operationId": "cancelAvatar",
                    "summary": "Cancel a queued or processing job",
                    "responses": {"200": job_envelope, **ERRORS, "409": _json(_ref("Error"), "JOB_ALREADY_FINISHED")},
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
