"""Wire shapes: the emulator's objects as the REST, GraphQL and control surfaces send them.

GraphQL's default resolvers read the same dicts, so a field has one name and one value on every
surface.
"""

from __future__ import annotations

import json
from typing import Any

from ..core.accounts import Account
from ..core.clock import Clock, format_speed, isoformat
from ..core.emulator import Emulator
from ..core.faults import Fault
from ..core.fixtures import Fixtures, PlanFixture
from ..core.inputs import Estimate
from ..core.jobs import COMPLETED, FAILED, FINAL, PROCESSING, QUEUED, Job, Page, encode_cursor
from ..core.journal import RecordedRequest, plain
from ..core.ledger import LedgerEntry
from ..core.limits import DAY, MINUTE
from ..core.webhooks import Attempt, Delivery


def job_view(job: Job, now: float) -> dict[str, Any]:
    """A finished job never changes again, so its view is made once; callers only read it."""
    if job.frozen_view is not None:
        return job.frozen_view
    req = job.plan.request
    url = job.output_url
    view = {
        "id": job.id,
        "status": job.status,
        "type": req.type,
        "provider": req.provider,
        "service": req.provider,
        "url": url,
        "videoUrl": url,
        "metadata": job.metadata,
        "creditCost": job.plan.credit_cost,
        "createdAt": isoformat(job.created_at),
        "startedAt": isoformat(job.started_at),
        "completedAt": isoformat(job.finished_at),
        "progress": job.progress(now),
        "duration": job.plan.duration,
        "webhookUrl": req.webhook_url,
        "error": job.error,
        "text": req.text,
        "avatarId": req.avatar_id,
        "imageUrl": req.image_url,
        "audioUrl": req.audio_url,
        "voice": req.voice,
        "language": req.language,
        "version": req.version,
        "aspectRatio": req.aspect_ratio,
        "resolution": req.resolution,
    }
    if job.status in FINAL:
        job.frozen_view = view
    return view


def page_info(page: Page) -> dict[str, Any]:
    return {"hasNextPage": page.has_next, "endCursor": page.end_cursor}


def cursors(page: Page) -> list[str]:
    return [encode_cursor(j.seq) for j in page.jobs]


def ledger_entry_view(entry: LedgerEntry) -> dict[str, Any]:
    return {
        "at": isoformat(entry.at),
        "kind": entry.kind,
        "amount": entry.amount,
        "jobId": entry.job_id,
        "balanceAfter": entry.available + entry.held,
        "availableAfter": entry.available,
        "heldAfter": entry.held,
    }


def account_view(emulator: Emulator, account: Account, entries: int = 20) -> dict[str, Any]:
    ledger = account.ledger
    plan = account.plan
    usage = emulator.limiter.peek(account)
    return {
        "id": account.id,
        "name": account.name,
        "email": account.email,
        "plan": plan_view(account.plan_id, plan),
        "credits": {
            "balance": ledger.balance,
            "available": ledger.available,
            "held": ledger.held,
            "charged": ledger.charged,
            "entries": [ledger_entry_view(e) for e in ledger.recent(entries)],
        },
        "enabled": account.enabled,
        "usage": {
            "requestsThisMinute": usage.window_count,
            "minuteResetsAt": isoformat(usage.window_start + MINUTE),
            "jobsToday": usage.day_count,
            "dayResetsAt": isoformat((usage.day + 1) * DAY),
            "activeJobs": emulator.limiter.active_jobs(account.key),
        },
    }


def control_account_view(emulator: Emulator, account: Account, entries: int = 50) -> dict[str, Any]:
    """The control API's view: the account as its owner sees it, plus what tests need to use it."""
    return {
        **account_view(emulator, account, entries=entries),
        "key": account.key,
        "webhookSecret": account.webhook_secret,
        "standardWebhooks": account.standard_webhooks,
        "ephemeral": account.ephemeral,
        "clock": control_clock_view(emulator, account.key),
    }


def plan_view(plan_id: str, plan: PlanFixture) -> dict[str, Any]:
    return {
        "id": plan_id,
        "name": plan.name,
        "requestsPerMinute": plan.requests_per_minute,
        "concurrentJobs": plan.concurrent_jobs,
        "dailyJobs": plan.daily_jobs,
    }


def catalog_view(fixtures: Fixtures, base_url: str) -> dict[str, Any]:
    return {
        "avatars": [
            {
                "id": a.id,
                "name": a.name,
                "description": a.description,
                "gender": a.gender,
                "style": a.style,
                "portraitUrl": f"{base_url}/avatars/{a.id}/portrait",
            }
            for a in fixtures.avatars.avatars
        ],
        "voices": [
            {"id": v.id, "name": v.name, "language": v.language, "gender": v.gender}
            for v in fixtures.voices.voices
        ],
    }


def attempt_view(attempt: Attempt) -> dict[str, Any]:
    return {
        "number": attempt.number,
        "at": isoformat(attempt.at),
        "url": attempt.url,
        "statusCode": attempt.status_code,
        "error": attempt.error,
        "latencyMs": round(attempt.latency_ms, 1),
        "manual": attempt.manual,
        "headers": attempt.headers,
    }


def delivery_view(delivery: Delivery) -> dict[str, Any]:
    """`body` is the exact text POSTed (what the signature is over); `payload` is it parsed."""
    body = delivery.body.decode("utf-8", "replace")
    return {
        "id": delivery.id,
        "jobId": delivery.job_id,
        "accountKey": delivery.account_key,
        "url": delivery.url,
        "event": delivery.event,
        "state": delivery.state,
        "createdAt": isoformat(delivery.created_at),
        "nextAttemptAt": isoformat(delivery.next_attempt_at),
        "attempts": [attempt_view(a) for a in delivery.attempts],
        "payload": json.loads(body),
        "body": body,
    }


