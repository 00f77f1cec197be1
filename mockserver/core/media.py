"""Files behind URLs: rendered job outputs and avatar portraits, served with range support.

A completed job's video is rendered off the request path by one background worker and cached
on disk by content, so the same avatar, text and size render once. A request for an output
that is not rendered yet waits for it. With rendering off (`--no-render`), or if rendering
fails, the output is a still of the job's size and length (`core/still.py`), encoded on first
request and cached by size and length; the packaged placeholder is the last resort, should
even that fail.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import hashlib
import logging
import tempfile
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


class MediaStore:
    def __init__(self, fixtures: Fixtures, enabled: bool, directory: Path | None, max_files: int = 500) -> None:
        self.fixtures = fixtures
        self.enabled = enabled
        self.directory = directory or Path(tempfile.gettempdir()) / "doitong-mock-media"
        self.max_files = max_files
        self._executor: concurrent.futures.ThreadPoolExecutor | None = None
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
        avatar = fx.avatar_by_id.get(req.avatar_id or "") or fx.avatars.avatars[0]
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

    def _submit(self, key: str, make: Callable[[Path], Path]) -> concurrent.futures.Future[Path]:
        """The file `key` names: on disk already, being made, or made now by the worker."""
        future = self._futures.get(key)
        if future is not None and not (future.done() and future.exception() is not None):
            return future
        path = self.directory / f"{key}.mp4"
        if path.exists():
            future = concurrent.futures.Future()
            future.set_result(path)
            return future
        if self._executor is None:
            self.directory.mkdir(parents=True, exist_ok=True)
            self._executor = concurrent.futures.ThreadPoolExecutor(max_workers=1, thread_name_prefix="render")
        future = self._executor.submit(self._make, make, path)
        self._futures[key] = future
        return future

    def _make(self, make: Callable[[Path], Path], path: Path) -> Path:
        make(path)
        self._prune()
        return path

    def _render(self, spec: RenderSpec) -> concurrent.futures.Future[Path]:
        return self._submit(spec.key(), partial(render, spec))

    def _still(self, spec: StillSpec) -> concurrent.futures.Future[Path]:
        return self._submit(spec.key(), partial(encode_still, spec))

    def _prune(self) -> None:
        files = sorted(self.directory.glob("*.mp4"), key=lambda p: p.stat().st_mtime)
        for old in files[: max(len(files) - self.max_files, 0)]:
            old.unlink(missing_ok=True)

    @property
    def backlog(self) -> int:
        return sum(1 for f in self._futures.values() if not f.done())

    def on_transition(self, job: Job, old: str) -> None:
        """Job hook: start rendering a completed job's video unless the worker is swamped."""
        if job.status == COMPLETED and self.enabled and self.backlog < MAX_BACKLOG:
            try:
                self._render(self.spec(job))
            except OSError:
                logger.exception("cannot render %s", job.id)

    async def file_for(self, job: Job) -> Path:
        if self.enabled:
            try:
                return await asyncio.wrap_future(self._render(self.spec(job)))
            except Exception:
                logger.exception("rendering %s failed; serving a still of its size and length", job.id)
        try:
            return await asyncio.wrap_future(self._still(self.still(job)))
        except Exception:
            logger.exception("encoding the still of %s failed; serving the packaged placeholder", job.id)
            return PLACEHOLDER

    def close(self) -> None:
        if self._executor is not None:
            self._executor.shutdown(wait=False, cancel_futures=True)
            self._executor = None
