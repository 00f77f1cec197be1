"""`--state-file PATH`: the server's state written through to SQLite, so a restart loses nothing.

Every accepted job, every credit movement, the rate-limit counters, webhook deliveries,
idempotency keys, throw-away accounts and the clock are written before the response that
reports them is sent. SQLite in WAL mode survives the process being killed (kill -9 included:
what was committed is in the write-ahead log). On start-up the state is read back: jobs in
flight resume on the clock, and pending webhook deliveries are retried when due.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import sqlite3
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from ..core.accounts import Account, AccountRecord
from ..core.clock import ClockState
from ..core.idempotency import Record
from ..core.jobs import Job
from ..core.ledger import MAX_ENTRIES, LedgerEntry
from ..core.ratelimits import Usage
from ..core.store import SavedAccount, Snapshot
from ..core.webhooks import Delivery
from .codecs import decode, encode

VERSION = 2
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
TABLES = ("accounts", "ledger_entries", "usage", "jobs", "deliveries", "idempotency")


def _dumps(value: Any) -> str:
    return json.dumps(encode(value), separators=(",", ":"))


class StateFileError(Exception):
    """A state file that cannot be opened or read back: start-up stops and says why."""

    def __init__(self, path: Path, reason: str, message: str | None = None) -> None:
        super().__init__(message or f"cannot use the state file {path}: {reason}")
        self.path = path
        self.reason = reason


def _lock(path: Path) -> int:
    """An exclusive lock on the database file itself, held while this process lives.

    On the file (its device and inode), not on its name: a second server given the same file by
    another name, a symlink or a hard link, is refused too (a hard link would even give it a
    write-ahead log of its own). A lock left by a killed process is released by the kernel.
    Created readable by its owner only: it holds every key and webhook secret."""
    fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_NONBLOCK | os.O_CLOEXEC, 0o600)
    info = os.fstat(fd)
    if not stat.S_ISREG(info.st_mode):
        os.close(fd)
        raise StateFileError(path, "not a regular file: give the path of an SQLite file")
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        raise StateFileError(
            path, "in use", f"state file {path} is in use by another doitong-mock (pid {_holder(info)})"
        ) from None
    return fd


def _holder(info: os.stat_result) -> str:
    """The process that holds the lock on the file, from the kernel's table of locks (Linux)."""
    where = f"{os.major(info.st_dev):02x}:{os.minor(info.st_dev):02x}:{info.st_ino}"
    try:
        with open("/proc/locks", encoding="ascii") as table:
            for line in table:
                fields = line.split()
                if "FLOCK" in fields and where in fields:
                    return fields[fields.index(where) - 1]
    except OSError:
        pass
    return "unknown"


