"""The request journal: what the mock received and answered, so tests can assert what their
code sent and the inspector can show it."""

from __future__ import annotations

import heapq
import itertools
import re
from collections import deque
from collections.abc import Callable, Collection, Iterable, Reversible
from dataclasses import dataclass
from typing import Any, Literal

from typing_extensions import TypeAliasType

from .patterns import path_matches

MAX_BODY = 16 * 1024
# Where a request came in: the REST API, GraphQL over HTTP or a WebSocket, media, or elsewhere.
Surface = TypeAliasType("Surface", Literal["graphql", "rest", "media", "websocket", "other"])
# Headers whose values are credentials: the journal keeps them masked.
SECRET_HEADERS = frozenset(
    ("authorization", "proxy-authorization", "x-api-key", "x-admin-token", "cookie", "set-cookie")
)

Headers = tuple[tuple[str, str], ...]
RawHeaders = tuple[tuple[bytes, bytes], ...]


@dataclass(slots=True, eq=False)
class RecordedRequest:
    """What was received and answered, kept as the raw bytes the server saw (bodies cut at
    MAX_BODY): recording a request costs no decoding; it is done, and credentials masked, only
    when an entry is read. Never changed once made, but not frozen: a frozen dataclass takes
    four times as long to make, once for every request."""

    id: int
    at: float
    method: str
    path: str
    query: str
    surface: Surface
    operation: str | None
    key: str | None
    status: int
    latency_ms: float
    raw_body: bytes
    fault: str | None
    raw_headers: RawHeaders = ()
    raw_response_headers: RawHeaders = ()
    raw_response_body: bytes = b""
    response_size: int = 0
    body_size: int = 0
    job_id: str | None = None  # the job this request created
    replay_of: int | None = None  # the entry this one sent again (POST /_mock/requests/{id}/replay)

    @property
    def body(self) -> str:
        """The body as text: its first MAX_BODY bytes (`body_truncated` says when there were more)."""
        return body_text(self.raw_body)

    @property
    def body_truncated(self) -> bool:
        return len(self.raw_body) > MAX_BODY

    @property
    def response_truncated(self) -> bool:
        return len(self.raw_response_body) > MAX_BODY

    @property
    def headers(self) -> Headers:
        return masked(self.raw_headers)

    @property
    def response_headers(self) -> Headers:
        return masked(self.raw_response_headers)

    @property
    def response_body(self) -> str:
        """The body as text, or what it was for a video or an image (their bytes are not kept)."""
        kind = content_type(self.raw_response_headers)
        if is_textual(kind):
            return body_text(self.raw_response_body)
        return f"[{self.response_size} bytes of {kind}]"


TEXT_TYPES = ("text/", "application/json", "application/graphql-response+json", "application/problem+json",
              "application/javascript", "application/xml")


def content_type(headers: RawHeaders) -> str:
    for name, value in headers:
        if name.lower() == b"content-type":
            return value.decode("latin-1").split(";")[0].strip().lower()
    return ""


def is_textual(kind: str) -> bool:
    """Bodies the journal keeps as text (up to MAX_BODY); others it only counts (videos, images)."""
    return not kind or kind.startswith(TEXT_TYPES) or kind.endswith("+json")


def mask(value: str) -> str:
    """A credential shown without giving it away: its scheme and first characters at most."""
    scheme, space, secret = value.partition(" ")
    if not space or not secret:
        scheme, secret = "", value
    shown = secret[:4] if len(secret) >= 12 else ""
    return (scheme + " " if scheme else "") + shown + "•" * 8


def masked(raw: Iterable[tuple[bytes, bytes]]) -> Headers:
    """Raw ASGI headers as text, with the values of credential headers masked."""
    return tuple((name, mask(value) if name in SECRET_HEADERS else value) for name, value in plain(raw))


def plain(raw: Iterable[tuple[bytes, bytes]]) -> Headers:
    """Raw ASGI headers as text, credentials as sent (for the control API's `unmasked`)."""
    return tuple((name.decode("latin-1").lower(), value.decode("latin-1")) for name, value in raw)


def body_text(body: bytes) -> str:
    return body[:MAX_BODY].decode("utf-8", errors="replace")


STATUS_PATTERN = re.compile(r"[1-5](\d\d|xx)")


def status_matches(status: int, wanted: Collection[str]) -> bool:
    """`wanted` holds exact codes (`404`) and classes (`4xx`), as STATUS_PATTERN spells them."""
    code = str(status)
    return any(w == code or (w.endswith("xx") and code[0] == w[0]) for w in wanted)


@dataclass(frozen=True, slots=True)
class JournalPage:
    """Entries of one page, oldest first; `total` counts every kept entry that matches, and
    `next` is the `before` that reads the page just older than this one (None: none older)."""

    entries: list[RecordedRequest]
    total: int
    next: int | None


