"""Signed webhook deliveries: real POSTs from the background, retried with back-off, all logged.

When a job with a `webhookUrl` reaches a final state the document's payload is POSTed, signed
`X-Doitong-Signature: sha256=<hex HMAC of the exact body>` with the account's secret (and, for
accounts that ask for it, with the Standard Webhooks headers too). Attempts are timers on the
scheduler of the job's account, so `--speed` and the virtual clock (the server's, or the
account's own) move retries like everything else. A retry is due a back-off after the time its
attempt was made, however far the clock moved while the receiver answered.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import random
import time
import uuid
from collections import OrderedDict
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from .. import __version__
from .clock import Timer, isoformat
from .clocks import Clocks
from .errors import BadUserInput, NotFound
from .jobs import FAILED, FINAL, Job
from .signing import sign, standard_signature
from .targets import DEFAULT_PORTS, host_allowed

if TYPE_CHECKING:
    import httpx

    from .accounts import Account

logger = logging.getLogger("mockserver.webhooks")

USER_AGENT = f"doitong-mock/{__version__} (webhooks)"
MAX_KNOWN_DESTINATIONS = 10_000
PENDING, DELIVERED, FAILED_DELIVERY = "pending", "delivered", "failed"
STATES = (PENDING, DELIVERED, FAILED_DELIVERY)

# The headers of every attempt (`doitong-mock check` expects these names).
SIGNATURE_HEADER = "X-Doitong-Signature"
DELIVERY_HEADER = "X-Doitong-Delivery"
TIMESTAMP_HEADER = "X-Doitong-Timestamp"
EVENT_HEADER = "X-Doitong-Event"
ATTEMPT_HEADER = "X-Doitong-Attempt"
# The document's payload; `error` is added when the job failed.
PAYLOAD_FIELDS = ("id", "status", "url", "service", "createdAt", "completedAt", "metadata")
METADATA_FIELDS = ("duration", "width", "height")


def event_name(status: str) -> str:
    """`X-Doitong-Event` of a delivery for a job that reached `status`."""
    return f"avatar.{status}"


def payload(job: Job) -> dict[str, Any]:
    """The document's webhook payload, plus `error` when the job failed."""
    body = {
        "id": job.id,
        "status": job.status,
        "url": job.output_url,
        "service": job.plan.request.provider,
        "createdAt": isoformat(job.created_at),
        "completedAt": isoformat(job.finished_at),
        "metadata": job.metadata,
    }
    if job.status == FAILED:
        body["error"] = job.error
    return body


@dataclass(slots=True)
class Attempt:
    number: int
    at: float
    url: str
    status_code: int | None
    error: str | None
    latency_ms: float
    manual: bool = False
    headers: dict[str, str] = field(default_factory=dict)  # as sent (none if nothing was sent)


@dataclass(eq=False, slots=True)
class Delivery:
    id: str
    job_id: str
    account_key: str
    url: str
    event: str
    body: bytes
    secret: str
    standard: bool
    created_at: float
    state: str = PENDING
    attempts: list[Attempt] = field(default_factory=list)
    next_attempt_at: float | None = None
    timer: Timer | None = field(default=None, metadata={"transient": True})


@dataclass(frozen=True, slots=True)
class Logged:
    """Deliveries of one page of the log, oldest first; `total` counts every kept delivery that
    matches, and `next` is the `before` (a delivery's id) that reads the page just older."""

    deliveries: list[Delivery]
    total: int
    next: str | None


