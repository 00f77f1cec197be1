"""`--spend`: the shortest job, through the chosen shapes (`generate` and `generateAvatar` on
GraphQL, `POST /v1/avatar` on REST), one after another so a one-job-at-a-time plan is enough.

Each is priced from the estimate and confirmed before anything is sent, carries an
`Idempotency-Key` and is never re-sent, is polled with a back-off no faster than the plan's minute
allows, and is checked through to its video, its credits and (with `--webhook-url`) its webhook.
"""

from __future__ import annotations

import itertools
import json
import re
import time
import uuid
from typing import Any

from ..core.signing import verify_signature
from . import expectations as expect
from .client import Exchange, Unreachable, integer
from .media import probe
from .report import DRIFT, OK, SKIP
from .run import Run, dig, error_code
from .shapes import Mismatch, check_graphql, check_json_schema, selection_text
from .webhook import Arrival, Listener

SHAPES = {
    "rest": ("rest",),
    "graphql": ("generate", "generateAvatar"),
    "both": ("generate", "generateAvatar", "rest"),
}
LABELS = {"generate": "POST /graphql generate", "generateAvatar": "POST /graphql generateAvatar",
          "rest": "POST /v1/avatar"}
ORDER = {"queued": 0, "processing": 1, "completed": 2, "failed": 2, "cancelled": 2}
FIRST_POLL, MAX_POLL = 1.0, 15.0
SIGNATURE = re.compile(r"^sha256=[0-9a-f]{64}$")


def shapes_for(surface: str) -> tuple[str, ...]:
    return SHAPES[surface]


def prompt(run: Run, shapes: tuple[str, ...]) -> str | None:
    """What the jobs will cost, from the estimate; None when there is no estimate to tell it."""
    estimate = run.state.estimate
    if estimate is None or not isinstance(estimate.get("credits"), int):
        return None
    credits = estimate["credits"]
    available = dig(run.state.account, "credits.available")
    jobs = f"{len(shapes)} paid job{'s' if len(shapes) > 1 else ''}"
    return (
        f"About to start {jobs} on {run.options.base_url}, one after another:\n"
        f'  text "{expect.SHORTEST_TEXT}" ({estimate.get("duration")} s of speech), avatar {expect.DOC_AVATAR}, '
        f"voice {expect.DOC_VOICE}\n"
        f"  through {', '.join(LABELS[s] for s in shapes)}\n"
        f"  estimated cost: {credits} credits each ({estimate.get('tier')} tier), {credits * len(shapes)} in all"
        + (f"; available now: {available}" if available is not None else "")
    )


def run_spend(run: Run, listener: Listener | None) -> None:
    shapes = shapes_for(run.options.surface)
    text = prompt(run, shapes)
    if text is None:
        run.add("spend", "the price of the job, before it is sent", "an estimate",
                "no usable estimate (see above): nothing spent", SKIP)
        return
    run.say(text)
    if not run.options.yes and not run.confirm("Spend these credits? [y/N] "):
        run.add("spend", "confirmation", "yes", "declined: nothing spent", SKIP)
        return
    for shape in shapes:
        if not one_job(run, shape, listener):
            break


def one_job(run: Run, shape: str, listener: Listener | None) -> bool:
    """Submit, poll, check; False when the run should not start another job."""
    op = LABELS[shape]
    estimate = run.state.estimate or {}
    before = _credits(run)
    exchange, key = _submit(run, shape)
    if exchange.status != 200:
        code = error_code(exchange)
        verdict = SKIP if exchange.status == 429 else DRIFT
        run.add(op, "HTTP status", 200, f"{exchange.status} {code or ''}".strip(), verdict)
        return exchange.status != 402
    run.add(op, "HTTP status", 200, 200)
    job = _job(exchange, shape)
    run.add(op, "Idempotency-Key sent (the request is never re-sent)", "sent", key)
    if not isinstance(job, dict) or not isinstance(job.get("id"), str):
        run.add(op, "a job with an id", "present", json.dumps(job)[:80] if job is not None else "missing", DRIFT)
        return False
    job_id = job["id"]
    run.report.spent.append({"surface": shape, "jobId": job_id, "creditCost": job.get("creditCost"),
                             "idempotencyKey": key})
    run.mismatches(op, _shape(run, exchange, shape, job), "as in the OpenAPI document and the schema")
    run.compare(op, "status of a new job", "queued or processing",
                "queued or processing" if job.get("status") in expect.ACTIVE else job.get("status"))
    run.compare(op, "creditCost = the estimate", estimate.get("credits"), job.get("creditCost"))
    run.compare(op, "provider", expect.provider(), job.get("provider"))
    if job.get("status") != expect.COMPLETED:
        run.compare(op, "url before completion", None, job.get("url"))
    if run.options.webhook_url is not None:
        run.compare(op, "webhookUrl echoed", run.options.webhook_url, job.get("webhookUrl"))

    final = _poll(run, shape, job)
    if final is None:
        return False
    _completed(run, shape, final)
    if final.get("status") == expect.COMPLETED:
        _media(run, final)
    _credits_moved(run, op, before, _credits(run), final.get("creditCost"))
    if listener is not None:
        _webhook(run, listener, final)
    return True


