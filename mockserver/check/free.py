"""The free checks: authentication, validation, an unknown job, the catalogue, the account, the
cost estimate and the GraphQL schema. None of them can start a job on a conforming server, and
with the key they make ten requests (a Free plan's minute), so they fit any plan's window.

Requests with a missing or wrong key are not counted by the mock (there is no account to count
them against), and introspection needs no key there either.
"""

from __future__ import annotations

import secrets
from typing import Any

from . import expectations as expect
from .client import Exchange
from .identify import require_the_api
from .report import DRIFT, NOTE, OK, SKIP
from .run import KeyRefused, Run, dig, error_code
from .schema_diff import INTROSPECTION_QUERY, client_schema, compare_schemas
from .shapes import Selection, selection_text


def run_free(run: Run) -> None:
    key_accepted(run)
    authentication(run)
    introspection(run)
    graphql_reads(run)
    rest_reads(run)
    unknown_job(run)
    validation(run)


def key_accepted(run: Run) -> None:
    """First, the key under test on the REST account read: a refusal ends the run (exit 2)."""
    op = "GET /v1/account"
    exchange = run.client.request(op, "GET", "/v1/account", auth="api-key", retry_on_429=True)
    require_the_api(run, exchange)
    if exchange.status in (expect.UNAUTHENTICATED.status, expect.FORBIDDEN.status):
        raise KeyRefused(f"{op} with the key answered {exchange.status} {error_code(exchange) or ''}".strip())
    run.accepted(op, "X-API-Key accepted", exchange)
    if not run.status(op, exchange, 200):
        return
    body = run.rest_shape(op, exchange, "/v1/account", "get", {"data.account": "Account"})
    account = dig(body, "data.account")
    if isinstance(account, dict):
        learn_account(run, op, account)


def learn_account(run: Run, op: str, account: dict[str, Any]) -> None:
    """What the account says about the plan (the rate-limit checks need it) and its credits."""
    first = run.state.account is None
    run.state.account = account
    plan = account.get("plan")
    if isinstance(plan, dict) and "requestsPerMinute" in plan:
        rpm = plan.get("requestsPerMinute")
        run.state.plan_known = True
        run.state.requests_per_minute = rpm if isinstance(rpm, int) else None
        if first:
            documented = expect.plan_limits(str(plan.get("id", "")))
            if documented is not None:
                for name, value in documented.items():
                    run.compare(op, f"plan {plan.get('id')}: {name} (the document's table)", value, plan.get(name))
    credits = account.get("credits")
    if isinstance(credits, dict) and all(isinstance(credits.get(k), int) for k in ("balance", "available", "held")):
        run.compare(op, "credits.balance = available + held", credits["balance"],
                    credits["available"] + credits["held"])


def authentication(run: Run) -> None:
    """No key and a wrong key, on both surfaces: 401 UNAUTHENTICATED in the document's format."""
    probes = [
        ("GET /v1/account (no key)", None, None),
        ("GET /v1/account (wrong X-API-Key)", "api-key", run.bad_key()),
    ]
    for op, auth, key in probes:
        exchange = run.client.request(op, "GET", "/v1/account", auth=auth, key=key or "")
        run.error(op, exchange, expect.UNAUTHENTICATED)
    query = "query DoitongCheckAuth { account { id } }"
    for op, auth, key in (("POST /graphql account (no key)", None, None),
                          ("POST /graphql account (wrong Bearer key)", "bearer", run.bad_key())):
        exchange = run.client.graphql(op, query, auth=auth, key=key or "")
        run.error(op, exchange, expect.UNAUTHENTICATED)


def introspection(run: Run) -> None:
    """The target's schema against ours. Without a key first, as the mock allows it (explorers
    load the schema that way); with the key when the target wants one."""
    op = "POST /graphql introspection"
    exchange = run.client.graphql(op, INTROSPECTION_QUERY, auth=None)
    if exchange.status in (401, 403):
        run.add(op, "introspection without a key", "allowed (as the mock does)",
                f"refused ({exchange.status} {error_code(exchange) or ''}); asked again with the key", NOTE)
        exchange = run.client.graphql(op, INTROSPECTION_QUERY, auth="bearer", retry_on_429=True)
        run.accepted(op, "Authorization: Bearer accepted", exchange)
    if not run.status(op, exchange, 200):
        return
    data = dig(exchange.json, "data")
    try:
        theirs = client_schema(data)
    except (TypeError, ValueError, KeyError, AttributeError) as exc:
        run.add(op, "introspection result", "a schema (data.__schema)", f"unusable: {exc}", DRIFT)
        return
    run.state.their_schema = theirs
    differences = compare_schemas(expect.schema(), theirs)
    drift = [d for d in differences if not d.only_in_target]
    for d in differences:
        run.add("GraphQL schema", f"{d.aspect} {d.where}", d.expected, d.found, NOTE if d.only_in_target else DRIFT)
    if not drift:
        run.add("GraphQL schema", "types, fields, arguments, nullability of schema.graphql",
                "all present and the same", "all present and the same")