@dataclass(frozen=True, slots=True)
class WebhookSettings:
    """What `Settings` decides (attempts, timeout, first retry, allow-list, log size), and how the
    engine runs, which is not a setting."""

    max_attempts: int
    timeout: float
    first_retry: float
    allow: tuple[str, ...]
    max_kept: int
    factor: float = 3.0
    jitter: float = 0.1
    # Attempts in flight at once, for receivers that answered in time last time, and for those that
    # did not (timed out, or took over half the timeout): slow ones never take a healthy one's slot.
    concurrency: int = 96
    slow_concurrency: int = 32
    # Attempts in flight to one receiver. httpcore checks every pooled connection whenever a
    # request starts or ends, so more connections to one busy receiver cost more CPU than they
    # save: 1,000 deliveries to one receiver took 8 s of CPU with 64, under 2 s with 16
    # (benchmarks/run.py measures it).
    per_destination: int = 16
    # Fast-lane attempts in flight for one account's deliveries: one tenant cannot take every slot.
    per_account: int = 32


class _Limits:
    """A semaphore per name (destination), kept only while someone uses it."""

    def __init__(self, size: int) -> None:
        self._size = size
        self._held: dict[str, tuple[asyncio.Semaphore, int]] = {}

    @contextlib.asynccontextmanager
    async def slot(self, name: str) -> AsyncIterator[None]:
        semaphore, users = self._held.get(name, (None, 0))
        if semaphore is None:
            semaphore = asyncio.Semaphore(self._size)
        self._held[name] = (semaphore, users + 1)
        try:
            async with semaphore:
                yield
        finally:
            semaphore, users = self._held[name]
            if users == 1:
                del self._held[name]
            else:
                self._held[name] = (semaphore, users - 1)


class _FairShare:
    """One account's share of the fast lane. A receiver not heard from yet gets one attempt at a
    time (a probe); a freed slot goes to the waiting destination with the fewest attempts in
    flight. So a receiver the account has not used before is not queued behind dozens of
    attempts to its other receivers, and waiters whose destination has turned out slow
    meanwhile are sent to the slow lane instead of taking the slot."""

    def __init__(self, size: int, is_slow: Callable[[str], bool], is_known: Callable[[str], bool]) -> None:
        self.free = size
        self.is_slow = is_slow
        self.is_known = is_known
        self.in_flight: dict[str, int] = {}
        self.waiting: list[tuple[str, asyncio.Future[bool]]] = []

    @property
    def idle(self) -> bool:
        return not self.in_flight and not self.waiting

    def _may_start(self, destination: str) -> bool:
        return self.is_known(destination) or not self.in_flight.get(destination)

    async def acquire(self, destination: str) -> bool:
        """True with a fast-lane slot; False when the destination is to wait in the slow lane."""
        if self.free > 0 and self._may_start(destination):
            self.free -= 1
        else:
            future: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
            self.waiting.append((destination, future))
            try:
                if not await future:
                    return False
                return True  # the slot and the count in flight were taken for it
            except asyncio.CancelledError:
                if future.done() and not future.cancelled() and future.result():
                    self.release(destination)  # granted as it was cancelled: the slot goes on
                elif not future.done():
                    self.waiting.remove((destination, future))
                raise
        self.in_flight[destination] = self.in_flight.get(destination, 0) + 1
        return True

    def release(self, destination: str) -> None:
        left = self.in_flight[destination] - 1
        if left:
            self.in_flight[destination] = left
        else:
            del self.in_flight[destination]
        self.free += 1
        self._dispatch()

    def _dispatch(self) -> None:
        """Send waiters of destinations now known slow to the slow lane; give free slots out."""
        rerouted = [w for w in self.waiting if self.is_slow(w[0])]
        for waiter in rerouted:
            self.waiting.remove(waiter)
            waiter[1].set_result(False)
        while self.free > 0:
            eligible = [i for i, (destination, _) in enumerate(self.waiting) if self._may_start(destination)]
            if not eligible:
                return
            chosen = min(eligible, key=lambda i: self.in_flight.get(self.waiting[i][0], 0))
            destination, future = self.waiting.pop(chosen)
            self.free -= 1
            self.in_flight[destination] = self.in_flight.get(destination, 0) + 1
            future.set_result(True)