def _submit(run: Run, shape: str) -> tuple[Exchange, str]:
    key = f"doitong-check-{uuid.uuid4()}"
    headers = {"Idempotency-Key": key}
    webhook = run.options.webhook_url
    base = {"text": expect.SHORTEST_TEXT, "avatarId": expect.DOC_AVATAR}
    try:
        if shape == "rest":
            body = {"service": expect.provider(), **base, "voice": expect.DOC_VOICE}
            if webhook:
                body["webhookUrl"] = webhook
            return run.client.request(LABELS[shape], "POST", "/v1/avatar", json=body, headers=headers), key
        selection = run.selection("Generation")
        if shape == "generate":
            options: dict[str, Any] = {"voice": expect.DOC_VOICE}
            if webhook:
                options["webhookUrl"] = webhook
            variables = {"input": {"type": expect.JOB_TYPE, "provider": expect.provider(), "input": base,
                                   "options": options}}
            query = (f"mutation DoitongCheckJob($input: GenerateInput!) "
                     f"{{ generate(input: $input) {selection_text(selection)} }}")
        else:
            flat: dict[str, Any] = {"service": expect.provider(), **base, "voice": expect.DOC_VOICE}
            if webhook:
                flat["webhookUrl"] = webhook
            variables = {"input": flat}
            query = (f"mutation DoitongCheckJob($input: AvatarGenerationInput!) "
                     f"{{ generateAvatar(input: $input) {selection_text(selection)} }}")
        return run.client.graphql(LABELS[shape], query, variables, headers=headers), key
    except Unreachable as exc:
        raise Unreachable(f"{exc}; whether the job started is unknown, and it was not sent again "
                          f"(Idempotency-Key {key})") from None


def _job(exchange: Exchange, shape: str) -> Any:
    return dig(exchange.json, "data.avatar" if shape == "rest" else f"data.{shape}")


def _poll_request(run: Run, shape: str, job_id: str) -> Exchange:
    if shape == "rest":
        return run.client.request("GET /v1/avatar/{id}", "GET", f"/v1/avatar/{job_id}", retry_on_429=True)
    query = f"query DoitongCheckPoll($id: ID!) {{ avatar(id: $id) {selection_text(run.selection('Generation'))} }}"
    return run.client.graphql("POST /graphql avatar(id)", query, {"id": job_id}, retry_on_429=True)


def _shape(run: Run, exchange: Exchange, shape: str, job: Any, *, polled: bool = False) -> list[Mismatch]:
    """The job's answer against the OpenAPI document (REST) and the schema's Generation."""
    generation = expect.schema().get_type("Generation")
    assert generation is not None
    if shape == "rest":
        path, method = ("/v1/avatar/{job_id}", "get") if polled else ("/v1/avatar", "post")
        found = check_json_schema(exchange.json, expect.openapi_schema(path, method, 200) or {}, "", expect.openapi())
        return found + check_graphql(job, generation, "data.avatar")  # type: ignore[arg-type]
    where = "data.avatar" if polled else f"data.{shape}"
    return check_graphql(job, generation, where, run.selection("Generation"))  # type: ignore[arg-type]


def _poll(run: Run, shape: str, job: dict[str, Any]) -> dict[str, Any] | None:
    """Polls until a final state; the answers' statuses, progress and url are checked as they come."""
    op = "GET /v1/avatar/{id}" if shape == "rest" else "POST /graphql avatar(id)"
    seen = [(job.get("status"), job.get("progress"), job.get("url"))]
    deadline = time.monotonic() + run.options.job_timeout
    interval = max(FIRST_POLL, run.client.pacer.min_interval())
    reported: set[str] = set()
    current = job
    while current.get("status") not in expect.FINAL:
        if time.monotonic() + interval > deadline:
            run.add(op, "a final state within --job-timeout", f"within {run.options.job_timeout:g} s",
                    f"still {current.get('status')} after {len(seen)} answers", DRIFT)
            return None
        run.client.pacer.sleep(interval)
        interval = min(max(interval * 1.5, run.client.pacer.min_interval()), MAX_POLL)
        exchange = _poll_request(run, shape, job["id"])
        if exchange.status != 200:
            run.add(op, "HTTP status", 200, f"{exchange.status} {error_code(exchange) or ''}".strip(), DRIFT)
            return None
        polled = dig(exchange.json, "data.avatar")
        if not isinstance(polled, dict):
            run.add(op, "the job", "an object", "missing", DRIFT)
            return None
        for m in _shape(run, exchange, shape, polled, polled=True):
            if m.path not in reported:  # once per field, not once per poll
                reported.add(m.path)
                run.add(op, f"field {m.path}", m.expected, m.found, DRIFT)
        current = polled
        seen.append((current.get("status"), current.get("progress"), current.get("url")))
    if not reported:
        run.add(op, "answer shape", "as in the OpenAPI document and the schema", f"as expected ({len(seen) - 1} polls)")
    _statuses(run, op, seen)
    return current


