"""Files behind URLs: rendered job outputs and avatar portraits, served with range support.

A completed job's video is rendered off the request path by one background worker and cached
on disk by content, so the same avatar, text and size render once. A request for an output
that is not rendered yet waits for it. The worker takes each account's renders in turn, so one
tenant's long videos never hold another's short one behind them for more than the render in
progress. With rendering off (`--no-render`), or if rendering
fails, the output is a still of the job's size and length (`core/still.py`), encoded on first
request and cached by size and length; the packaged placeholder is the last resort, should
even that fail.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import hashlib
import itertools
import logging
import tempfile
import threading
from collections import deque
from collections.abc import Callable
from functools import partial
from pathlib import Path

from .fixtures import Fixtures
from .jobs import COMPLETED, Job
from .render import RenderSpec, render
from .still import StillSpec, encode_still

logger = logging.getLogger("mockserver.media")

PLACEHOLDER = Path(__file__).resolve().parent / "placeholder.mp4"
PITCH = {"female": 210.0, "male": 120.0, "neutral": 165.0}
MAX_BACKLOG = 4


Work = tuple[concurrent.futures.Future[Path], Callable[[], Path]]


class FairWorker:
    """One thread that runs work queued per account: next is always the account with work
    waiting that was served longest ago (or never), so a newcomer goes before a busy tenant's
    next item."""

    def __init__(self) -> None:
        self._queues: dict[str, deque[Work]] = {}
        self._served: dict[str, int] = {}  # when each account with work waiting was last served
        self._turns = itertools.count()
        self._ready = threading.Condition()
        self._thread: threading.Thread | None = None
        self._closed = False

    def submit(self, account: str, work: Callable[[], Path]) -> concurrent.futures.Future[Path]:
        future: concurrent.futures.Future[Path] = concurrent.futures.Future()
        with self._ready:
            if self._closed:
                future.cancel()
                return future
            self._queues.setdefault(account, deque()).append((future, work))
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="render", daemon=True)
                self._thread.start()
            self._ready.notify()
        return future

    def _next(self) -> Work | None:
        with self._ready:
            while not self._queues and not self._closed:
                self._ready.wait()
            if self._closed:
                return None
            account = min(self._queues, key=lambda name: self._served.get(name, -1))
            queue = self._queues[account]
            item = queue.popleft()
            self._served[account] = next(self._turns)
            if not queue:
                del self._queues[account]
                del self._served[account]
            return item

    def _run(self) -> None:
        while (item := self._next()) is not None:
            future, work = item
            if not future.set_running_or_notify_cancel():
                continue
            try:
                future.set_result(work())
            except BaseException as exc:  # handed to whoever waits for the file
                future.set_exception(exc)

    def close(self) -> None:
        """Nothing queued runs any more; the render in progress ends on its own."""
        with self._ready:
            self._closed = True
            for queue in self._queues.values():
                for future, _ in queue:
                    future.cancel()
            self._queues.clear()
            self._ready.notify_all()


class MediaStore:
    def __init__(self, fixtures: Fixtures, enabled: bool, directory: Path | None, max_files: int = 500) -> None:
        self.fixtures = fixtures
        self.enabled = enabled
        self.directory = directory or Path(tempfile.gettempdir()) / "doitong-mock-media"
        self.max_files = max_files
        self._worker: FairWorker | None = None
        # Files being made, by content key: a second request for one waits for the same render.
        # A future leaves once done (the file is then on disk), so this never grows.
        self._futures: dict[str, concurrent.futures.Future[Path]] = {}
        self._digests: dict[Path, str] = {}

    def _digest(self, path: Path) -> str:
        digest = self._digests.get(path)
        if digest is None:
            digest = self._digests[path] = hashlib.sha256(path.read_bytes()).hexdigest()
        return digest

    def spec(self, job: Job) -> RenderSpec:
        req = job.plan.request
        fx = self.fixtures
        avatar = fx.avatar_by_id.get(req.avatar_id or "") or fx.avatars[0]
        voice = fx.voice_by_id.get(req.voice or "")
        text = req.text or " ".join(["la"] * max(int(job.plan.duration * 2.5), 1))
        portrait = fx.portrait_path(avatar)
        return RenderSpec(
            portrait=portrait,
            portrait_digest=self._digest(portrait),
            mouth=avatar.mouth,
            text=text,
            duration=job.plan.duration,
            width=job.plan.width,
            height=job.plan.height,
            pitch=PITCH[voice.gender if voice else avatar.gender],
        )

    @staticmethod
    def still(job: Job) -> StillSpec:
        return StillSpec(job.plan.width, job.plan.height, job.plan.duration)

    def _submit(self, account: str, key: str, make: Callable[[Path], Path]) -> concurrent.futures.Future[Path]:
        """The file `key` names: on disk already, being made, or made now by the worker in the
        account's turn."""
        future = self._futures.get(key)
        if future is not None:
            return future
        path = self.directory / f"{key}.mp4"
        if path.exists():
            future = concurrent.futures.Future()
            future.set_result(path)
            return future
        if self._worker is None:
            self.directory.mkdir(parents=True, exist_ok=True)
            self._worker = FairWorker()
        future = self._worker.submit(account, partial(self._make, make, path))
        self._futures[key] = future
        future.add_done_callback(partial(self._done, key))
        return future

    def _done(self, key: str, future: concurrent.futures.Future[Path]) -> None:
        if self._futures.get(key) is future:
            del self._futures[key]

    def _make(self, make: Callable[[Path], Path], path: Path) -> Path:
        make(path)
        self._prune()
        return path

    def _render(self, job: Job) -> concurrent.futures.Future[Path]:
        spec = self.spec(job)
        return self._submit(job.account_key, spec.key(), partial(render, spec))

    def _still(self, job: Job) -> concurrent.futures.Future[Path]:
        spec = self.still(job)
        return self._submit(job.account_key, spec.key(), partial(encode_still, spec))

    def _prune(self) -> None:
        files = sorted(self.directory.glob("*.mp4"), key=lambda p: p.stat().st_mtime)
        for old in files[: max(len(files) - self.max_files, 0)]:
            old.unlink(missing_ok=True)

    @property
    def backlog(self) -> int:
        return sum(1 for f in list(self._futures.values()) if not f.done())  # a copy: the worker removes

    def on_transition(self, job: Job, old: str) -> None:
        """Job hook: start rendering a completed job's video unless the worker is swamped."""
        if job.status == COMPLETED and self.enabled and self.backlog < MAX_BACKLOG:
            try:
                self._render(job)
            except OSError:
                logger.exception("cannot render %s", job.id)

    async def file_for(self, job: Job) -> Path:
        if self.enabled:
            try:
                return await asyncio.wrap_future(self._render(job))
            except Exception:
                logger.exception("rendering %s failed; serving a still of its size and length", job.id)
        try:
            return await asyncio.wrap_future(self._still(job))
        except Exception:
            logger.exception("encoding the still of %s failed; serving the packaged placeholder", job.id)
            return PLACEHOLDER

    def close(self) -> None:
        if self._worker is not None:
            self._worker.close()
            self._worker = None