def graphql_reads(run: Run) -> None:
    """The account, the catalogue and an estimate in one query, with X-API-Key on /graphql."""
    op = "POST /graphql account, catalog, estimateCost"
    query_type = expect.schema().query_type
    their_query = run.state.their_schema.query_type if run.state.their_schema else query_type
    fields: dict[str, Selection] = {}
    for name, type_name in (("account", "Account"), ("catalog", "Catalog"), ("estimateCost", "CostEstimate")):
        if their_query is None or name not in their_query.fields:
            run.add(op, f"Query.{name}", "present", "missing from the target's schema: not asked", SKIP)
            continue
        fields[name] = run.selection(type_name)
    if not fields:
        return
    parts = [f"{name}{'(text: $text)' if name == 'estimateCost' else ''} {selection_text(sel)}"
             for name, sel in fields.items()]
    query = f"query DoitongCheckReads($text: String) {{ {' '.join(parts)} }}"
    variables = {"text": expect.SHORTEST_TEXT}
    exchange = run.client.graphql(op, query, variables, auth="api-key", retry_on_429=True)
    if exchange.status in (401, 403):
        run.add(op, "X-API-Key accepted on /graphql", "accepted", f"refused ({exchange.status} "
                f"{error_code(exchange) or ''}); asked again with Authorization: Bearer", DRIFT)
        exchange = run.client.graphql(op, query, variables, auth="bearer", retry_on_429=True)
    else:
        run.accepted(op, "X-API-Key accepted on /graphql", exchange)
    if not run.status(op, exchange, 200):
        return
    data = dig(exchange.json, "data")
    for name, selection in fields.items():
        run.graphql_shape(f"POST /graphql {name}", data, name, selection)
    account = dig(data, "account")
    if isinstance(account, dict):
        learn_account(run, "POST /graphql account", account)
    catalog = dig(data, "catalog")
    if isinstance(catalog, dict):
        catalogue_has_the_documents_avatar_and_voice(run, "POST /graphql catalog", catalog)
    estimate = dig(data, "estimateCost")
    if isinstance(estimate, dict):
        estimate_in_price_table(run, "POST /graphql estimateCost", estimate)


def rest_reads(run: Run) -> None:
    """The catalogue (with Authorization: Bearer on REST) and the estimate."""
    op = "GET /v1/catalog"
    exchange = run.client.request(op, "GET", "/v1/catalog", auth="bearer", retry_on_429=True)
    if exchange.status in (401, 403):
        run.add(op, "Authorization: Bearer accepted on REST", "accepted",
                f"refused ({exchange.status} {error_code(exchange) or ''}); asked again with X-API-Key", DRIFT)
        exchange = run.client.request(op, "GET", "/v1/catalog", auth="api-key", retry_on_429=True)
    else:
        run.accepted(op, "Authorization: Bearer accepted on REST", exchange)
    if run.status(op, exchange, 200):
        body = run.rest_shape(op, exchange, "/v1/catalog", "get", {"data": "Catalog"})
        if isinstance(dig(body, "data"), dict):
            catalogue_has_the_documents_avatar_and_voice(run, op, dig(body, "data"))

    op = "POST /v1/estimate"
    exchange = run.client.request(op, "POST", "/v1/estimate", json={"text": expect.SHORTEST_TEXT},
                                  retry_on_429=True)
    if run.status(op, exchange, 200):
        body = run.rest_shape(op, exchange, "/v1/estimate", "post", {"data.estimate": "CostEstimate"})
        estimate = dig(body, "data.estimate")
        if isinstance(estimate, dict):
            graphql_estimate = run.state.estimate
            estimate_in_price_table(run, op, estimate)
            if graphql_estimate is not None:
                run.compare(op, "the same estimate as GraphQL estimateCost", graphql_estimate, estimate)


def catalogue_has_the_documents_avatar_and_voice(run: Run, op: str, catalog: dict[str, Any]) -> None:
    for kind, wanted in (("avatars", expect.DOC_AVATAR), ("voices", expect.DOC_VOICE)):
        items = catalog.get(kind)
        ids = [item.get("id") for item in items if isinstance(item, dict)] if isinstance(items, list) else []
        run.compare(op, f"{kind} include the document's {wanted}", "present",
                    "present" if wanted in ids else f"absent (has: {', '.join(map(str, ids)) or 'none'})")