class SqliteStore:
    def __init__(self, path: Path) -> None:
        self.path = path
        self._depth = 0
        self._delivery_number = 0
        self._saved_entries: dict[str, int] = {}
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            self._lock = _lock(path)
        except OSError as exc:
            raise StateFileError(path, str(exc)) from None
        try:
            self._db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._db.executescript(SCHEMA)
            found = self._db.execute("SELECT value FROM meta WHERE key = 'version'").fetchone()
            if found is None:
                self._db.execute("INSERT INTO meta VALUES ('version', ?)", (str(VERSION),))
        except (sqlite3.Error, OSError) as exc:
            os.close(self._lock)
            raise StateFileError(path, str(exc)) from None
        if found is not None and found[0] != str(VERSION):
            self.close()
            raise StateFileError(path, f"written by another version of doitong-mock (state version {found[0]})")

    @contextlib.contextmanager
    def batch(self) -> Iterator[None]:
        """One transaction for several writes (a submission: job, ledger, counters, key)."""
        if self._depth == 0:
            self._db.execute("BEGIN")
        self._depth += 1
        try:
            yield
        finally:
            # On an error too: what was already changed in memory is kept on disk.
            self._depth -= 1
            if self._depth == 0:
                self._db.execute("COMMIT")

    def _write(self, sql: str, params: tuple[Any, ...]) -> None:
        with self.batch():
            self._db.execute(sql, params)

    # Written through as the state changes

    def save_job(self, job: Job) -> None:
        self._write("INSERT OR REPLACE INTO jobs VALUES (?, ?, ?)", (job.id, job.seq, _dumps(job)))

    def forget_job(self, job: Job) -> None:
        self._write("DELETE FROM jobs WHERE id = ?", (job.id,))

    def save_account(self, account: Account) -> None:
        """The account's balances, and the ledger entries made since it was last saved."""
        ledger = account.ledger
        with self.batch():
            self._db.execute("INSERT OR REPLACE INTO accounts VALUES (?, ?)", (account.key, _dumps(account.record())))
            saved = self._saved_entries.get(account.key, 0)
            new = min(ledger.count - saved, len(ledger.entries))
            if new > 0:
                entries = list(ledger.entries)[-new:]
                self._db.executemany(
                    "INSERT OR REPLACE INTO ledger_entries VALUES (?, ?, ?)",
                    [(account.key, ledger.count - new + i + 1, _dumps(e)) for i, e in enumerate(entries)],
                )
                limit = ledger.entries.maxlen or len(ledger.entries)
                if ledger.count % limit == 0:
                    self._db.execute(
                        "DELETE FROM ledger_entries WHERE account_key = ? AND number <= ?",
                        (account.key, ledger.count - limit),
                    )
            self._saved_entries[account.key] = ledger.count

    def forget_account(self, account_key: str) -> None:
        """The account, its ledger, its counters and its keys (its jobs and deliveries are
        forgotten one by one, as their owners let them go)."""
        with self.batch():
            self._db.execute("DELETE FROM accounts WHERE key = ?", (account_key,))
            self._db.execute("DELETE FROM usage WHERE account_key = ?", (account_key,))
            self._db.execute("DELETE FROM ledger_entries WHERE account_key = ?", (account_key,))
            self._db.execute("DELETE FROM idempotency WHERE account_key = ?", (account_key,))
        self._saved_entries.pop(account_key, None)

    def save_usage(self, account_key: str, usage: Usage | None) -> None:
        if usage is not None:
            self._write("INSERT OR REPLACE INTO usage VALUES (?, ?)", (account_key, _dumps(usage)))

    def save_delivery(self, delivery: Delivery) -> None:
        self._delivery_number += 1
        self._write(
            "INSERT INTO deliveries VALUES (?, ?, ?) ON CONFLICT (id) DO UPDATE SET data = excluded.data",
            (delivery.id, self._delivery_number, _dumps(delivery)),
        )

    def forget_delivery(self, delivery: Delivery) -> None:
        self._write("DELETE FROM deliveries WHERE id = ?", (delivery.id,))

    def save_idempotency(self, account_key: str, key: str, record: Record) -> None:
        self._write("INSERT OR REPLACE INTO idempotency VALUES (?, ?, ?)", (account_key, key, _dumps(record)))

    def forget_idempotency(self, account_key: str, key: str) -> None:
        self._write("DELETE FROM idempotency WHERE account_key = ? AND key = ?", (account_key, key))

    def save_generation(self, generation: str) -> None:
        self._write("INSERT OR REPLACE INTO meta VALUES ('generation', ?)", (generation,))

    def save_clock(self, state: ClockState) -> None:
        self._write("INSERT OR REPLACE INTO meta VALUES ('clock', ?)", (_dumps(state),))

    def clear(self) -> None:
        """Back to the fixtures: everything but the clock goes."""
        with self.batch():
            for table in TABLES:
                self._db.execute(f"DELETE FROM {table}")  # noqa: S608 - fixed table names
        self._saved_entries.clear()

    def close(self) -> None:
        self._db.close()
        os.close(self._lock)

    # Read back at start-up

    def load(self) -> Snapshot:
        try:
            return self._load()
        except (sqlite3.Error, ValueError, KeyError, TypeError) as exc:
            raise StateFileError(self.path, f"cannot be read back ({type(exc).__name__}: {exc})") from None

    def _rows(self, sql: str, *params: Any) -> list[tuple[Any, ...]]:
        return self._db.execute(sql, params).fetchall()

    def _load(self) -> Snapshot:
        snapshot = Snapshot()
        for (data,) in self._rows("SELECT value FROM meta WHERE key = 'clock'"):
            snapshot.clock = decode(ClockState, json.loads(data))
        for (generation,) in self._rows("SELECT value FROM meta WHERE key = 'generation'"):
            snapshot.generation = generation
        for key, data in self._rows("SELECT key, data FROM accounts"):
            record = decode(AccountRecord, json.loads(data))
            entries = [
                decode(LedgerEntry, json.loads(entry))
                for (entry,) in self._rows(
                    "SELECT data FROM ledger_entries WHERE account_key = ? ORDER BY number DESC LIMIT ?",
                    key, MAX_ENTRIES,
                )
            ][::-1]
            snapshot.accounts.append(SavedAccount(record, entries))
            self._saved_entries[key] = record.ledger.count
        for key, data in self._rows("SELECT account_key, data FROM usage"):
            snapshot.usage[key] = decode(Usage, json.loads(data))
        for account_key, key, data in self._rows("SELECT account_key, key, data FROM idempotency"):
            snapshot.idempotency.append((account_key, key, decode(Record, json.loads(data))))
        for (data,) in self._rows("SELECT data FROM jobs ORDER BY seq"):
            snapshot.jobs.append(decode(Job, json.loads(data)))
        for number, data in self._rows("SELECT number, data FROM deliveries ORDER BY number"):
            snapshot.deliveries.append(decode(Delivery, json.loads(data)))
            self._delivery_number = max(self._delivery_number, number)
        return snapshot
