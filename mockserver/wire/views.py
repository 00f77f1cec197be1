"""Wire views: the emulator's objects as the REST, GraphQL and control surfaces send them, each
built as exactly its shape in `shapes` (mypy --strict checks every key and value).

GraphQL's default resolvers read the same dicts, so a field has one name and one value on every
surface.
"""

from __future__ import annotations

import json

from ..core.clock import isoformat
from ..core.faults import Fault
from ..core.fixtures import Fixtures, PlanFixture
from ..core.inputs import Estimate
from ..core.jobs import FINAL, Job, Page, encode_cursor
from ..core.journal import RecordedRequest, plain
from ..core.ledger import LedgerEntry
from ..core.reads import AccountRead, ClockRead, JobDetail
from ..core.webhooks import Attempt, Delivery
from ..speed import format_speed
from . import shapes


def job_view(job: Job, now: float) -> shapes.Job:
    """A finished job never changes again, so its view is made once; callers only read it."""
    if job.frozen_view is not None:
        frozen: shapes.Job = job.frozen_view
        return frozen
    plan = job.plan
    req = plan.request
    url = job.output_url
    error = job.error
    view: shapes.Job = {
        "id": job.id,
        "status": job.status,
        "type": req.type,
        "provider": req.provider,
        "service": req.provider,
        "url": url,
        "videoUrl": url,
        "metadata": {"duration": plan.duration, "width": plan.width, "height": plan.height},
        "creditCost": plan.credit_cost,
        "createdAt": isoformat(job.created_at),
        "startedAt": isoformat(job.started_at),
        "completedAt": isoformat(job.finished_at),
        "progress": job.progress(now),
        "duration": plan.duration,
        "webhookUrl": req.webhook_url,
        "error": None if error is None else {"code": error["code"], "message": error["message"]},
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


def page_info(page: Page) -> shapes.PageInfo:
    return {"hasNextPage": page.has_next, "endCursor": page.end_cursor}


def cursors(page: Page) -> list[str]:
    return [encode_cursor(j.seq) for j in page.jobs]


def ledger_entry_view(entry: LedgerEntry) -> shapes.LedgerEntry:
    return {
        "at": isoformat(entry.at),
        "kind": entry.kind,
        "amount": entry.amount,
        "jobId": entry.job_id,
        "balanceAfter": entry.available + entry.held,
        "availableAfter": entry.available,
        "heldAfter": entry.held,
    }


def account_view(read: AccountRead) -> shapes.Account:
    credits, usage = read.credits, read.usage
    return {
        "id": read.id,
        "name": read.name,
        "email": read.email,
        "plan": plan_view(read.plan_id, read.plan),
        "credits": {
            "balance": credits.balance,
            "available": credits.available,
            "held": credits.held,
            "charged": credits.charged,
            "entries": [ledger_entry_view(e) for e in credits.entries],
        },
        "enabled": read.enabled,
        "usage": {
            "requestsThisMinute": usage.requests_this_minute,
            "minuteResetsAt": isoformat(usage.minute_resets_at),
            "jobsToday": usage.jobs_today,
            "dayResetsAt": isoformat(usage.day_resets_at),
            "activeJobs": usage.active_jobs,
        },
    }


def control_account_view(read: AccountRead) -> shapes.AccountInfo:
    """The control API's view: the account as its owner sees it, plus what tests need to use it."""
    return {
        **account_view(read),
        "key": read.key,
        "webhookSecret": read.webhook_secret,
        "standardWebhooks": read.standard_webhooks,
        "ephemeral": read.ephemeral,
        "clock": control_clock_view(read.clock),
    }


def plan_view(plan_id: str, plan: PlanFixture) -> shapes.Plan:
    return {
        "id": plan_id,
        "name": plan.name,
        "requestsPerMinute": plan.requests_per_minute,
        "concurrentJobs": plan.concurrent_jobs,
        "dailyJobs": plan.daily_jobs,
    }


def catalog_view(fixtures: Fixtures, base_url: str) -> shapes.Catalog:
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
            for a in fixtures.avatars
        ],
        "voices": [
            {"id": v.id, "name": v.name, "language": v.language, "gender": v.gender}
            for v in fixtures.voices
        ],
    }


def attempt_view(attempt: Attempt) -> shapes.Attempt:
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


def delivery_view(delivery: Delivery) -> shapes.Delivery:
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


def fault_view(fault: Fault) -> shapes.Fault:
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


def request_brief_view(entry: RecordedRequest) -> shapes.RequestBrief:
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


def request_view(entry: RecordedRequest, unmasked: bool = False) -> shapes.RecordedRequest:
    """A journal entry: what was received (headers with credentials masked, unless asked) and
    answered. Bodies are kept up to MAX_BODY bytes: `bodyTruncated` says when one was cut, and
    `bodySize` is its whole size."""
    headers = plain(entry.raw_headers) if unmasked else entry.headers
    return {
        **request_brief_view(entry),
        "body": entry.body,
        "bodySize": entry.body_size,
        "bodyTruncated": entry.body_truncated,
        "headers": [(name, value) for name, value in headers],
        "response": {
            "status": entry.status,
            "headers": [(name, value) for name, value in entry.response_headers],
            "body": entry.response_body,
            "bodySize": entry.response_size,
            "bodyTruncated": entry.response_truncated,
        },
    }


def estimate_view(price: Estimate) -> shapes.Estimate:
    return {"duration": price.duration, "credits": price.credits, "tier": price.tier}


def clock_view(clock: ClockRead) -> shapes.PlainClock:
    return {
        "now": clock.now,
        "iso": isoformat(clock.now),
        "mode": "virtual" if clock.virtual else "real",
        "speed": format_speed(clock.speed),
    }


def control_clock_view(clock: ClockRead) -> shapes.Clock:
    """A clock (the server's, or the one an account follows), whether it is the account's own,
    and when its next scheduled event (job transition, webhook retry) is due."""
    due = clock.next_due
    return {
        **clock_view(clock),
        "own": clock.own,
        "nextDueAt": isoformat(due),
        "nextDueIn": None if due is None else round(max(due - clock.now, 0.0), 3),
    }


def clock_moved_view(clock: ClockRead, ran: int) -> shapes.ClockMoved:
    """After an advance or a settle: the clock, how many timers ran, and how many webhook
    attempts are still in flight (past the wait, they go on in the background)."""
    return {**control_clock_view(clock), "ran": ran, "inFlight": clock.in_flight}


# The inspector's views of jobs: any account's, with what the control API and the page show.


def control_job_view(job: Job, now: float) -> shapes.ControlJob:
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


def control_job_detail_view(detail: JobDetail) -> shapes.JobDetail:
    """One job with its timeline, its credits' ledger entries and its webhook deliveries."""
    return {
        **control_job_view(detail.job, detail.now),
        "timeline": [{"status": s.status, "at": isoformat(s.at), "planned": s.planned} for s in detail.timeline],
        "ledger": [ledger_entry_view(e) for e in detail.ledger],
        "deliveries": [delivery_view(d) for d in detail.deliveries],
    }
