"""The REST request bodies, as pydantic models: what the routes validate with and what the
OpenAPI document describes. No web framework here, so the OpenAPI document (and the conformance
checker, which reads it) can be built without starlette."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from ..core.inputs import MAX_NAME, MAX_TEXT, MAX_URL

# The lengths of core.inputs.FIELD_LIMITS, which GraphQL is held to as well.
Text = Annotated[str, Field(max_length=MAX_TEXT)]
Url = Annotated[str, Field(max_length=MAX_URL)]
Name = Annotated[str, Field(max_length=MAX_NAME)]


class AvatarBody(BaseModel):
    """`POST /v1/avatar`: the document's parameter table plus the job fields."""

    model_config = ConfigDict(extra="forbid", strict=True, title="AvatarRequest")

    service: Name = Field(description='Service identifier: "hedra"')
    text: Text | None = Field(None, description="What the avatar says (or give audioUrl)")
    avatarId: Name | None = Field(None, description="A catalogue avatar (or give imageUrl)")
    imageUrl: Url | None = Field(None, description="Your own portrait instead of avatarId")
    audioUrl: Url | None = Field(None, description="Recorded speech instead of text")
    voice: Name | None = Field(None, description="A catalogue voice, e.g. en-US-neural")
    language: Name | None = Field(None, description='e.g. "en" or "en-US"')
    version: Name | None = Field(None, description='Model version: "hedra-1.0"')
    webhookUrl: Url | None = Field(None, description="URL to receive completion notifications")
    aspectRatio: Name | None = Field(None, description='"16:9", "9:16" or "1:1"')
    resolution: Name | None = Field(None, description='"540p", "720p" or "1080p"')


class EstimateBody(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, title="EstimateRequest")

    text: Text | None = None
    audioUrl: Url | None = None
