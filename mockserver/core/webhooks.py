"""Signed webhook deliveries: real POSTs from the background, retried with back-off, all logged.

When a job with a `webhookUrl` reaches a final state the document's payload is POSTed, signed
`X-Doitong-Signature: sha256=<hex HMAC of the exact body>` with the account's secret (and, for
accounts that ask for it, with the Standard Webhooks headers too). Attempts are timers on the
scheduler of the job's account, so `--speed` and the virtual clock (the server's, or the
account's own) move retries like everything else. A retry is due a back-off after the time its
attempt was made, however far the clock moved while the receiver answered.

Each attempt resolves the receiver's host, checks every address (`targets`) and connects to an
address it checked, never to a name; of the answer it reads the status and at most
`MAX_ANSWER_BYTES`, never decoded, so no receiver can make the mock hold more than that.
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
from http.cookiejar import CookieJar, DefaultCookiePolicy
from typing import TYPE_CHECKING, Any, Final, Generic, Literal, NamedTuple, TypeVar, get_args

from typing_extensions import TypeAliasType

from .. import __version__
from .clock import Timer, isoformat
from .clocks import Clocks
from .errors import BadUserInput, NotFound
from .jobs import FAILED, FINAL, Job
from .resolver import Resolver
from .signing import sign, standard_signature
from .targets import IPAddress, ServerAddress, Target, parse_target, refusal

if TYPE_CHECKING:
    import httpx

    from .accounts import Account

logger = logging.getLogger("mockserver.webhooks")

USER_AGENT = f"doitong-mock/{__version__} (webhooks)"
MAX_KNOWN_DESTINATIONS = 10_000
# Of a receiver's answer the status and headers count; this much of its body is read (so that a
# short answer leaves the connection fit for the next attempt), never inflated; the rest is dropped.
MAX_ANSWER_BYTES = 4096
K = TypeVar("K")
DeliveryState = TypeAliasType("DeliveryState", Literal["pending", "delivered", "failed"])
PENDING: Final = "pending"
DELIVERED: Final = "delivered"
FAILED_DELIVERY: Final = "failed"
STATES: tuple[DeliveryState, ...] = get_args(DeliveryState.__value__)

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
    state: DeliveryState = PENDING
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
    # Attempts in flight to one address and port (however spelled). httpcore checks every pooled
    # connection whenever a request starts or ends, so more connections to one busy receiver cost
    # more CPU than they save: 1,000 deliveries to one receiver took 8 s of CPU with 64, under 2 s
    # with 16 (benchmarks/run.py measures it).
    per_destination: int = 16
    # Of those, what one account may hold: another tenant of a shared receiver host finds a slot.
    per_account_at_destination: int = 12
    # Fast-lane attempts in flight for one account's deliveries: one tenant cannot take every slot.
    per_account: int = 32
    # Slow-lane attempts in flight for one account: a tenant's silent hosts leave room for others.
    slow_per_account: int = 8
    # Threads that resolve receivers' names, and how many of them one account's lookups may hold.
    resolver_threads: int = 16
    resolver_per_account: int = 4


class Receiver(NamedTuple):
    """Who answers an attempt: the address connected to, and the path (a shared receiver host
    serves many tenants' receivers, each at a path of its own)."""

    scheme: str
    address: str
    port: int
    path: str

    @property
    def destination(self) -> tuple[str, int]:
        """Where the connections go: the address and port, however the URL spelled the host."""
        return self.address, self.port


class _FairSlots:
    """`size` slots shared between accounts, none holding more than `per_account`; a freed slot
    goes to the waiting account with the fewest in flight (the longest waiting among equals), so
    how many attempts one account has waiting never decides how long another waits."""

    def __init__(self, size: int, per_account: int) -> None:
        self.free = size
        self.per_account = per_account
        self.in_flight: dict[str, int] = {}
        self.waiting: list[tuple[str, asyncio.Future[None]]] = []

    @property
    def idle(self) -> bool:
        return not self.in_flight and not self.waiting

    def _may_take(self, account: str) -> bool:
        return self.in_flight.get(account, 0) < self.per_account

    def _take(self, account: str) -> None:
        self.free -= 1
        self.in_flight[account] = self.in_flight.get(account, 0) + 1

    async def acquire(self, account: str) -> None:
        if self.free > 0 and self._may_take(account):
            self._take(account)
            return
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.waiting.append((account, future))
        try:
            await future
        except asyncio.CancelledError:
            if future.done() and not future.cancelled():
                self.release(account)  # granted as it was cancelled: the slot goes on
            elif (account, future) in self.waiting:
                self.waiting.remove((account, future))
            raise

    def release(self, account: str) -> None:
        left = self.in_flight[account] - 1
        if left:
            self.in_flight[account] = left
        else:
            del self.in_flight[account]
        self.free += 1
        self._dispatch()

    def _dispatch(self) -> None:
        self.waiting = [w for w in self.waiting if not w[1].done()]
        while self.free > 0:
            eligible = [i for i, (account, _) in enumerate(self.waiting) if self._may_take(account)]
            if not eligible:
                return
            chosen = min(eligible, key=lambda i: self.in_flight.get(self.waiting[i][0], 0))
            account, future = self.waiting.pop(chosen)
            self._take(account)
            future.set_result(None)

    @contextlib.asynccontextmanager
    async def slot(self, account: str) -> AsyncIterator[None]:
        await self.acquire(account)
        try:
            yield
        finally:
            self.release(account)


class _FairShare:
    """One account's share of the fast lane. A receiver not heard from yet gets one attempt at a
    time (a probe); a freed slot goes to the waiting receiver with the fewest attempts in
    flight. So a receiver the account has not used before is not queued behind dozens of
    attempts to its other receivers, and waiters whose receiver has turned out slow meanwhile
    are sent to the slow lane instead of taking the slot."""

    def __init__(self, size: int, is_slow: Callable[[Receiver], bool], is_known: Callable[[Receiver], bool]) -> None:
        self.free = size
        self.is_slow = is_slow
        self.is_known = is_known
        self.in_flight: dict[Receiver, int] = {}
        self.waiting: list[tuple[Receiver, asyncio.Future[bool]]] = []

    @property
    def idle(self) -> bool:
        return not self.in_flight and not self.waiting

    def _may_start(self, receiver: Receiver) -> bool:
        return self.is_known(receiver) or not self.in_flight.get(receiver)

    async def acquire(self, receiver: Receiver) -> bool:
        """True with a fast-lane slot; False when the receiver is to wait in the slow lane."""
        if self.free > 0 and self._may_start(receiver):
            self.free -= 1
        else:
            future: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
            self.waiting.append((receiver, future))
            try:
                if not await future:
                    return False
                return True  # the slot and the count in flight were taken for it
            except asyncio.CancelledError:
                if future.done() and not future.cancelled() and future.result():
                    self.release(receiver)  # granted as it was cancelled: the slot goes on
                elif (receiver, future) in self.waiting:
                    self.waiting.remove((receiver, future))
                raise
        self.in_flight[receiver] = self.in_flight.get(receiver, 0) + 1
        return True

    def release(self, receiver: Receiver) -> None:
        left = self.in_flight[receiver] - 1
        if left:
            self.in_flight[receiver] = left
        else:
            del self.in_flight[receiver]
        self.free += 1
        self._dispatch()

    def _dispatch(self) -> None:
        """Send waiters of receivers now known slow to the slow lane; give free slots out."""
        self.waiting = [w for w in self.waiting if not w[1].done()]
        rerouted = [w for w in self.waiting if self.is_slow(w[0])]
        for waiter in rerouted:
            self.waiting.remove(waiter)
            waiter[1].set_result(False)
        while self.free > 0:
            eligible = [i for i, (receiver, _) in enumerate(self.waiting) if self._may_start(receiver)]
            if not eligible:
                return
            chosen = min(eligible, key=lambda i: self.in_flight.get(self.waiting[i][0], 0))
            receiver, future = self.waiting.pop(chosen)
            self.free -= 1
            self.in_flight[receiver] = self.in_flight.get(receiver, 0) + 1
            future.set_result(True)


class _Heard(Generic[K]):
    """What the last attempts to each receiver (or address) showed: slow, or in time; the most
    recently heard `MAX_KNOWN_DESTINATIONS` are kept."""

    def __init__(self) -> None:
        self.slow: OrderedDict[K, None] = OrderedDict()
        self.healthy: OrderedDict[K, None] = OrderedDict()

    def record(self, key: K, slow: bool) -> None:
        heard, other = (self.slow, self.healthy) if slow else (self.healthy, self.slow)
        other.pop(key, None)
        heard[key] = None
        heard.move_to_end(key)
        while len(heard) > MAX_KNOWN_DESTINATIONS:
            heard.popitem(last=False)


class Lanes:
    """Slots for attempts in flight, so that no receiver and no tenant can stall the others'
    deliveries.

    Receivers that were slow last time (over half the timeout) wait in a lane of their own (as
    do receivers not heard from yet at an address that was slow last time): a hundred receivers
    that drip a byte a second hold the slow lane, never the slots healthy receivers need. In
    either lane each account has a share of its own: at most `per_account` fast slots, shared
    fairly between its receivers, and at most `slow_per_account` slow ones. Each destination
    (address and port) gets at most `per_destination` slots in all, of which one account holds
    at most `per_account_at_destination`; freed slots go to the account with the fewest in flight.
    """

    def __init__(self, settings: WebhookSettings) -> None:
        self._fast = asyncio.Semaphore(settings.concurrency)
        self._slow_lane = _FairSlots(settings.slow_concurrency, settings.slow_per_account)
        self._per_account = settings.per_account
        self._per_destination = settings.per_destination
        self._per_account_at_destination = settings.per_account_at_destination
        self._accounts: dict[str, _FairShare] = {}
        self._destinations: dict[tuple[str, int], _FairSlots] = {}
        self._receivers: _Heard[Receiver] = _Heard()
        self._addresses: _Heard[tuple[str, int]] = _Heard()

    def is_slow(self, receiver: Receiver) -> bool:
        if receiver in self._receivers.slow:
            return True
        return receiver not in self._receivers.healthy and receiver.destination in self._addresses.slow

    def is_known(self, receiver: Receiver) -> bool:
        return receiver in self._receivers.healthy or receiver in self._receivers.slow

    @contextlib.asynccontextmanager
    async def _destination(self, account: str, destination: tuple[str, int]) -> AsyncIterator[None]:
        slots = self._destinations.get(destination)
        if slots is None:
            slots = self._destinations[destination] = _FairSlots(
                self._per_destination, self._per_account_at_destination
            )
        try:
            async with slots.slot(account):
                yield
        finally:
            if slots.idle:
                self._destinations.pop(destination, None)

    @contextlib.asynccontextmanager
    async def slot(self, account: str, receiver: Receiver) -> AsyncIterator[None]:
        async with self._destination(account, receiver.destination):
            if self.is_slow(receiver):
                async with self._slow_lane.slot(account):
                    yield
                return
            share = self._accounts.get(account)
            if share is None:
                share = self._accounts[account] = _FairShare(self._per_account, self.is_slow, self.is_known)
            if not await share.acquire(receiver):
                if share.idle:
                    self._accounts.pop(account, None)
                async with self._slow_lane.slot(account):
                    yield
                return
            try:
                async with self._fast:
                    yield
            finally:
                share.release(receiver)
                if share.idle:
                    self._accounts.pop(account, None)

    def record(self, receiver: Receiver, slow: bool) -> None:
        """What the receiver's last attempt showed: slow (its next go to the slow lane) or not."""
        self._receivers.record(receiver, slow)
        self._addresses.record(receiver.destination, slow)


@dataclass(slots=True)
class _Outcome:
    """What one try of an attempt came to."""

    status_code: int | None
    error: str | None
    latency: float = 0.0
    sent: dict[str, str] = field(default_factory=dict)
    refused: bool = False  # the connection was refused: the next address may be tried


async def _read_some(response: httpx.Response) -> None:
    """Read at most `MAX_ANSWER_BYTES` of the answer's body as it came (never decoded): a short
    answer is read to its end and its connection can carry the next attempt; of a longer one
    the rest is dropped with the connection when the response closes."""
    read = 0
    async for chunk in response.aiter_raw():
        read += len(chunk)
        if read > MAX_ANSWER_BYTES:
            return  # the generator is closed with the response


class _Share:
    """One account's deliveries in the log, pending and finished apart, each oldest first."""

    def __init__(self) -> None:
        self.pending: OrderedDict[str, Delivery] = OrderedDict()
        self.done: OrderedDict[str, Delivery] = OrderedDict()

    def __len__(self) -> int:
        return len(self.pending) + len(self.done)

    def add(self, delivery: Delivery) -> None:
        (self.pending if delivery.state == PENDING else self.done)[delivery.id] = delivery

    def finished(self, delivery: Delivery) -> None:
        if self.pending.pop(delivery.id, None) is not None:
            self.done[delivery.id] = delivery

    def remove(self, delivery: Delivery) -> None:
        self.pending.pop(delivery.id, None)
        self.done.pop(delivery.id, None)

    def oldest(self) -> Delivery:
        """The one to drop first: the oldest finished, else the oldest pending."""
        return next(iter(self.done.values())) if self.done else next(iter(self.pending.values()))


class Webhooks:
    def __init__(
        self,
        clocks: Clocks,
        settings: WebhookSettings,
        account_for: Callable[[str], Account | None],
        seed: int | None,
        on_change: tuple[Callable[[Delivery], None], ...],
        on_forget: Callable[[Delivery], None],
        server: ServerAddress,
    ) -> None:
        self._clocks = clocks
        self.settings = settings
        self._server = server
        self._account_for = account_for
        self._rng = random.Random(f"{seed}:webhooks") if seed is not None else random.Random()
        self._ids = random.Random(f"{seed}:delivery-ids") if seed is not None else None
        self.deliveries: OrderedDict[str, Delivery] = OrderedDict()
        self.by_job: dict[str, list[str]] = {}
        self._shares: dict[str, _Share] = {}
        self._on_change = on_change
        self._on_forget = on_forget
        self._client: httpx.AsyncClient | None = None
        self._client_loop: asyncio.AbstractEventLoop | None = None
        self._lanes: Lanes | None = None
        self._resolver = Resolver(settings.resolver_threads, settings.resolver_per_account)
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
        for listener in self._on_change:  # persistence first: nothing is announced before it is kept
            listener(delivery)
        for watcher in self._watchers.pop(delivery.id, ()):
            if not watcher.done():
                watcher.set_result(None)

    def _keep(self, delivery: Delivery) -> None:
        """Into the log. A full log drops from the account that holds the most: its oldest
        finished delivery, or, with none, its oldest pending one (which is then never retried),
        so no tenant's volume pushes out another's pending retries, or its log while it holds less."""
        self.deliveries[delivery.id] = delivery
        self.by_job.setdefault(delivery.job_id, []).append(delivery.id)
        self._shares.setdefault(delivery.account_key, _Share()).add(delivery)
        while len(self.deliveries) > self.settings.max_kept:
            largest = max(self._shares.values(), key=len)
            self._drop(largest.oldest())

    def _drop(self, old: Delivery) -> None:
        if old.state == PENDING:
            logger.warning(
                "webhook delivery %s of account %s dropped from the log while pending, never to be retried: "
                "the account holds the most of the %d deliveries kept (--max-deliveries)",
                old.id, old.account_key, self.settings.max_kept,
            )
        self._remove(old)

    def _remove(self, old: Delivery) -> None:
        """Out of the log, and so retried no more."""
        del self.deliveries[old.id]
        share = self._shares[old.account_key]
        share.remove(old)
        if not share:
            del self._shares[old.account_key]
        if old.timer is not None:
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
                headers={"User-Agent": USER_AGENT, "Accept-Encoding": "identity"},
                # Nothing one receiver says reaches another: no cookies kept. No proxy from the
                # environment: a proxy would resolve the name again, after the check.
                cookies=CookieJar(DefaultCookiePolicy(allowed_domains=[])),
                trust_env=False,
                verify=httpx.create_ssl_context(trust_env=True),  # SSL_CERT_FILE and SSL_CERT_DIR still count
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

    async def _resolve(self, delivery: Delivery) -> tuple[Target, tuple[IPAddress, ...]] | str:
        """The target and the addresses it leads to, all checked; or why there is nothing to
        connect to."""
        timeout = self.settings.timeout
        try:
            target = parse_target(delivery.url)
        except BadUserInput as exc:  # kept from before the check at submission read it so
            return exc.message
        try:
            async with asyncio.timeout(timeout):
                addresses = await self._resolver.resolve(delivery.account_key, target.host, target.port)
        except TimeoutError:
            return f"timed out after {timeout:g} s resolving {target.name!r}"
        except OSError as exc:
            return f"could not resolve {target.name!r}: {exc.strerror or exc}"
        reason = refusal(target, addresses, self.settings.allow, self._server)
        if reason is not None:
            return f"refused: {reason}"
        return target, addresses

    async def _attempt(self, delivery: Delivery, manual: bool) -> None:
        client = self._http()
        assert self._lanes is not None
        resolved = await self._resolve(delivery)
        number = len(delivery.attempts) + 1
        at = self._clocks.now(delivery.account_key)
        outcome = _Outcome(None, resolved if isinstance(resolved, str) else None)
        if not isinstance(resolved, str):
            target, addresses = resolved
            timeout = self.settings.timeout
            spent = 0.0  # of the attempt's deadline, by the addresses tried so far
            # Each address in turn, as a client would, while connections are refused.
            for address in addresses:
                receiver = Receiver(target.scheme, str(address), target.port, target.path.split("?", 1)[0])
                async with self._lanes.slot(delivery.account_key, receiver):
                    number = len(delivery.attempts) + 1
                    at = self._clocks.now(delivery.account_key)
                    started = time.perf_counter()
                    outcome = await self._post(client, delivery, number, target, address, timeout - spent)
                    took = time.perf_counter() - started
                    spent += took
                    outcome.latency = spent * 1000
                    # Known before the slot is given on: half the timeout is slow.
                    self._lanes.record(receiver, slow=took >= timeout / 2)
                if not outcome.refused or spent >= timeout:
                    break
        if self.deliveries.get(delivery.id) is not delivery:
            return  # dropped from the log meanwhile (or the emulator closed): nothing more to do
        delivery.attempts.append(
            Attempt(number, at, delivery.url, outcome.status_code, outcome.error, outcome.latency, manual, outcome.sent)
        )
        self._settle(delivery, outcome.status_code, manual, at)
        self._changed(delivery)

    async def _post(
        self,
        client: httpx.AsyncClient,
        delivery: Delivery,
        number: int,
        target: Target,
        address: IPAddress,
        budget: float,
    ) -> _Outcome:
        """One POST to one checked address, within what is left of the attempt's deadline: the
        name goes in the Host header (and the TLS server name), the address in the URL, so the
        client has nothing left to resolve."""
        import httpx

        timeout = self.settings.timeout
        headers = self._headers(delivery, number)
        outcome = _Outcome(None, None, sent={**headers, "User-Agent": USER_AGENT, "Accept-Encoding": "identity"})
        extensions: dict[str, Any] = {}
        headers["Host"] = target.netloc
        if target.scheme == "https":
            extensions["sni_hostname"] = target.host.rstrip(".")
            headers["Connection"] = "close"  # pooled connections go by address: never share one between names
        try:
            # One deadline for the whole attempt: connecting, sending and the answer. httpx's own
            # timeouts bound each read, which a dripping receiver resets.
            async with asyncio.timeout(budget):
                async with client.stream(
                    "POST", target.with_address(address), content=delivery.body, headers=headers, extensions=extensions
                ) as response:
                    await _read_some(response)
                    outcome.status_code = response.status_code
        except (TimeoutError, httpx.TimeoutException):
            outcome.error = f"timed out after {timeout:g} s"
        except httpx.HTTPError as exc:
            outcome.error = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
            outcome.refused = isinstance(exc, httpx.ConnectError)
        return outcome

    def _settle(self, delivery: Delivery, status_code: int | None, manual: bool, at: float) -> None:
        """After an attempt: delivered, failed for good, or the next retry scheduled."""
        if status_code is not None and 200 <= status_code < 300:
            self._finish(delivery, DELIVERED)
            if delivery.timer is not None:
                delivery.timer.cancel()
                delivery.timer = None
                delivery.next_attempt_at = None
            return
        if manual or delivery.state == DELIVERED:
            return
        automatic = sum(1 for a in delivery.attempts if not a.manual)
        if automatic >= self.settings.max_attempts:
            self._finish(delivery, FAILED_DELIVERY)
            return
        # From the time the attempt was made, not from now: a clock advanced while the receiver
        # answered must not push the retry out of the span it advanced over.
        self._schedule(delivery, at + self._clocks.of(delivery.account_key).scaled(self.retry_delay(automatic)))

    def _finish(self, delivery: Delivery, state: DeliveryState) -> None:
        delivery.state = state
        share = self._shares.get(delivery.account_key)
        if share is not None:
            share.finished(delivery)

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
        share = self._shares.get(account_key)
        for delivery in [*share.pending.values(), *share.done.values()] if share is not None else ():
            self._remove(delivery)

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
        self._resolver.close()