def fault_view(fault: Fault) -> dict[str, Any]:
    return {
        "id": fault.id,
        "remaining": fault.remaining,
        "hits": fault.hits,
        "status": fault.status,
        "code": fault.code,
        "message": fault.message,
        "extensions": fault.extensions,
        "latency": fault.latency,
        "match": {
            "key": fault.key,
            "surface": fault.surface,
            "operation": fault.operation,
            "path": fault.path,
            "method": fault.method,
        },
    }


def request_brief_view(entry: RecordedRequest) -> dict[str, Any]:
    """A journal entry without headers and bodies: a row of a list."""
    return {
        "id": entry.id,
        "at": isoformat(entry.at),
        "method": entry.method,
        "path": entry.path,
        "query": entry.query,
        "surface": entry.surface,
        "operation": entry.operation,
        "key": entry.key,
        "status": entry.status,
        "latencyMs": round(entry.latency_ms, 2),
        "fault": entry.fault,
        "jobId": entry.job_id,
        "replayOf": entry.replay_of,
    }


def request_view(entry: RecordedRequest, unmasked: bool = False) -> dict[str, Any]:
    """A journal entry: what was received (headers with credentials masked, unless asked) and
    answered. Bodies are kept up to MAX_BODY bytes: `bodyTruncated` says when one was cut, and
    `bodySize` is its whole size."""
    headers = plain(entry.raw_headers) if unmasked else entry.headers
    return {
        **request_brief_view(entry),
        "body": entry.body,
        "bodySize": entry.body_size,
        "bodyTruncated": entry.body_truncated,
        "headers": [list(pair) for pair in headers],
        "response": {
            "status": entry.status,
            "headers": [list(pair) for pair in entry.response_headers],
            "body": entry.response_body,
            "bodySize": entry.response_size,
            "bodyTruncated": entry.response_truncated,
        },
    }


def estimate_view(price: Estimate) -> dict[str, Any]:
    return {"duration": price.duration, "credits": price.credits, "tier": price.tier}


def clock_view(clock: Clock) -> dict[str, Any]:
    now = clock.now()
    return {"now": now, "iso": isoformat(now), "mode": clock.mode, "speed": format_speed(clock.speed)}


def control_clock_view(emulator: Emulator, account_key: str | None = None) -> dict[str, Any]:
    """A clock (the server's, or the one the account follows), whether it is the account's own,
    and when its next scheduled event (job transition, webhook retry) is due."""
    time = emulator.time_of(account_key)
    view = clock_view(time.clock)
    due = time.next_due()
    return {
        **view,
        "own": time is not emulator.clocks.server,
        "nextDueAt": isoformat(due),
        "nextDueIn": None if due is None else round(max(due - view["now"], 0.0), 3),
    }


def clock_moved_view(emulator: Emulator, account_key: str | None, ran: int) -> dict[str, Any]:
    """After an advance or a settle: the clock, how many timers ran, and how many webhook
    attempts are still in flight (past the wait, they go on in the background)."""
    return {
        **control_clock_view(emulator, account_key),
        "ran": ran,
        "inFlight": emulator.time_of(account_key).in_flight,
    }


# The inspector's views of jobs: any account's, with what the control API and the page show.


def control_job_view(job: Job, now: float) -> dict[str, Any]:
    """A job as its owner sees it, plus its account, its planned times, tier and scenario."""
    scenario = job.plan.scenario
    return {
        **job_view(job, now),
        "accountKey": job.account_key,
        "seq": job.seq,
        "startsAt": isoformat(job.starts_at),
        "endsAt": isoformat(job.ends_at),
        "tier": job.plan.tier,
        "scenario": scenario.name if scenario is not None else None,
    }


def job_timeline(job: Job, clock: Clock) -> list[dict[str, Any]]:
    """What happened to the job and when, on its account's clock; what is still to come is
    `planned` (it moves if the clock's speed changes or someone steps in)."""
    steps: list[dict[str, Any]] = [{"status": QUEUED, "at": isoformat(job.created_at), "planned": False}]
    if job.started_at is not None:
        steps.append({"status": PROCESSING, "at": isoformat(job.started_at), "planned": False})
    elif job.status == QUEUED and job.starts_at is not None:
        steps.append({"status": PROCESSING, "at": isoformat(job.starts_at), "planned": True})
    if job.status in FINAL:
        steps.append({"status": job.status, "at": isoformat(job.finished_at), "planned": False})
    elif job.ends_at is not None or job.status == QUEUED:
        scenario = job.plan.scenario
        final = FAILED if scenario is not None and scenario.fail is not None else COMPLETED
        if job.ends_at is not None:
            ends = job.ends_at
        else:  # still queued: it will process for its processing time, scaled when it starts
            ends = (job.starts_at or job.created_at) + clock.scaled(job.processing_seconds)
        steps.append({"status": final, "at": isoformat(ends), "planned": True})
    return steps


def control_job_detail_view(emulator: Emulator, job: Job) -> dict[str, Any]:
    """One job with its timeline, its credits' ledger entries and its webhook deliveries."""
    account = emulator.accounts.by_key.get(job.account_key)
    entries = [e for e in account.ledger.entries if e.job_id == job.id] if account is not None else []
    return {
        **control_job_view(job, emulator.now(job.account_key)),
        "timeline": job_timeline(job, emulator.time_of(job.account_key).clock),
        "ledger": [ledger_entry_view(e) for e in entries],
        "deliveries": [delivery_view(d) for d in emulator.deliveries(job_id=job.id)],
    }