class Journal:
    """Bounded: past `size` entries one goes, the oldest of the key that holds the most, so one
    busy tenant pushes out its own entries, never another's few (on a mock shared by many
    teams, each test's `requests()` keeps its own). Size 0 keeps nothing."""

    def __init__(self, size: int, on_record: Callable[[RecordedRequest], None] | None = None) -> None:
        self.size = size
        self._entries: dict[int, RecordedRequest] = {}  # by id, oldest first
        self._by_key: dict[str | None, deque[RecordedRequest]] = {}
        # (-entries held, oldest id, key): the biggest holder on top. Stale tuples (the key's
        # count or oldest entry has changed since) are skipped when they come up.
        self._holders: list[tuple[int, int, str | None]] = []
        self._ids = itertools.count(1)
        self._on_record = on_record

    def record(self, **fields: Any) -> RecordedRequest | None:
        if not self.size:
            return None
        entry = RecordedRequest(id=next(self._ids), **fields)
        if len(self._entries) >= self.size:
            self._evict()
        self._entries[entry.id] = entry
        mine = self._by_key.get(entry.key)
        if mine is None:
            mine = self._by_key[entry.key] = deque()
        mine.append(entry)
        self._rank(entry.key, mine)
        if self._on_record is not None:
            self._on_record(entry)
        return entry

    def _rank(self, key: str | None, entries: deque[RecordedRequest]) -> None:
        heapq.heappush(self._holders, (-len(entries), entries[0].id, key))
        if len(self._holders) > 4 * len(self._by_key) + 64:
            self._holders = [(-len(q), q[0].id, k) for k, q in self._by_key.items()]
            heapq.heapify(self._holders)

    def _evict(self) -> None:
        """The oldest entry of the key holding the most (of those, the one with the oldest)."""
        while True:
            count, oldest, key = heapq.heappop(self._holders)
            entries = self._by_key.get(key)
            if entries and -count == len(entries) and entries[0].id == oldest:
                break
        gone = entries.popleft()
        del self._entries[gone.id]
        if entries:
            self._rank(key, entries)
        else:
            del self._by_key[key]

    def get(self, entry_id: int) -> RecordedRequest | None:
        """One entry by id, if it is still kept."""
        return self._entries.get(entry_id)

    def clear(self) -> int:
        count = len(self._entries)
        self._entries.clear()
        self._by_key.clear()
        self._holders.clear()
        return count

    def __len__(self) -> int:
        return len(self._entries)

    def find(
        self,
        *,
        key: str | None = None,
        method: str | None = None,
        path: str | None = None,
        status: Collection[str] | None = None,
        operation: str | None = None,
        surface: str | None = None,
        since: float | None = None,
        text: str | None = None,
        job: str | None = None,
        fault: bool | None = None,
        before: int | None = None,
        limit: int = 100,
    ) -> JournalPage:
        """Matching entries, oldest first: the newest `limit` of those older than entry `before`.

        `path` ending in `*` matches as a prefix; `status` holds codes and classes (`4xx`);
        `operation` matches any of a GraphQL request's names (operation name or root fields);
        `text` is looked for, ignoring case, in the method, path, query, operation, key, fault and
        both bodies; `job` matches the request that created the job and every one that names it
        (in its path, query or body); `fault` keeps the requests a fault answered (or the others)."""
        needle = text.lower() if text else None
        job_bytes = job.encode() if job else None

        def keep(e: RecordedRequest) -> bool:
            if key is not None and e.key != key:
                return False
            if method is not None and e.method != method.upper():
                return False
            if path is not None and not path_matches(path, e.path):
                return False
            if status is not None and not status_matches(e.status, status):
                return False
            if operation is not None and operation not in (e.operation or "").split(","):
                return False
            if surface is not None and e.surface != surface:
                return False
            if since is not None and e.at < since:
                return False
            if fault is not None and (e.fault is not None) != fault:
                return False
            if job is not None and job_bytes is not None and not (
                e.job_id == job or job in e.path or job in e.query or job_bytes in e.raw_body
            ):
                return False
            return needle is None or needle in _searchable(e)

        source: Reversible[RecordedRequest] = self._entries.values() if key is None else self._by_key.get(key, deque())
        chosen: list[RecordedRequest] = []
        total = 0
        older = False
        for e in reversed(source):
            if not keep(e):
                continue
            total += 1
            if before is not None and e.id >= before:
                continue
            if len(chosen) < limit:
                chosen.append(e)
            else:
                older = True
        chosen.reverse()
        return JournalPage(chosen, total, chosen[0].id if older and chosen else None)


def _searchable(e: RecordedRequest) -> str:
    parts = (e.method, e.path, e.query, e.operation or "", e.key or "", e.fault or "", e.body, e.response_body)
    return "\n".join(parts).lower()
