"""What resolvers see as `info.context`, from either transport (HTTP or WebSocket): the API of
the emulator the request was admitted by, the admitted caller (None: introspection only), where
the request came in (the base of the URLs a job answers with), and whom to tell of a job it made
(the journal links the request to it)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from ..core.accounts import Account, missing_key
from ..core.admission import Caller
from ..core.api import Api, Here
from ..core.inputs import JobRequest
from ..core.jobs import Job


def _nobody(job_id: str) -> None:
    pass


@dataclass
class Context:
    api: Api
    caller: Caller | None
    here: Here
    made_job: Callable[[str], None] = _nobody

    @property
    def account(self) -> Account:
        if self.caller is None:  # only introspection runs without a caller, and it resolves nothing of ours
            raise missing_key()
        return self.caller.account

    @property
    def base_url(self) -> str:
        return self.here.base_url

    def submit(self, job_request: JobRequest) -> Job:
        if self.caller is None:
            raise missing_key()
        job = self.api.submit(self.caller, job_request, self.here)
        self.made_job(job.id)
        return job