class Lanes:
    """Slots for attempts in flight, so that no receiver and no tenant can stall the others'
    deliveries.

    Destinations that were slow last time (over half the timeout) wait in a lane of their own:
    a hundred receivers that drip a byte a second hold the slow lane, never the slots healthy
    receivers need. In the fast lane, each account gets at most `per_account` slots, shared
    fairly between its destinations; each destination (scheme, host and port) gets at most
    `per_destination` slots in either lane.
    """

    def __init__(self, settings: WebhookSettings) -> None:
        self._fast = asyncio.Semaphore(settings.concurrency)
        self._slow_lane = asyncio.Semaphore(settings.slow_concurrency)
        self._per_account = settings.per_account
        self._accounts: dict[str, _FairShare] = {}
        self._destinations = _Limits(settings.per_destination)
        self._slow: OrderedDict[str, None] = OrderedDict()
        self._healthy: OrderedDict[str, None] = OrderedDict()

    @contextlib.asynccontextmanager
    async def slot(self, account: str, destination: str) -> AsyncIterator[None]:
        async with self._destinations.slot(destination):
            if destination in self._slow:
                async with self._slow_lane:
                    yield
                return
            share = self._accounts.get(account)
            if share is None:
                share = self._accounts[account] = _FairShare(
                    self._per_account, self._slow.__contains__, self._healthy.__contains__
                )
            if not await share.acquire(destination):
                if share.idle:
                    self._accounts.pop(account, None)
                async with self._slow_lane:
                    yield
                return
            try:
                async with self._fast:
                    yield
            finally:
                share.release(destination)
                if share.idle:
                    self._accounts.pop(account, None)

    def record(self, destination: str, slow: bool) -> None:
        """What the destination's last attempt showed: slow (its next go to the slow lane) or not."""
        heard, other = (self._slow, self._healthy) if slow else (self._healthy, self._slow)
        other.pop(destination, None)
        heard[destination] = None
        heard.move_to_end(destination)
        while len(heard) > MAX_KNOWN_DESTINATIONS:
            heard.popitem(last=False)


