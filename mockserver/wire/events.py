"""What each kind of event carries on the event stream (`GET /_mock/events`), as the control API
shows the same things: `Encoder` has a method per kind, named for it, whose return type is the
kind's shape. The control API's document reads those return types (`event_data`), so what it
says an event carries is what the stream sends.
"""

from __future__ import annotations

import types
import typing
from collections.abc import Mapping
from typing import Any, Literal, Union, get_args, get_origin

from typing_extensions import TypeAliasType

from ..core.accounts import Account
from ..core.errors import NotFound
from ..core.faults import Fault
from ..core.feed import LAGGED, Lagged
from ..core.jobs import Job
from ..core.journal import RecordedRequest
from ..core.ledger import LedgerEntry
from ..core.runtime import ResetReason, Runtime
from ..core.webhooks import Delivery
from . import shapes, views

EventKind = TypeAliasType(
    "EventKind", Literal["request", "journal", "job", "delivery", "ledger", "account", "clock", "fault", "reset"]
)
KINDS: tuple[EventKind, ...] = get_args(EventKind.__value__)
HELLO = "hello"


class Hello(shapes.Shape):
    """The first event on every connection: read the state afresh then."""

    version: str
    clock: shapes.Clock
    """The server's clock."""
    kinds: list[EventKind]
    """The kinds this stream carries."""
    adminToken: bool
    """Whether the server has an admin token."""


class Encoder:
    """The data of each kind of event, from the subject the emulator announced it with."""

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime

    def __call__(self, kind: str, subject: Any) -> Mapping[str, object] | None:
        """The event's data; None for a kind the stream does not carry, or a subject gone since."""
        if kind not in KINDS:
            return None
        encode: typing.Callable[[Any], Mapping[str, object] | None] = getattr(self, kind)
        return encode(subject)

    def request(self, subject: RecordedRequest) -> shapes.RequestEvent:
        return {"request": views.request_brief_view(subject)}

    def journal(self, subject: int) -> shapes.JournalEvent:
        return {"removed": subject}

    def job(self, subject: Job) -> shapes.JobEvent:
        return {"job": views.control_job_view(subject, self.runtime.control.now(subject))}

    def delivery(self, subject: Delivery) -> shapes.DeliveryEvent:
        return {"delivery": views.delivery_view(subject)}

    def ledger(self, subject: tuple[str, LedgerEntry]) -> shapes.LedgerEvent:
        key, entry = subject
        return {"account": key, "entry": views.ledger_entry_view(entry)}

    def account(self, subject: Account | str) -> shapes.AccountEvent | None:
        if isinstance(subject, str):
            return {"account": {"key": subject, "deleted": True}}
        try:
            return {"account": views.control_account_view(self.runtime.control.account(subject.key, entries=0))}
        except NotFound:
            return None  # gone since (a reset in between): the stream's `reset` says so

    def clock(self, subject: object) -> shapes.ClockEvent:
        return {"clock": views.control_clock_view(self.runtime.control.clock())}

    def fault(self, subject: Fault | None) -> shapes.FaultEvent:
        return {
            "fault": views.fault_view(subject) if subject is not None else None,
            "faults": [views.fault_view(f) for f in self.runtime.control.faults()],
        }

    def reset(self, subject: ResetReason) -> shapes.ResetEvent:
        return {"reason": subject}


def hello(runtime: Runtime, version: str, kinds: frozenset[EventKind] | None) -> Hello:
    return {
        "version": version,
        "clock": views.control_clock_view(runtime.control.clock()),
        "kinds": sorted(kinds) if kinds is not None else list(KINDS),
        "adminToken": runtime.settings.admin_token is not None,
    }


def event_data() -> dict[str, Any]:
    """Each kind of event and the type of what it carries: `hello` first, the kinds `?kinds=`
    picks (from `Encoder`'s return types, a kind a subject gone since has none of leaves out),
    then `lagged`."""
    carried: dict[str, Any] = {HELLO: Hello}
    for kind in KINDS:
        carried[kind] = _present(typing.get_type_hints(getattr(Encoder, kind))["return"])
    carried[LAGGED] = Lagged
    return carried


def _present(tp: Any) -> Any:
    """`T | None` is T: None is no event at all."""
    if get_origin(tp) in (Union, types.UnionType):
        (tp,) = (arg for arg in get_args(tp) if arg is not type(None))
    return tp