def estimate_in_price_table(run: Run, op: str, estimate: dict[str, Any]) -> None:
    """The estimate of the shortest text falls in the document's price table."""
    duration, credits = estimate.get("duration"), estimate.get("credits")
    if not isinstance(duration, (int, float)) or not isinstance(credits, int):
        return
    tier = expect.tier_for(duration)
    if tier is None:
        run.add(op, "duration within the price table", "at most the longest tier", duration, DRIFT)
        return
    name, low, high = tier
    run.compare(op, f"tier of {duration:g} s of speech", name, estimate.get("tier"))
    run.compare(op, f"credits within the {name} tier's range", f"{low}-{high}",
                f"{low}-{high}" if low <= credits <= high else str(credits))
    if run.state.estimate is None:
        run.state.estimate = {k: estimate.get(k) for k in ("duration", "credits", "tier")}


def unknown_job(run: Run) -> None:
    op = "GET /v1/avatar/{id} (unknown id)"
    exchange = run.client.request(op, "GET", f"/v1/avatar/{run.missing_id()}", retry_on_429=True)
    run.error(op, exchange, expect.NOT_FOUND)
    op = "POST /graphql avatar(id) (unknown id)"
    query = "query DoitongCheckUnknown($id: ID!) { avatar(id: $id) { id status } }"
    exchange = run.client.graphql(op, query, {"id": run.missing_id()}, auth="bearer", retry_on_429=True)
    run.accepted(op, "Authorization: Bearer accepted on /graphql", exchange)
    run.error(op, exchange, expect.NOT_FOUND)


def validation(run: Run) -> None:
    """Bad input on both surfaces and both mutation shapes: 400 BAD_USER_INPUT naming the field.

    Should a server accept one, the job it started is cancelled at once (the contract charges
    nothing for a cancelled job) and the acceptance is reported."""
    flat = {"service": expect.provider(), "avatarId": expect.DOC_AVATAR, "voice": expect.DOC_VOICE}
    for op, body in (("POST /v1/avatar (empty text)", {**flat, "text": ""}),
                     ("POST /v1/avatar (text is a number)", {**flat, "text": 42})):
        exchange = run.client.request(op, "POST", "/v1/avatar", json=body, headers=_idempotency(run))
        run.error(op, exchange, expect.BAD_USER_INPUT, "text")
        _cancel_if_started(run, op, dig(exchange.json, "data.avatar.id"), rest=True)

    op = "POST /graphql generate (unknown avatarId)"
    content = {"text": expect.SHORTEST_TEXT, "avatarId": f"doitong-check-no-such-avatar-{run.token}"}
    variables = {"input": {"type": expect.JOB_TYPE, "provider": expect.provider(), "input": content,
                           "options": {"voice": expect.DOC_VOICE}}}
    query = "mutation DoitongCheckGenerate($input: GenerateInput!) { generate(input: $input) { id status } }"
    exchange = run.client.graphql(op, query, variables, headers=_idempotency(run))
    run.error(op, exchange, expect.BAD_USER_INPUT, "avatarId")
    _cancel_if_started(run, op, dig(exchange.json, "data.generate.id"), rest=False)

    op = "POST /graphql generateAvatar (text is a number)"
    query = ("mutation DoitongCheckGenerateAvatar($input: AvatarGenerationInput!) "
             "{ generateAvatar(input: $input) { id status } }")
    exchange = run.client.graphql(op, query, {"input": {**flat, "text": 42}}, headers=_idempotency(run))
    run.error(op, exchange, expect.BAD_USER_INPUT, "text")
    _cancel_if_started(run, op, dig(exchange.json, "data.generateAvatar.id"), rest=False)


def _idempotency(run: Run) -> dict[str, str]:
    """Every request that could start a job carries a key of its own: never a second job by retry."""
    return {"Idempotency-Key": f"doitong-check-{run.token}-{secrets.token_hex(6)}"}


def _cancel_if_started(run: Run, op: str, job_id: Any, *, rest: bool) -> None:
    if not isinstance(job_id, str) or not job_id:
        return
    run.add(op, "no job started by invalid input", "none", f"job {job_id} started", DRIFT)
    if rest:
        exchange: Exchange = run.client.request(f"{op}: cancel", "POST", f"/v1/avatar/{job_id}/cancel")
    else:
        exchange = run.client.graphql(
            f"{op}: cancel", "mutation DoitongCheckCancel($id: ID!) { cancelGeneration(id: $id) { id status } }",
            {"id": job_id})
    found = "cancelled" if exchange.status == 200 else f"cancel answered {exchange.status}"
    run.add(op, "the job it started was cancelled (nothing charged)", "cancelled", found,
            OK if exchange.status == 200 else DRIFT)