def _statuses(run: Run, op: str, seen: list[tuple[Any, Any, Any]]) -> None:
    statuses = [s for s, _, _ in seen]
    path: list[Any] = []
    for s in statuses:
        if not path or path[-1] != s:
            path.append(s)
    unknown = [s for s in path if s not in expect.STATUSES]
    backwards = any(ORDER.get(a, 0) > ORDER.get(b, 0) for a, b in itertools.pairwise(path))
    run.add(op, "statuses seen, in order", "queued -> processing -> completed (in order; polls may miss one)",
            " -> ".join(map(str, path)), DRIFT if unknown or backwards or path[-1] != expect.COMPLETED else OK)
    progress = [p for _, p, _ in seen]
    numbers = [p for p in progress if isinstance(p, (int, float)) and not isinstance(p, bool)]
    back = next((f"{a:g} then {b:g}" for a, b in itertools.pairwise(numbers) if b < a), None)
    out_of_range = next((f"{p:g}" for p in numbers if not 0 <= p <= 1), None)
    shown = " -> ".join(f"{p:g}" for p in _dedupe(numbers)) or "none"
    run.add(op, "progress never goes back (0 to 1)", "non-decreasing, 0 to 1",
            back or out_of_range or shown,
            DRIFT if back or out_of_range or len(numbers) != len(progress) else OK)
    early = [s for s, _, url in seen if s != expect.COMPLETED and url is not None]
    run.add(op, "url stays null until completed", "null", f"set while {early[0]}" if early else "null",
            DRIFT if early else OK)


def _dedupe(values: list[Any]) -> list[Any]:
    out: list[Any] = []
    for v in values:
        if not out or out[-1] != v:
            out.append(v)
    return out


def _completed(run: Run, shape: str, job: dict[str, Any]) -> None:
    op = f"{LABELS[shape]}: the completed job"
    if not run.compare(op, "final status", expect.COMPLETED, job.get("status")):
        error = job.get("error")
        if error:
            run.add(op, "error of the final state", "none", json.dumps(error), DRIFT)
        return
    url = job.get("url")
    run.compare(op, "url", "set", "set" if isinstance(url, str) and url else url)
    if "videoUrl" in job:
        run.compare(op, "videoUrl = url", url, job.get("videoUrl"))
    run.compare(op, "progress at completion", 1, job.get("progress"))
    run.compare(op, "completedAt", "set", "set" if job.get("completedAt") else job.get("completedAt"))
    metadata = job.get("metadata")
    for name in expect.METADATA_FIELDS:
        value = metadata.get(name) if isinstance(metadata, dict) else None
        ok = isinstance(value, (int, float)) and not isinstance(value, bool) and value > 0
        run.add(op, f"metadata.{name}", "a positive number", value, OK if ok else DRIFT)


def _media(run: Run, job: dict[str, Any]) -> None:
    url = job.get("url")
    if not isinstance(url, str) or not url.startswith(("http://", "https://")):
        return
    op = "GET url (the output video)"
    response, data = run.client.fetch_media(url)
    if not run.compare(op, "HTTP status", 200, response.status_code):
        location = response.headers.get("location")
        if location:
            run.add(op, "redirect (not followed)", "none", location, DRIFT)
        return
    content_type = response.headers.get("content-type", "").split(";")[0].strip()
    run.compare(op, "Content-Type", "video/mp4", content_type or "missing")
    result = probe(data)
    run.add(op, "a playable MP4", "playable", result.detail, OK if result.playable else DRIFT)
    metadata: dict[str, Any] = job["metadata"] if isinstance(job.get("metadata"), dict) else {}
    duration = metadata.get("duration")
    if result.duration is not None and isinstance(duration, (int, float)):
        close = abs(result.duration - duration) <= max(0.5, 0.1 * duration)
        run.add(op, "length = metadata.duration", f"{duration:g} s", f"{result.duration:.2f} s", OK if close else DRIFT)
    if result.width is not None:
        run.compare(op, "size = metadata.width x height", f"{metadata.get('width')}x{metadata.get('height')}",
                    f"{result.width}x{result.height}")


