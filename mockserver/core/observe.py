"""Observation: what tests and the inspector read of what happened, without steering anything:
the request journal (what the mock received and answered) and the webhook delivery log."""

from __future__ import annotations

from typing import Any

from .errors import NotFound
from .journal import JournalPage, RecordedRequest
from .parts import Parts
from .webhooks import Delivery, Logged


class Observation:
    def __init__(self, parts: Parts) -> None:
        self._clocks = parts.clocks
        self._journal = parts.journal
        self._webhooks = parts.webhooks
        self._events = parts.events

    # The request journal

    def record(self, **fields: Any) -> RecordedRequest | None:
        """Keep a request the mock received and answered (None: the journal keeps nothing)."""
        return self._journal.record(**fields)

    def now(self, key: str | None) -> float:
        """The time a request is recorded at: its key's own clock, if it has one."""
        return self._clocks.now(key)

    def requests(self, **filters: Any) -> JournalPage:
        return self._journal.find(**filters)

    def request(self, entry_id: int) -> RecordedRequest:
        entry = self._journal.get(entry_id)
        if entry is None:
            raise NotFound(f"no request {entry_id} in the journal")
        return entry

    def clear_requests(self) -> int:
        removed = self._journal.clear()
        self._events.emit("journal", removed)
        return removed

    # The delivery log

    def deliveries(self, **filters: Any) -> Logged:
        """Deliveries that match (see `Webhooks.search`)."""
        return self._webhooks.search(**filters)

    def job_deliveries(self, job_id: str) -> list[Delivery]:
        return self._webhooks.for_job(job_id)

    def delivery(self, delivery_id: str) -> Delivery:
        return self._webhooks.get(delivery_id)

    async def wait_for_delivery(self, delivery_id: str, attempts: int, timeout: float) -> Delivery:
        """The delivery once `attempts` of its attempts are recorded, or as it is after `timeout`."""
        return await self._webhooks.wait_for(delivery_id, attempts, timeout)
