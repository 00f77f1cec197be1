"""Thin resolvers: each turns its arguments into one call of the emulated API (`core.api.Api`)
and answers with the same wire shapes as REST (`wire.views`)."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from typing import Any

from ariadne import MutationType, ObjectType, QueryType, SubscriptionType
from graphql import GraphQLResolveInfo

from ..core.api import ENTRIES
from ..core.inputs import from_flat, from_generate
from ..core.jobs import PAGE_SIZE, Job, encode_cursor
from ..core.ledger import MAX_ENTRIES
from ..wire import shapes, views
from .context import Context

query = QueryType()
mutation = MutationType()
credits = ObjectType("Credits")
generation = ObjectType("Generation")
subscription = SubscriptionType()
catalog = ObjectType("Catalog")


def _ctx(info: GraphQLResolveInfo[Any]) -> Context:
    context: Context = info.context
    return context


def _view(ctx: Context, job: Job) -> shapes.Job:
    return views.job_view(job, ctx.api.now(job))


@query.field("avatar")
@query.field("generation")
def resolve_job(_: Any, info: GraphQLResolveInfo[Any], id: str) -> shapes.Job:
    ctx = _ctx(info)
    api = ctx.api
    return _view(ctx, api.job(ctx.account, id))


@query.field("generations")
def resolve_generations(
    _: Any, info: GraphQLResolveInfo[Any], first: int | None = PAGE_SIZE, after: str | None = None,
    status: str | None = None,
) -> dict[str, Any]:
    ctx = _ctx(info)
    api = ctx.api
    page = api.jobs(ctx.account, first=PAGE_SIZE if first is None else first, after=after, status=status)
    nodes = [_view(ctx, job) for job in page.jobs]
    return {
        "edges": [{"cursor": encode_cursor(j.seq), "node": n} for j, n in zip(page.jobs, nodes, strict=True)],
        "nodes": nodes,
        "pageInfo": views.page_info(page),
        "totalCount": page.total,
    }


@query.field("account")
def resolve_account(_: Any, info: GraphQLResolveInfo[Any]) -> shapes.Account:
    ctx = _ctx(info)
    api = ctx.api
    return views.account_view(api.account(ctx.account, entries=MAX_ENTRIES))


@credits.field("entries")
def resolve_entries(obj: dict[str, Any], _: GraphQLResolveInfo[Any], last: int | None = ENTRIES) -> list[Any]:
    entries: list[Any] = obj["entries"]
    return entries[: max(ENTRIES if last is None else last, 0)]


@generation.field("deliveries")
def resolve_deliveries(obj: dict[str, Any], info: GraphQLResolveInfo[Any]) -> list[shapes.Delivery]:
    ctx = _ctx(info)
    api = ctx.api
    return [views.delivery_view(d) for d in api.deliveries(ctx.account, obj["id"])]


@query.field("catalog")
def resolve_catalog(_: Any, info: GraphQLResolveInfo[Any]) -> shapes.Catalog:
    ctx = _ctx(info)
    api = ctx.api
    return views.catalog_view(api.catalog(), ctx.base_url)


@catalog.field("voices")
def resolve_voices(obj: dict[str, Any], info: GraphQLResolveInfo[Any], language: str | None = None) -> list[Any]:
    voices: list[dict[str, Any]] = obj["voices"]
    if language is None:
        return voices
    api = _ctx(info).api
    matching = {v.id for v in api.voices(language)}
    return [v for v in voices if v["id"] in matching]


@query.field("estimateCost")
def resolve_estimate(
    _: Any, info: GraphQLResolveInfo[Any], text: str | None = None, audioUrl: str | None = None
) -> shapes.Estimate:
    api = _ctx(info).api
    return views.estimate_view(api.estimate(text, audioUrl))


@mutation.field("generate")
def resolve_generate(_: Any, info: GraphQLResolveInfo[Any], input: dict[str, Any]) -> shapes.Job:
    ctx = _ctx(info)
    return _view(ctx, ctx.submit(from_generate(input)))


@mutation.field("generateAvatar")
def resolve_generate_avatar(_: Any, info: GraphQLResolveInfo[Any], input: dict[str, Any]) -> shapes.Job:
    ctx = _ctx(info)
    return _view(ctx, ctx.submit(from_flat(input)))


@mutation.field("cancelGeneration")
def resolve_cancel(_: Any, info: GraphQLResolveInfo[Any], id: str) -> shapes.Job:
    ctx = _ctx(info)
    api = ctx.api
    return _view(ctx, api.cancel(ctx.account, id))


@subscription.source("generationUpdated")
async def watch_generation(_: Any, info: GraphQLResolveInfo[Any], id: str) -> AsyncGenerator[shapes.Job, None]:
    ctx = _ctx(info)
    api = ctx.api
    job = api.job(ctx.account, id)
    async for view in api.watch(job, lambda j: _view(ctx, j)):
        yield view


@subscription.field("generationUpdated")
def resolve_generation_updated(view: dict[str, Any], _: GraphQLResolveInfo[Any], id: str) -> dict[str, Any]:
    return view


bindables = [query, mutation, credits, catalog, generation, subscription]
