"""Files behind URLs: rendered job outputs and avatar portraits, served with range support.

A completed job's video is rendered off the request path by one background worker and cached
on disk by content, so the same avatar, text and size render once. A request for an output
that is not rendered yet waits for it; the placeholder is served only with rendering off
(`--no-render`) or if rendering fails.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import hashlib
import logging
import tempfile
from pathlib import Path

from starlette.requests import Request
from starlette.responses import FileResponse, MalformedRangeHeader, Response
from starlette.responses import RangeNotSatisfiable as UnsatisfiableRange
from starlette.routing import Route

from .errors import BadUserInput, NotFound, RangeNotSatisfiable, error_response
from .fixtures import Fixtures
from .jobs import COMPLETED, Job
from .render import RenderSpec, render

logger = logging.getLogger("mockserver.media")

PLACEHOLDER = Path(__file__).with_name("static") / "placeholder.mp4"
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

    def _submit(self, spec: RenderSpec) -> concurrent.futures.Future[Path]:
        key = spec.key()
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
        future = self._executor.submit(self._render, spec, path)
        self._futures[key] = future
        return future

    def _render(self, spec: RenderSpec, path: Path) -> Path:
        render(spec, path)
        self._prune()
        return path

    def _prune(self) -> None:
        files = sorted(self.directory.glob("*.mp4"), key=lambda p: p.stat().st_mtime)
        for old in files[: max(len(files) - self.max_files, 0)]:
            old.unlink(missing_ok=True)

    @property
    def backlog(self) -> int:
        return sum(1 for f in self._futures.values() if not f.done())

    def on_transition(self, job: Job, old: str) -> None:
        """Job listener: start rendering a completed job's video unless the worker is swamped."""
        if job.status == COMPLETED and self.enabled and self.backlog < MAX_BACKLOG:
            try:
                self._submit(self.spec(job))
            except OSError:
                logger.exception("cannot render %s", job.id)

    async def file_for(self, job: Job) -> Path:
        if not self.enabled:
            return PLACEHOLDER
        try:
            return await asyncio.wrap_future(self._submit(self.spec(job)))
        except Exception:
            logger.exception("rendering %s failed; serving the placeholder", job.id)
            return PLACEHOLDER

    def close(self) -> None:
        if self._executor is not None:
            self._executor.shutdown(wait=False, cancel_futures=True)
            self._executor = None


def file_response(request: Request, path: Path, media_type: str, **options: str) -> Response:
    """Starlette's FileResponse (ranges, HEAD, ETag), with a bad Range answered in the error format."""
    http_range = request.headers.get("range")
    if http_range is not None:
        try:  # the parser FileResponse itself applies, so the check and the answer agree
            FileResponse._parse_range_header(http_range, path.stat().st_size)
        except MalformedRangeHeader as exc:
            return error_response(BadUserInput(f"malformed Range header {http_range!r}: {exc.content}", field="Range"))
        except UnsatisfiableRange as exc:
            error = RangeNotSatisfiable(f"Range {http_range!r} is outside the file ({exc.max_size} bytes)")
            return error_response(error, headers={"Content-Range": f"bytes */{exc.max_size}"})
    return FileResponse(path, media_type=media_type, **options)


async def output(request: Request) -> Response:
    """Output URLs work like a CDN's: no key needed, unguessable ids."""
    service = request.app.state.service
    service.sync()
    job_id = request.path_params["job_id"]
    job = service.jobs.by_id.get(job_id)
    if job is None or job.status != COMPLETED:
        return error_response(NotFound(f"no output for job {job_id!r}"))
    path = await service.media.file_for(job)
    return file_response(request, path, "video/mp4", filename=f"{job_id}.mp4", content_disposition_type="inline")


async def portrait(request: Request) -> Response:
    service = request.app.state.service
    avatar = service.fixtures.avatar_by_id.get(request.path_params["avatar_id"])
    if avatar is None:
        return error_response(NotFound(f"no avatar {request.path_params['avatar_id']!r}"))
    path = service.fixtures.portrait_path(avatar)
    media_type = "image/png" if path.suffix.lower() == ".png" else "image/jpeg"
    return file_response(request, path, media_type)


routes = [
    Route("/outputs/{job_id}.mp4", output, methods=["GET", "HEAD"]),
    Route("/avatars/{avatar_id}/portrait", portrait, methods=["GET", "HEAD"]),
]
