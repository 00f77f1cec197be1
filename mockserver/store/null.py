"""The default store: state lives and dies with the process, and nothing is written anywhere."""

from __future__ import annotations

import contextlib
from contextlib import AbstractContextManager

from ..core.accounts import Account
from ..core.clock import ClockState
from ..core.idempotency import Record
from ..core.jobs import Job
from ..core.ratelimits import Usage
from ..core.store import Snapshot
from ..core.webhooks import Delivery


class NullStore:
    def batch(self) -> AbstractContextManager[None]:
        return contextlib.nullcontext()

    def save_job(self, job: Job) -> None:
        pass

    def forget_job(self, job: Job) -> None:
        pass

    def save_account(self, account: Account) -> None:
        pass

    def forget_account(self, account_key: str) -> None:
        pass

    def save_usage(self, account_key: str, usage: Usage | None) -> None:
        pass

    def save_delivery(self, delivery: Delivery) -> None:
        pass

    def forget_delivery(self, delivery: Delivery) -> None:
        pass

    def save_idempotency(self, account_key: str, key: str, record: Record) -> None:
        pass

    def forget_idempotency(self, account_key: str, key: str) -> None:
        pass

    def save_generation(self, generation: str) -> None:
        pass

    def save_clock(self, state: ClockState) -> None:
        pass

    def load(self) -> Snapshot:
        return Snapshot()

    def clear(self) -> None:
        pass

    def close(self) -> None:
        pass
