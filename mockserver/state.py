"""`--state-file PATH`: the server's state written through to SQLite, so a restart loses nothing.

Every accepted job, every credit movement, the rate-limit counters, webhook deliveries,
idempotency keys, throw-away accounts and the clock are written before the response that
reports them is sent. SQLite in WAL mode survives the process being killed (kill -9 included:
what was committed is in the write-ahead log). On start-up the state is read back: jobs in
flight resume on the clock, and pending webhook deliveries are retried when due.

One file serves one server process at a time.
"""

from __future__ import annotations

import contextlib
import json
import logging
import math
import sqlite3
from collections.abc import Iterator
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .credits import Entry
from .fixtures import AccountFixture, ScenarioFixture
from .idempotency import Record
from .inputs import JobPlan, JobRequest
from .jobs import Job
from .ratelimit import Usage
from .webhooks import Attempt, Delivery

if TYPE_CHECKING:
    from .accounts import Account
    from .service import Service

logger = logging.getLogger("mockserver.state")

VERSION = 1
SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS accounts (key TEXT PRIMARY KEY, data TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS ledger_entries (
    account_key TEXT NOT NULL, number INTEGER NOT NULL, data TEXT NOT NULL,
    PRIMARY KEY (account_key, number)
);
CREATE TABLE IF NOT EXISTS usage (account_key TEXT PRIMARY KEY, data TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS jobs (id TEXT PRIMARY KEY, seq INTEGER NOT NULL, data TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS deliveries (id TEXT PRIMARY KEY, number INTEGER NOT NULL, data TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS idempotency (
    account_key TEXT NOT NULL, key TEXT NOT NULL, data TEXT NOT NULL, PRIMARY KEY (account_key, key)
);
"""
TABLES = ("meta", "accounts", "ledger_entries", "usage", "jobs", "deliveries", "idempotency")


def _dumps(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"))


def _float(value: float) -> float | None:
    """JSON has no infinity: an unopened window is stored as null."""
    return None if math.isinf(value) else value


def job_to_dict(job: Job) -> dict[str, Any]:
    plan = job.plan
    return {
        "id": job.id, "seq": job.seq, "account": job.account_key, "base_url": job.base_url,
        "created_at": job.created_at, "processing_seconds": job.processing_seconds, "status": job.status,
        "starts_at": job.starts_at, "started_at": job.started_at, "ends_at": job.ends_at,
        "finished_at": job.finished_at, "stopped_progress": job.stopped_progress, "error": job.error,
        "plan": {
            "request": asdict(plan.request), "duration": plan.duration, "credit_cost": plan.credit_cost,
            "tier": plan.tier, "width": plan.width, "height": plan.height,
            "scenario": plan.scenario.model_dump() if plan.scenario is not None else None,
        },
    }


def job_from_dict(d: dict[str, Any]) -> Job:
    p = d["plan"]
    plan = JobPlan(
        request=JobRequest(**p["request"]), duration=p["duration"], credit_cost=p["credit_cost"], tier=p["tier"],
        width=p["width"], height=p["height"],
        scenario=ScenarioFixture.model_validate(p["scenario"]) if p["scenario"] is not None else None,
    )
    return Job(
        id=d["id"], seq=d["seq"], account_key=d["account"], plan=plan, base_url=d["base_url"],
        created_at=d["created_at"], processing_seconds=d["processing_seconds"], status=d["status"],
        starts_at=d["starts_at"], started_at=d["started_at"], ends_at=d["ends_at"], finished_at=d["finished_at"],
        stopped_progress=d["stopped_progress"], error=d["error"],
    )


def delivery_to_dict(delivery: Delivery) -> dict[str, Any]:
    return {
        "id": delivery.id, "job_id": delivery.job_id, "account": delivery.account_key, "url": delivery.url,
        "event": delivery.event, "body": delivery.body.decode(), "secret": delivery.secret,
        "standard": delivery.standard, "created_at": delivery.created_at, "state": delivery.state,
        "next_attempt_at": delivery.next_attempt_at, "attempts": [asdict(a) for a in delivery.attempts],
    }


def delivery_from_dict(d: dict[str, Any]) -> Delivery:
    return Delivery(
        id=d["id"], job_id=d["job_id"], account_key=d["account"], url=d["url"], event=d["event"],
        body=d["body"].encode(), secret=d["secret"], standard=d["standard"], created_at=d["created_at"],
        state=d["state"], next_attempt_at=d["next_attempt_at"], attempts=[Attempt(**a) for a in d["attempts"]],
    )


def account_to_dict(account: Account) -> dict[str, Any]:
    ledger = account.ledger
    return {
        "key": account.key, "name": account.name, "email": account.email, "plan": account.plan_id,
        "webhook_secret": account.webhook_secret, "enabled": account.enabled,
        "standard_webhooks": account.standard_webhooks, "ephemeral": account.ephemeral,
        "ledger": {
            "available": ledger.available, "held": ledger.held, "charged": ledger.charged,
            "granted": ledger.granted, "holds": ledger.holds, "count": ledger.count,
        },
    }


class StateFileError(Exception):
    """A state file that cannot be opened or read back: start-up stops and says why."""

    def __init__(self, path: Path, reason: str) -> None:
        super().__init__(f"{path}: {reason}")
        self.path = path
        self.reason = reason


class MemoryOnly:
    """The default: state lives and dies with the process, and nothing is written anywhere."""

    def batch(self) -> contextlib.AbstractContextManager[None]:
        return contextlib.nullcontext()

    def save_account(self, account: Account) -> None:
        pass

    def save_usage(self, account_key: str, usage: Usage | None) -> None:
        pass

    def save_idempotency(self, account_key: str, key: str, record: Record) -> None:
        pass

    def save_clock(self, state: dict[str, Any]) -> None:
        pass

    def clear(self) -> None:
        pass

    def close(self) -> None:
        pass


class StateFile(MemoryOnly):
    def __init__(self, path: Path) -> None:
        self.path = path
        self._depth = 0
        self._delivery_number = 0
        self._saved_entries: dict[str, int] = {}
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._db.executescript(SCHEMA)
            found = self._db.execute("SELECT value FROM meta WHERE key = 'version'").fetchone()
            if found is None:
                self._db.execute("INSERT INTO meta VALUES ('version', ?)", (str(VERSION),))
        except (sqlite3.Error, OSError) as exc:
            raise StateFileError(path, str(exc)) from None
        if found is not None and found[0] != str(VERSION):
            raise StateFileError(path, f"written by another version of doitong-mock (state version {found[0]})")

    @contextlib.contextmanager  # type: ignore[override]
    def batch(self) -> Iterator[None]:
        """One transaction for several writes (a submission: job, ledger, counters, key)."""
        if self._depth == 0:
            self._db.execute("BEGIN")
        self._depth += 1
        try:
            yield
        except BaseException:
            self._depth -= 1
            if self._depth == 0:
                self._db.execute("COMMIT")  # what was already changed in memory is kept on disk too
            raise
        self._depth -= 1
        if self._depth == 0:
            self._db.execute("COMMIT")

    def _write(self, sql: str, params: tuple[Any, ...]) -> None:
        with self.batch():
            self._db.execute(sql, params)

    # Written through as the state changes

    def save_job(self, job: Job, old: str = "") -> None:
        self._write("INSERT OR REPLACE INTO jobs VALUES (?, ?, ?)", (job.id, job.seq, _dumps(job_to_dict(job))))

    def forget_job(self, job: Job) -> None:
        self._write("DELETE FROM jobs WHERE id = ?", (job.id,))

    def save_account(self, account: Account) -> None:
        with self.batch():
            self._db.execute(
                "INSERT OR REPLACE INTO accounts VALUES (?, ?)", (account.key, _dumps(account_to_dict(account)))
            )
            ledger = account.ledger
            saved = self._saved_entries.get(account.key, 0)
            new = min(ledger.count - saved, len(ledger.entries))
            if new > 0:
                entries = list(ledger.entries)[-new:]
                self._db.executemany(
                    "INSERT OR REPLACE INTO ledger_entries VALUES (?, ?, ?)",
                    [(account.key, ledger.count - new + i + 1, _dumps(asdict(e))) for i, e in enumerate(entries)],
                )
                limit = ledger.entries.maxlen or len(ledger.entries)
                if ledger.count % limit == 0:
                    self._db.execute(
                        "DELETE FROM ledger_entries WHERE account_key = ? AND number <= ?",
                        (account.key, ledger.count - limit),
                    )
            self._saved_entries[account.key] = ledger.count

    def save_usage(self, account_key: str, usage: Usage | None) -> None:
        if usage is None:
            return
        data = {"window_start": _float(usage.window_start), "window_count": usage.window_count,
                "day": usage.day, "day_count": usage.day_count}
        self._write("INSERT OR REPLACE INTO usage VALUES (?, ?)", (account_key, _dumps(data)))

    def save_delivery(self, delivery: Delivery) -> None:
        self._delivery_number += 1
        self._write(
            "INSERT INTO deliveries VALUES (?, ?, ?) ON CONFLICT (id) DO UPDATE SET data = excluded.data",
            (delivery.id, self._delivery_number, _dumps(delivery_to_dict(delivery))),
        )

    def forget_delivery(self, delivery: Delivery) -> None:
        self._write("DELETE FROM deliveries WHERE id = ?", (delivery.id,))

    def save_idempotency(self, account_key: str, key: str, record: Record) -> None:
        data = {"job_id": record.job_id, "at": record.at, "request": asdict(record.fingerprint)}
        self._write("INSERT OR REPLACE INTO idempotency VALUES (?, ?, ?)", (account_key, key, _dumps(data)))

    def save_clock(self, state: dict[str, Any]) -> None:
        self._write("INSERT OR REPLACE INTO meta VALUES ('clock', ?)", (_dumps(state),))

    def clear(self) -> None:
        """Back to the fixtures: everything but the clock goes."""
        with self.batch():
            for table in TABLES:
                if table != "meta":
                    self._db.execute(f"DELETE FROM {table}")  # noqa: S608 - fixed table names
        self._saved_entries.clear()

    def close(self) -> None:
        self._db.close()

    # Read back at start-up

    def load(self, service: Service) -> dict[str, int]:
        """Put the saved state into a service freshly built from fixtures; returns what was read."""
        try:
            return self._load(service)
        except (sqlite3.Error, ValueError, KeyError, TypeError) as exc:
            raise StateFileError(self.path, f"cannot be read back ({type(exc).__name__}: {exc})") from None

    def _load(self, service: Service) -> dict[str, int]:
        db = self._db
        clock = db.execute("SELECT value FROM meta WHERE key = 'clock'").fetchone()
        if clock is not None:
            service.clock.restore(json.loads(clock[0]))
        accounts = 0
        for key, data in db.execute("SELECT key, data FROM accounts"):
            self._load_account(service, json.loads(data))
            accounts += 1
        for key, data in db.execute("SELECT account_key, data FROM usage"):
            d = json.loads(data)
            start = d["window_start"]
            service.limiter.restore(key, Usage(-math.inf if start is None else start, d["window_count"], d["day"], d["day_count"]))
        for account_key, key, data in db.execute("SELECT account_key, key, data FROM idempotency"):
            d = json.loads(data)
            service.idempotency.restore(account_key, key, Record(JobRequest(**d["request"]), d["job_id"], d["at"]))
        jobs = 0
        for (data,) in db.execute("SELECT data FROM jobs ORDER BY seq"):
            service.jobs.restore(job_from_dict(json.loads(data)))
            jobs += 1
        deliveries = 0
        for number, data in db.execute("SELECT number, data FROM deliveries ORDER BY number"):
            service.webhooks.restore(delivery_from_dict(json.loads(data)))
            self._delivery_number = max(self._delivery_number, number)
            deliveries += 1
        return {"accounts": accounts, "jobs": jobs, "deliveries": deliveries}

    def _load_account(self, service: Service, d: dict[str, Any]) -> None:
        if d["plan"] not in service.fixtures.plans.plans:
            logger.warning("state file: account %s has plan %r, which the fixtures no longer have; skipped", d["key"], d["plan"])
            return
        account = service.accounts.by_key.get(d["key"])
        if account is None:
            fixture = AccountFixture(
                key=d["key"], name=d["name"], email=d["email"], plan=d["plan"], credits=0,
                webhook_secret=d["webhook_secret"], enabled=d["enabled"], standard_webhooks=d["standard_webhooks"],
            )
            account = service.accounts.from_fixture(fixture, ephemeral=d["ephemeral"])
            service.accounts.add(account)
        account.plan_id, account.plan = d["plan"], service.fixtures.plans.plans[d["plan"]]
        account.enabled = d["enabled"]
        entries = [
            Entry(**json.loads(data))
            for (data,) in self._db.execute(
                "SELECT data FROM ledger_entries WHERE account_key = ? ORDER BY number DESC LIMIT ?",
                (account.key, account.ledger.entries.maxlen or 1000),
            )
        ][::-1]
        ledger = d["ledger"]
        account.ledger.restore(
            available=ledger["available"], held=ledger["held"], charged=ledger["charged"],
            granted=ledger["granted"], holds=ledger["holds"], entries=entries, count=ledger["count"],
        )
        self._saved_entries[account.key] = ledger["count"]