def _credits(run: Run) -> dict[str, Any] | None:
    exchange = run.client.request("GET /v1/account", "GET", "/v1/account", retry_on_429=True)
    credits = dig(exchange.json, "data.account.credits") if exchange.status == 200 else None
    return credits if isinstance(credits, dict) else None


def _credits_moved(run: Run, op: str, before: dict[str, Any] | None, after: dict[str, Any] | None,
                   cost: Any) -> None:
    op = f"{op}: credits"
    if before is None or after is None or not isinstance(cost, int):
        run.add(op, "credits moved by the billed amount", "readable before and after",
                "the account could not be read", SKIP)
        return
    for name, sign in (("balance", -1), ("charged", +1)):
        if isinstance(before.get(name), int) and isinstance(after.get(name), int):
            run.compare(op, f"credits.{name} moved by creditCost ({cost})", sign * cost, after[name] - before[name])
    if isinstance(before.get("held"), int) and isinstance(after.get("held"), int):
        run.compare(op, "credits.held back where it was", before["held"], after["held"])


def _webhook(run: Run, listener: Listener, job: dict[str, Any]) -> None:
    op = "webhook delivery"
    job_id = job["id"]
    arrival = listener.wait_for(lambda a: _payload_id(a) == job_id, run.options.webhook_wait)
    if arrival is None:
        run.add(op, f"a POST to --webhook-url for job {job_id}", f"within {run.options.webhook_wait:g} s",
                "none arrived", DRIFT)
        return
    run.compare(op, "method", "POST", arrival.method)
    run.compare(op, "Content-Type", "application/json",
                arrival.headers.get("content-type", "missing").split(";")[0].strip())
    for header in expect.WEBHOOK_HEADERS:
        run.compare(op, f"{header} header", "present", "present" if header.lower() in arrival.headers else "missing")
    signature = arrival.headers.get(expect.SIGNATURE_HEADER.lower())
    if signature is not None:
        run.compare(op, f"{expect.SIGNATURE_HEADER} format", "sha256=<64 hex digits>",
                    "sha256=<64 hex digits>" if SIGNATURE.match(signature.strip().lower()) else signature)
        if run.options.webhook_secret:
            ok = verify_signature(run.options.webhook_secret, arrival.body, signature)
            run.add(op, f"{expect.SIGNATURE_HEADER} = HMAC-SHA256 of the raw body with the secret",
                    "verifies", "verifies" if ok else f"does not verify ({signature})", OK if ok else DRIFT)
        else:
            run.add(op, f"{expect.SIGNATURE_HEADER} = HMAC-SHA256 of the raw body with the secret", "verifies",
                    "not verified: give --webhook-secret", SKIP)
    event = arrival.headers.get(expect.EVENT_HEADER.lower())
    if event is not None:
        run.compare(op, f"{expect.EVENT_HEADER}", expect.event_name(str(job.get("status"))), event)
    stamp = integer(arrival.headers.get(expect.TIMESTAMP_HEADER.lower()))
    if expect.TIMESTAMP_HEADER.lower() in arrival.headers:
        fresh = stamp is not None and abs(stamp - arrival.at) <= 300
        run.add(op, f"{expect.TIMESTAMP_HEADER}", "Unix seconds, within 5 minutes of arrival",
                arrival.headers[expect.TIMESTAMP_HEADER.lower()], OK if fresh else DRIFT)
    _payload(run, op, arrival, job)


def _payload(run: Run, op: str, arrival: Arrival, job: dict[str, Any]) -> None:
    try:
        body = json.loads(arrival.body)
    except ValueError:
        run.add(op, "payload", "JSON", f"not JSON ({len(arrival.body)} bytes)", DRIFT)
        return
    if not isinstance(body, dict):
        run.add(op, "payload", "a JSON object", type(body).__name__, DRIFT)
        return
    missing = [name for name in expect.PAYLOAD_FIELDS if name not in body]
    run.add(op, "payload fields", ", ".join(expect.PAYLOAD_FIELDS),
            "all present" if not missing else f"missing {', '.join(missing)} (has: {', '.join(sorted(body))})",
            DRIFT if missing else OK)
    for name in ("id", "status", "url"):
        if name in body:
            run.compare(op, f"payload.{name} = the job's", job.get(name), body[name])
    if "service" in body:
        run.compare(op, "payload.service", expect.provider(), body["service"])
    metadata = body.get("metadata")
    if isinstance(metadata, dict):
        absent = [name for name in expect.METADATA_FIELDS if name not in metadata]
        run.add(op, "payload.metadata fields", ", ".join(expect.METADATA_FIELDS),
                "all present" if not absent else f"missing {', '.join(absent)}", DRIFT if absent else OK)


def _payload_id(arrival: Arrival) -> Any:
    try:
        body = json.loads(arrival.body)
    except ValueError:
        return None
    return body.get("id") if isinstance(body, dict) else None
