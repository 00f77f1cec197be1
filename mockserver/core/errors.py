"""The one family of API errors, in the document's error format.

`{"errors": [{"message": ..., "extensions": {"code": ..., ...}}]}` with the HTTP status of the
document's table, on the REST and the GraphQL surface alike. The surfaces turn them into
responses in one handler each (`web.errors`, and GraphQL's error formatter).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

RETRY_AFTER = "Retry-After"
"""The header a 429 carries: seconds to wait before trying again."""


class ApiError(Exception):
    """An answer in the document's error format. Subclasses fix `status` and `code`; an error
    made up at run time (an injected fault) passes them as keyword arguments instead."""

    status: int = 400
    code: str = "BAD_USER_INPUT"

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        code: str | None = None,
        headers: Mapping[str, str] | None = None,
        extra: Mapping[str, Any] | None = None,
        **extensions: Any,
    ) -> None:
        # Messages may quote what a client sent: a lone surrogate there must not make the answer
        # unencodable, so it is written as its escape.
        message = message.encode("utf-8", "backslashreplace").decode("utf-8")
        super().__init__(message)
        self.message = message
        if status is not None:
            self.status = status
        if code is not None:
            self.code = code
        self.extensions = {k: v for k, v in {**(extra or {}), **extensions}.items() if v is not None}
        self.headers: dict[str, str] = dict(headers or {})

    def to_dict(self) -> dict[str, Any]:
        return {"message": self.message, "extensions": {"code": self.code, **self.extensions}}


class GraphQLDocumentError(ApiError):
    """A query that cannot run: the locations point into the query text."""

    def __init__(self, message: str, locations: list[dict[str, int]] | None = None) -> None:
        super().__init__(message)
        self.locations = locations

    def to_dict(self) -> dict[str, Any]:
        out = super().to_dict()
        if self.locations:
            out["locations"] = self.locations
        return out


class BadUserInput(ApiError):
    status = 400
    code = "BAD_USER_INPUT"

    def __init__(self, message: str, field: str | None = None, **extensions: Any) -> None:
        super().__init__(message, field=field, **extensions)


class GraphQLParseFailed(GraphQLDocumentError):
    status = 400
    code = "GRAPHQL_PARSE_FAILED"


class GraphQLValidationFailed(GraphQLDocumentError):
    status = 400
    code = "GRAPHQL_VALIDATION_FAILED"


class Unauthenticated(ApiError):
    status = 401
    code = "UNAUTHENTICATED"


class InsufficientCredits(ApiError):
    status = 402
    code = "INSUFFICIENT_CREDITS"

    def __init__(self, required: int, available: int) -> None:
        super().__init__(
            "Insufficient credits for this operation",
            creditsRequired=required,
            creditsAvailable=available,
        )


class Forbidden(ApiError):
    status = 403
    code = "FORBIDDEN"


class NotFound(ApiError):
    status = 404
    code = "NOT_FOUND"


class JobDropped(ApiError):
    """A job the caller was told about, dropped since by the finished-job cap: not a bare 404."""

    status = 410
    code = "JOB_DROPPED"


class MethodNotAllowed(ApiError):
    status = 405
    code = "METHOD_NOT_ALLOWED"


class Conflict(ApiError):
    status = 409
    code = "CONFLICT"


class JobAlreadyFinished(Conflict):
    code = "JOB_ALREADY_FINISHED"


class IdempotencyKeyReused(Conflict):
    code = "IDEMPOTENCY_KEY_REUSED"


class PayloadTooLarge(ApiError):
    status = 413
    code = "PAYLOAD_TOO_LARGE"

    def __init__(self, message: str) -> None:
        # The rest of the body is not read: the connection ends after the answer.
        super().__init__(message, headers={"Connection": "close"})


class RangeNotSatisfiable(ApiError):
    status = 416
    code = "RANGE_NOT_SATISFIABLE"


class RequestTimeout(ApiError):
    status = 408
    code = "REQUEST_TIMEOUT"

    def __init__(self, message: str) -> None:
        # The rest of a stalled request would be read as garbage: the connection is closed.
        super().__init__(message, headers={"Connection": "close"})


class HeadersTooLarge(ApiError):
    status = 431
    code = "REQUEST_HEADERS_TOO_LARGE"


class TooManyRequests(ApiError):
    status = 429
    code = "RATE_LIMITED"

    def __init__(
        self, message: str, *, limit: int, retry_after: int, headers: Mapping[str, str] | None = None
    ) -> None:
        super().__init__(
            message, headers={**(headers or {}), RETRY_AFTER: str(retry_after)}, limit=limit, retryAfter=retry_after
        )


class RateLimited(TooManyRequests):
    code = "RATE_LIMITED"


class ConcurrencyLimitExceeded(TooManyRequests):
    code = "CONCURRENCY_LIMIT_EXCEEDED"


class DailyLimitExceeded(TooManyRequests):
    code = "DAILY_LIMIT_EXCEEDED"


class TooManyIdempotencyKeys(TooManyRequests):
    code = "TOO_MANY_IDEMPOTENCY_KEYS"


class TooManySubscriptions(ApiError):
    status = 429
    code = "TOO_MANY_SUBSCRIPTIONS"


class ServiceUnavailable(ApiError):
    status = 503
    code = "SERVICE_UNAVAILABLE"


class TooManyAccounts(ApiError):
    status = 409
    code = "TOO_MANY_ACCOUNTS"


class InternalServerError(ApiError):
    status = 500
    code = "INTERNAL_SERVER_ERROR"



class FixturesInvalid(ApiError):
    status = 400
    code = "FIXTURES_INVALID"


def status_of(code: str) -> int:
    """The HTTP status that goes with an error code (400 for a code no class here has)."""
    pending: list[type[ApiError]] = [ApiError]
    while pending:
        cls = pending.pop()
        if vars(cls).get("code") == code:
            return cls.status
        pending.extend(cls.__subclasses__())
    return 400
