"""Thin resolvers: each turns its arguments into one call of the emulator and answers with the
same wire shapes as REST (`web.views`)."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from typing import Any

from ariadne import MutationType, ObjectType, QueryType, SubscriptionType
from graphql import GraphQLResolveInfo

from ..core.inputs import from_flat, from_generate
from ..core.jobs import encode_cursor
from ..web import views
from .endpoint import Context

query = QueryType()
mutation = MutationType()
credits = ObjectType("Credits")
generation = ObjectType("Generation")
subscription = SubscriptionType()
catalog = ObjectType("Catalog")


def _ctx(info: GraphQLResolveInfo[Any]) -> Context:
    context: Context = info.context
    return context


def _view(ctx: Context, job: Any) -> dict[str, Any]:
    return views.job_view(job, ctx.emulator.now(job.account_key))


@query.field("avatar")
@query.field("generation")
def resolve_job(_: Any, info: GraphQLResolveInfo[Any], id: str) -> dict[str, Any]:
    ctx = _ctx(info)
    return _view(ctx, ctx.emulator.job(ctx.account, id))


@query.field("generations")
def resolve_generations(
    _: Any, info: GraphQLResolveInfo[Any], first: int | None = 20, after: str | None = None, status: str | None = None
) -> dict[str, Any]:
    ctx = _ctx(info)
    first = 20 if first is None else first  # an explicit null means the default
    page = ctx.emulator.list_jobs(ctx.account, first=first, after=after, status=status)
    nodes = [_view(ctx, job) for job in page.jobs]
    return {
        "edges": [{"cursor": encode_cursor(j.seq), "node": n} for j, n in zip(page.jobs, nodes, strict=True)],
        "nodes": nodes,
        "pageInfo": views.page_info(page),
        "totalCount": page.total,
    }


@query.field("account")
def resolve_account(_: Any, info: GraphQLResolveInfo[Any]) -> dict[str, Any]:
    ctx = _ctx(info)
    return views.account_view(ctx.emulator, ctx.account, entries=1000)


@credits.field("entries")
def resolve_entries(obj: dict[str, Any], _: GraphQLResolveInfo[Any], last: int | None = 20) -> list[Any]:
    entries: list[Any] = obj["entries"]
    return entries[: max(20 if last is None else last, 0)]


@generation.field("deliveries")
def resolve_deliveries(obj: dict[str, Any], info: GraphQLResolveInfo[Any]) -> list[dict[str, Any]]:
    return [views.delivery_view(d) for d in _ctx(info).emulator.deliveries(job_id=obj["id"])]


@query.field("catalog")
def resolve_catalog(_: Any, info: GraphQLResolveInfo[Any]) -> dict[str, Any]:
    ctx = _ctx(info)
    return views.catalog_view(ctx.emulator.fixtures, ctx.base_url)


@catalog.field("voices")
def resolve_voices(obj: dict[str, Any], info: GraphQLResolveInfo[Any], language: str | None = None) -> list[Any]:
    voices: list[dict[str, Any]] = obj["voices"]
    if language is None:
        return voices
    matching = {v.id for v in _ctx(info).emulator.fixtures.voices_for(language)}
    return [v for v in voices if v["id"] in matching]


@query.field("estimateCost")
def resolve_estimate(
    _: Any, info: GraphQLResolveInfo[Any], text: str | None = None, audioUrl: str | None = None
) -> dict[str, Any]:
    return views.estimate_view(_ctx(info).emulator.estimate(text, audioUrl))


@mutation.field("generate")
def resolve_generate(_: Any, info: GraphQLResolveInfo[Any], input: dict[str, Any]) -> dict[str, Any]:
    ctx = _ctx(info)
    return _view(ctx, ctx.submit(from_generate(input)))


@mutation.field("generateAvatar")
def resolve_generate_avatar(_: Any, info: GraphQLResolveInfo[Any], input: dict[str, Any]) -> dict[str, Any]:
    ctx = _ctx(info)
    return _view(ctx, ctx.submit(from_flat(input)))


@mutation.field("cancelGeneration")
def resolve_cancel(_: Any, info: GraphQLResolveInfo[Any], id: str) -> dict[str, Any]:
    ctx = _ctx(info)
    return _view(ctx, ctx.emulator.cancel(ctx.account, id))


@subscription.source("generationUpdated")
async def watch_generation(_: Any, info: GraphQLResolveInfo[Any], id: str) -> AsyncGenerator[dict[str, Any], None]:
    ctx = _ctx(info)
    emulator = ctx.emulator
    job = emulator.job(ctx.account, id)
    async for view in emulator.watch(job, lambda j: _view(ctx, j)):
        yield view


@subscription.field("generationUpdated")
def resolve_generation_updated(view: dict[str, Any], _: GraphQLResolveInfo[Any], id: str) -> dict[str, Any]:
    return view


bindables = [query, mutation, credits, catalog, generation, subscription]
