"""Thin resolvers: each turns its arguments into one call of the app's `Service`."""

from __future__ import annotations

from typing import Any

from collections.abc import AsyncIterator

from ariadne import MutationType, ObjectType, QueryType, SubscriptionType
from graphql import GraphQLResolveInfo

from ..inputs import from_flat, from_generate
from ..jobs import encode_cursor

query = QueryType()
mutation = MutationType()
credits = ObjectType("Credits")
generation = ObjectType("Generation")
subscription = SubscriptionType()
catalog = ObjectType("Catalog")


def _ctx(info: GraphQLResolveInfo) -> Any:
    return info.context


@query.field("avatar")
@query.field("generation")
def resolve_job(_: Any, info: GraphQLResolveInfo, id: str) -> dict:
    ctx = _ctx(info)
    return ctx.service.view(ctx.service.job(ctx.account, id))


@query.field("generations")
def resolve_generations(
    _: Any, info: GraphQLResolveInfo, first: int | None = 20, after: str | None = None, status: str | None = None
) -> dict:
    ctx = _ctx(info)
    first = 20 if first is None else first  # an explicit null means the default
    page = ctx.service.list_jobs(ctx.account, first=first, after=after, status=status)
    nodes = [ctx.service.view(job) for job in page.jobs]
    return {
        "edges": [{"cursor": encode_cursor(j.seq), "node": n} for j, n in zip(page.jobs, nodes)],
        "nodes": nodes,
        "pageInfo": {"hasNextPage": page.has_next, "endCursor": page.end_cursor},
        "totalCount": page.total,
    }


@query.field("account")
def resolve_account(_: Any, info: GraphQLResolveInfo) -> dict:
    ctx = _ctx(info)
    return ctx.service.account_view(ctx.account, entries=1000)


@credits.field("entries")
def resolve_entries(obj: dict, _: GraphQLResolveInfo, last: int | None = 20) -> list:
    return obj["entries"][: max(20 if last is None else last, 0)]


@generation.field("deliveries")
def resolve_deliveries(obj: dict, info: GraphQLResolveInfo) -> list:
    return [d.to_dict() for d in _ctx(info).service.webhooks.for_job(obj["id"])]


@query.field("catalog")
def resolve_catalog(_: Any, info: GraphQLResolveInfo) -> dict:
    ctx = _ctx(info)
    return ctx.service.catalog(ctx.base_url)


@catalog.field("voices")
def resolve_voices(obj: dict, _: GraphQLResolveInfo, language: str | None = None) -> list:
    if language is None:
        return obj["voices"]
    lang = language.lower()
    return [v for v in obj["voices"] if v["language"].lower() in (lang,) or v["language"].lower().split("-")[0] == lang]


@query.field("estimateCost")
def resolve_estimate(
    _: Any, info: GraphQLResolveInfo, text: str | None = None, audioUrl: str | None = None
) -> dict:
    return _ctx(info).service.estimate(text, audioUrl)


@mutation.field("generate")
def resolve_generate(_: Any, info: GraphQLResolveInfo, input: dict) -> dict:
    ctx = _ctx(info)
    return ctx.service.view(ctx.submit(from_generate(input)))


@mutation.field("generateAvatar")
def resolve_generate_avatar(_: Any, info: GraphQLResolveInfo, input: dict) -> dict:
    ctx = _ctx(info)
    return ctx.service.view(ctx.submit(from_flat(input)))


@mutation.field("cancelGeneration")
def resolve_cancel(_: Any, info: GraphQLResolveInfo, id: str) -> dict:
    ctx = _ctx(info)
    return ctx.service.view(ctx.service.cancel(ctx.account, id))


@subscription.source("generationUpdated")
async def watch_generation(_: Any, info: GraphQLResolveInfo, id: str) -> AsyncIterator[dict]:
    ctx = _ctx(info)
    service = ctx.service
    job = service.job(ctx.account, id)
    async for view in service.updates.watch(job, service.view, service.sync):
        yield view


@subscription.field("generationUpdated")
def resolve_generation_updated(view: dict, _: GraphQLResolveInfo, id: str) -> dict:
    return view


bindables = [query, mutation, credits, catalog, generation, subscription]