class Webhooks:
    def __init__(
        self,
        clocks: Clocks,
        settings: WebhookSettings,
        account_for: Callable[[str], Account | None],
        seed: int | None,
        on_change: Callable[[Delivery], None],
        on_forget: Callable[[Delivery], None],
    ) -> None:
        self._clocks = clocks
        self.settings = settings
        self._account_for = account_for
        self._rng = random.Random(f"{seed}:webhooks") if seed is not None else random.Random()
        self._ids = random.Random(f"{seed}:delivery-ids") if seed is not None else None
        self.deliveries: OrderedDict[str, Delivery] = OrderedDict()
        self.by_job: dict[str, list[str]] = {}
        self._on_change = on_change
        self._on_forget = on_forget
        self._client: httpx.AsyncClient | None = None
        self._client_loop: asyncio.AbstractEventLoop | None = None
        self._lanes: Lanes | None = None
        self._closed = False
        self._tasks: set[asyncio.Task[None]] = set()
        # Whoever waits for a delivery's next recorded attempt (`wait_for`), by delivery id.
        self._watchers: dict[str, set[asyncio.Future[None]]] = {}

    def _new_id(self) -> str:
        if self._ids is not None:
            return f"dlv_{self._ids.getrandbits(128):032x}"
        return "dlv_" + uuid.uuid4().hex

    def retry_delay(self, attempts_made: int) -> float:
        """Simulated seconds before the next attempt: 10, 30, 90, ... with jitter."""
        s = self.settings
        delay = s.first_retry * s.factor ** (attempts_made - 1)
        if s.jitter:
            delay *= 1.0 + self._rng.uniform(-s.jitter, s.jitter)
        return delay

    def on_transition(self, job: Job, old: str) -> None:
        """Job hook: a final state with a webhookUrl starts a delivery."""
        if job.status not in FINAL or not job.plan.request.webhook_url:
            return
        account = self._account_for(job.account_key)
        if account is None:
            return
        body = json.dumps(payload(job), separators=(",", ":")).encode()
        now = self._clocks.now(job.account_key)
        delivery = Delivery(
            id=self._new_id(),
            job_id=job.id,
            account_key=job.account_key,
            url=job.plan.request.webhook_url,
            event=event_name(job.status),
            body=body,
            secret=account.webhook_secret,
            standard=account.standard_webhooks,
            created_at=now,
        )
        self._keep(delivery)
        self._schedule(delivery, now)
        self._changed(delivery)

    def restore(self, delivery: Delivery) -> None:
        """Take back a delivery from the state file; one still pending is retried when due."""
        self._keep(delivery)
        if delivery.state == PENDING:
            self._schedule(delivery, delivery.next_attempt_at or self._clocks.now(delivery.account_key))

    def _changed(self, delivery: Delivery) -> None:
        self._on_change(delivery)
        for watcher in self._watchers.pop(delivery.id, ()):
            if not watcher.done():
                watcher.set_result(None)

    def _keep(self, delivery: Delivery) -> None:
        self.deliveries[delivery.id] = delivery
        self.by_job.setdefault(delivery.job_id, []).append(delivery.id)
        while len(self.deliveries) > self.settings.max_kept:
            _, old = self.deliveries.popitem(last=False)
            if old.timer is not None:  # a delivery no longer in the log is no longer retried
                old.timer.cancel()
                old.timer = None
            ids = self.by_job.get(old.job_id)
            if ids is not None:
                ids.remove(old.id)
                if not ids:
                    del self.by_job[old.job_id]
            self._on_forget(old)

    def _schedule(self, delivery: Delivery, at: float) -> None:
        delivery.next_attempt_at = at
        delivery.timer = self._clocks.of(delivery.account_key).call_at(at, lambda _: self._attempt_when_due(delivery))

    def _attempt_when_due(self, delivery: Delivery) -> None:
        self._launch(delivery, manual=False)

    def _launch(self, delivery: Delivery, manual: bool) -> asyncio.Task[None] | None:
        if self._closed:
            return None
        if not manual:
            delivery.timer = None
            delivery.next_attempt_at = None
            if delivery.state == DELIVERED:
                return None
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            logger.warning("no event loop to deliver %s from", delivery.id)
            return None
        task = loop.create_task(self._attempt(delivery, manual))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        if not manual:
            # Advancing or settling the account's clock waits for the attempt and its outcome.
            self._clocks.of(delivery.account_key).track(task)
        return task

    def _http(self) -> httpx.AsyncClient:
        if self._client is None:
            import httpx  # loaded with the first delivery: it costs start-up time otherwise

            s = self.settings
            self._client = httpx.AsyncClient(
                timeout=s.timeout,
                follow_redirects=False,
                limits=httpx.Limits(max_connections=s.concurrency + s.slow_concurrency),
                headers={"User-Agent": USER_AGENT},
            )
            self._client_loop = asyncio.get_running_loop()
            self._lanes = Lanes(s)
        return self._client

    def _headers(self, delivery: Delivery, number: int) -> dict[str, str]:
        # Real time, not the mock's clock: receivers check it against theirs to refuse replays.
        timestamp = int(time.time())
        headers = {
            "Content-Type": "application/json",
            SIGNATURE_HEADER: sign(delivery.secret, delivery.body),
            DELIVERY_HEADER: delivery.id,
            TIMESTAMP_HEADER: str(timestamp),
            EVENT_HEADER: delivery.event,
            ATTEMPT_HEADER: str(number),
        }
        if delivery.standard:
            headers["webhook-id"] = delivery.id
            headers["webhook-timestamp"] = str(timestamp)
            headers["webhook-signature"] = standard_signature(
                delivery.secret, delivery.id, timestamp, delivery.body
            )
        return headers

    async def _attempt(self, delivery: Delivery, manual: bool) -> None:
        import httpx

        client = self._http()
        assert self._lanes is not None
        parts = urlsplit(delivery.url)
        host = (parts.hostname or "").rstrip(".")
        destination = f"{parts.scheme}://{host}:{parts.port or DEFAULT_PORTS.get(parts.scheme, 80)}"
        timeout = self.settings.timeout
        async with self._lanes.slot(delivery.account_key, destination):
            number = len(delivery.attempts) + 1
            at = self._clocks.now(delivery.account_key)
            started = time.perf_counter()
            status_code: int | None = None
            error: str | None = None
            sent: dict[str, str] = {}
            try:
                if not host_allowed(parts.hostname or "", self.settings.allow):
                    error = "host not allowed by --webhook-allow"
                else:
                    headers = self._headers(delivery, number)
                    sent = {**headers, "User-Agent": USER_AGENT}
                    # One deadline for the whole attempt: connecting, sending and the complete
                    # answer. httpx's own timeouts bound each read, which a dripping receiver resets.
                    async with asyncio.timeout(timeout):
                        response = await client.post(delivery.url, content=delivery.body, headers=headers)
                    status_code = response.status_code
            except (TimeoutError, httpx.TimeoutException):
                error = f"timed out after {timeout:g} s"
            except httpx.HTTPError as exc:
                error = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
            latency = (time.perf_counter() - started) * 1000
            # Known before the slot is given on: half the timeout (ms against s) is slow.
            self._lanes.record(destination, slow=latency >= timeout * 500)
        if self.deliveries.get(delivery.id) is not delivery:
            return  # dropped from the log meanwhile (or the emulator closed): nothing more to do
        delivery.attempts.append(Attempt(number, at, delivery.url, status_code, error, latency, manual, sent))
        self._settle(delivery, status_code, manual, at)
        self._changed(delivery)

    def _settle(self, delivery: Delivery, status_code: int | None, manual: bool, at: float) -> None:
        """After an attempt: delivered, failed for good, or the next retry scheduled."""
        if status_code is not None and 200 <= status_code < 300:
            delivery.state = DELIVERED
            if delivery.timer is not None:
                delivery.timer.cancel()
                delivery.timer = None
                delivery.next_attempt_at = None
            return
        if manual or delivery.state == DELIVERED:
            return
        automatic = sum(1 for a in delivery.attempts if not a.manual)
        if automatic >= self.settings.max_attempts:
            delivery.state = FAILED_DELIVERY
            return
        # From the time the attempt was made, not from now: a clock advanced while the receiver
        # answered must not push the retry out of the span it advanced over.
        self._schedule(delivery, at + self._clocks.of(delivery.account_key).scaled(self.retry_delay(automatic)))

    async def resend(self, delivery_id: str) -> Delivery:
        """Send a delivery once more now, whatever its state, and wait for the answer.

        A failed re-send changes nothing and schedules no retries; a successful one marks the
        delivery delivered."""
        delivery = self.get(delivery_id)
        task = self._launch(delivery, manual=True)
        if task is not None:
            await asyncio.wait({task}, timeout=self.settings.timeout + 5)
        return delivery

    async def wait_for(self, delivery_id: str, attempts: int, timeout: float) -> Delivery:
        """The delivery once at least `attempts` of its attempts are recorded, or as it is after
        `timeout` seconds: a receiver that got attempt N asks, so that what it reads next of the
        delivery log includes that attempt's outcome."""
        delivery = self.get(delivery_id)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while len(delivery.attempts) < attempts and self.deliveries.get(delivery_id) is delivery:
            remaining = deadline - loop.time()
            if remaining <= 0:
                break
            watcher: asyncio.Future[None] = loop.create_future()
            watchers = self._watchers.setdefault(delivery_id, set())
            watchers.add(watcher)
            try:
                await asyncio.wait_for(watcher, remaining)
            except TimeoutError:
                break
            finally:
                watchers.discard(watcher)
                if not watchers and self._watchers.get(delivery_id) is watchers:
                    del self._watchers[delivery_id]
        return delivery

    def forget_account(self, account_key: str) -> None:
        """An account was deleted: its deliveries are retried no more and leave the log."""
        for delivery in [d for d in self.deliveries.values() if d.account_key == account_key]:
            if delivery.timer is not None:
                delivery.timer.cancel()
                delivery.timer = None
            del self.deliveries[delivery.id]
            ids = self.by_job.get(delivery.job_id)
            if ids is not None:
                ids.remove(delivery.id)
                if not ids:
                    del self.by_job[delivery.job_id]
            self._on_forget(delivery)

    def get(self, delivery_id: str) -> Delivery:
        delivery = self.deliveries.get(delivery_id)
        if delivery is None:
            raise NotFound(f"no webhook delivery {delivery_id!r}")
        return delivery

    def for_job(self, job_id: str) -> list[Delivery]:
        return [self.deliveries[i] for i in self.by_job.get(job_id, ()) if i in self.deliveries]

    def for_account(self, account_key: str) -> list[Delivery]:
        return [d for d in self.deliveries.values() if d.account_key == account_key]

    def all(self) -> list[Delivery]:
        return list(self.deliveries.values())

    def search(
        self,
        *,
        job_id: str | None = None,
        account_key: str | None = None,
        state: str | None = None,
        text: str | None = None,
        before: str | None = None,
        limit: int | None = None,
    ) -> Logged:
        """Deliveries that match, oldest first: the newest `limit` (all without one) of those
        older than delivery `before`. `text` is looked for, ignoring case, in the id, job,
        account, URL and event."""
        if state is not None and state not in STATES:
            raise BadUserInput(f"unknown state {state!r} (known: {', '.join(STATES)})", field="state")
        if before is not None and before not in self.deliveries:
            raise BadUserInput(
                f"no delivery {before!r} in the log (it keeps the newest {self.settings.max_kept})", field="before"
            )
        needle = text.lower() if text else None
        source = self.for_job(job_id) if job_id else self.deliveries.values()
        chosen: list[Delivery] = []
        total = 0
        older = False
        reached = before is None
        for d in reversed(list(source)):
            if account_key is not None and d.account_key != account_key:
                continue
            if state is not None and d.state != state:
                continue
            if needle is not None and needle not in f"{d.id}\n{d.job_id}\n{d.account_key}\n{d.url}\n{d.event}".lower():
                continue
            total += 1
            if not reached:
                reached = d.id == before
                continue
            if limit is None or len(chosen) < limit:
                chosen.append(d)
            else:
                older = True
        chosen.reverse()
        return Logged(chosen, total, chosen[0].id if older and chosen else None)

    async def drain(self, timeout: float = 30.0) -> None:
        """Wait until no attempt is running (tests read the delivery log after it)."""
        deadline = asyncio.get_running_loop().time() + timeout
        while self._tasks and asyncio.get_running_loop().time() < deadline:
            await asyncio.wait(set(self._tasks), timeout=max(deadline - asyncio.get_running_loop().time(), 0))

    async def close(self, final: bool) -> None:
        """Stop the attempts running now; with `final`, retry none any more either (a reset
        replaced these deliveries). Without it, pending retries stay scheduled for a restart."""
        if final:
            self._closed = True
            for delivery in self.deliveries.values():
                if delivery.timer is not None:
                    delivery.timer.cancel()
                    delivery.timer = None
        # Closed from another event loop (a test's, gone by its teardown), what belongs to the
        # loop the deliveries ran on cannot be touched any more; it is dropped instead.
        loop = asyncio.get_running_loop()
        for task in list(self._tasks):
            if task.get_loop() is loop:
                task.cancel()
        if self._client is not None and self._client_loop is loop:
            await self._client.aclose()
        self._client = self._client_loop = None
