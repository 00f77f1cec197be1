"""The request journal: what the mock received, so tests can assert what their code sent."""

from __future__ import annotations

import itertools
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from .patterns import path_matches

MAX_BODY = 16 * 1024


@dataclass(frozen=True, slots=True)
class RecordedRequest:
    id: int
    at: float
    method: str
    path: str
    query: str
    surface: str
    operation: str | None
    key: str | None
    status: int
    latency_ms: float
    body: str
    fault: str | None


def body_text(body: bytes) -> str:
    text = body[:MAX_BODY].decode("utf-8", errors="replace")
    return text + f"...[{len(body) - MAX_BODY} more bytes]" if len(body) > MAX_BODY else text


class Journal:
    """Bounded: past `size` entries the oldest are dropped; size 0 keeps nothing."""

    def __init__(self, size: int = 1000) -> None:
        self.size = size
        self._entries: deque[RecordedRequest] = deque(maxlen=size or 1)
        self._ids = itertools.count(1)

    def record(self, **fields: Any) -> None:
        if self.size:
            self._entries.append(RecordedRequest(id=next(self._ids), **fields))

    def clear(self) -> int:
        count = len(self._entries)
        self._entries.clear()
        return count

    def __len__(self) -> int:
        return len(self._entries)

    def find(
        self,
        *,
        key: str | None = None,
        method: str | None = None,
        path: str | None = None,
        status: int | None = None,
        operation: str | None = None,
        surface: str | None = None,
        since: float | None = None,
        limit: int = 100,
    ) -> list[RecordedRequest]:
        """Matching entries, oldest first, the newest `limit` of them.

        `path` ending in `*` matches as a prefix; `operation` matches any of a GraphQL
        request's names (operation name or root fields)."""
        def keep(e: RecordedRequest) -> bool:
            if key is not None and e.key != key:
                return False
            if method is not None and e.method != method.upper():
                return False
            if path is not None and not path_matches(path, e.path):
                return False
            if status is not None and e.status != status:
                return False
            if operation is not None and operation not in (e.operation or "").split(","):
                return False
            if surface is not None and e.surface != surface:
                return False
            return since is None or e.at >= since

        matching: Iterable[RecordedRequest] = (e for e in self._entries if keep(e))
        result = list(matching)
        return result[-limit:] if limit > 0 else []
