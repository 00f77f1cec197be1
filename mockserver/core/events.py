"""What changed in the emulator, as it happens, for whoever follows along (the benchmarks, the
inspector's event stream). A listener runs on the event loop thread inside the change, so it
must be quick and must not raise."""

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
        for listener in list(self._listeners):
            try:
                listener(kind, subject)
            except Exception:
                logger.exception("an event listener failed on %s", kind)

    def job_changed(self, job: Any, old: str) -> None:
        """Job hook: every transition is a `job` event."""
        self.emit("job", job)
