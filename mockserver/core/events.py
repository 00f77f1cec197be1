"""What changed in the emulator, as it happens, for whoever follows along (the benchmarks, the
inspector's event stream). A listener runs on the event loop thread inside the change, so it
must be quick and must not raise.

Kinds and their subjects:

| kind | subject | emitted when |
|---|---|---|
| `request` | the `RecordedRequest` | the journal records a request |
| `journal` | how many entries went | the journal is cleared |
| `job` | the `Job` | a job is created or moves (queued, processing, completed, failed, cancelled) |
| `delivery` | the `Delivery` | a webhook delivery starts, an attempt ends, or its state changes |
| `ledger` | `(account key, LedgerEntry)` | credits are held, charged, released, granted or set |
| `account` | the `Account`, or its key once deleted | an account is created, changed or deleted |
| `clock` | the `Clock` | the clock is advanced or its speed changed |
| `fault` | the `Fault`, or None | a fault is added, used or removed |
| `reset` | `"reset"` or `"reload"` | the runtime built a fresh emulator |
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

logger = logging.getLogger("mockserver.events")

Listener = Callable[[str, Any], None]


class Events:
    def __init__(self) -> None:
        self._listeners: list[Listener] = []

    def subscribe(self, listener: Listener) -> Callable[[], None]:
        """Call `listener(kind, subject)` on every change; returns the way to stop."""
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener)

    def emit(self, kind: str, subject: Any) -> None:
        if not self._listeners:
            return
        for listener in list(self._listeners):
            try:
                listener(kind, subject)
            except Exception:
                logger.exception("an event listener failed on %s", kind)

    def job_changed(self, job: Any, old: str) -> None:
        """Job hook: every transition is a `job` event."""
        self.emit("job", job)

    def delivery_changed(self, delivery: Any) -> None:
        """Delivery listener: every change of a delivery is a `delivery` event."""
        self.emit("delivery", delivery)

    def request_recorded(self, entry: Any) -> None:
        """Journal listener: every recorded request is a `request` event."""
        self.emit("request", entry)

    def ledger_entry(self, account_key: str, entry: Any) -> None:
        """Ledger listener: every entry is a `ledger` event."""
        self.emit("ledger", (account_key, entry))
