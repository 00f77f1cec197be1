"""Fault injection: the next N matching requests get an error or extra latency."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from typing import Any

from .errors import RETRY_AFTER, ApiError
from .patterns import path_matches

DEFAULT_CODES = {
    400: "BAD_USER_INPUT",
    401: "UNAUTHENTICATED",
    402: "INSUFFICIENT_CREDITS",
    403: "FORBIDDEN",
    404: "NOT_FOUND",
    409: "CONFLICT",
    429: "RATE_LIMITED",
    500: "INTERNAL_SERVER_ERROR",
    502: "BAD_GATEWAY",
    503: "SERVICE_UNAVAILABLE",
    504: "GATEWAY_TIMEOUT",
}


@dataclass(frozen=True, slots=True)
class RequestInfo:
    method: str
    path: str
    surface: str
    key: str | None
    operations: frozenset[str]


@dataclass(eq=False)
class Fault:
    id: str
    remaining: int
    status: int | None = None
    given_code: str | None = None
    message: str | None = None
    extensions: dict[str, Any] = field(default_factory=dict)
    latency: float = 0.0
    key: str | None = None
    surface: str | None = None
    operation: str | None = None
    path: str | None = None
    method: str | None = None
    hits: int = 0

    def matches(self, info: RequestInfo) -> bool:
        if self.path is None and info.surface not in ("graphql", "rest"):
            return False
        if self.path is not None and not path_matches(self.path, info.path):
            return False
        if self.key is not None and info.key != self.key:
            return False
        if self.surface is not None and info.surface != self.surface:
            return False
        if self.method is not None and info.method != self.method.upper():
            return False
        return self.operation is None or self.operation in info.operations

    @property
    def code(self) -> str | None:
        """The error code it answers with: the one given, or the usual one for its status."""
        if self.status is None:
            return None
        return self.given_code or DEFAULT_CODES.get(self.status, "INJECTED_FAULT")

    def error(self) -> ApiError | None:
        if self.status is None or self.code is None:
            return None
        extensions = dict(self.extensions)
        headers = {}
        if self.status == 429:
            retry = int(extensions.get("retryAfter", 1))
            extensions.setdefault("retryAfter", retry)
            headers[RETRY_AFTER] = str(retry)
        message = self.message or f"Injected fault: {self.code}"
        return ApiError(message, status=self.status, code=self.code, headers=headers, extra=extensions)


class Faults:
    def __init__(self) -> None:
        self._faults: list[Fault] = []
        self._ids = itertools.count(1)

    def __bool__(self) -> bool:
        return bool(self._faults)

    @property
    def needs_operation(self) -> bool:
        return any(f.operation is not None for f in self._faults)

    def add(self, **fields: Any) -> Fault:
        fault = Fault(id=f"fault_{next(self._ids)}", **fields)
        self._faults.append(fault)
        return fault

    def take(self, info: RequestInfo) -> Fault | None:
        """The first matching fault, counted; one that has run out is removed."""
        for fault in self._faults:
            if fault.matches(info):
                fault.remaining -= 1
                fault.hits += 1
                if fault.remaining <= 0:
                    self._faults.remove(fault)
                return fault
        return None

    def list(self) -> list[Fault]:
        return list(self._faults)

    def remove(self, fault_id: str) -> bool:
        for fault in self._faults:
            if fault.id == fault_id:
                self._faults.remove(fault)
                return True
        return False

    def clear(self) -> int:
        count = len(self._faults)
        self._faults.clear()
        return count
