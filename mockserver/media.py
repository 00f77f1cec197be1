"""Files behind URLs: job outputs and avatar portraits, served with range support."""

from __future__ import annotations

from pathlib import Path

from starlette.requests import Request
from starlette.responses import FileResponse, Response
from starlette.routing import Route

from .errors import NotFound, error_response
from .jobs import COMPLETED
from .service import Service

PLACEHOLDER = Path(__file__).with_name("static") / "placeholder.mp4"


async def output(request: Request) -> Response:
    """Output URLs work like a CDN's: no key needed, unguessable ids."""
    service: Service = request.app.state.service
    service.sync()
    job_id = request.path_params["job_id"]
    job = service.jobs.by_id.get(job_id)
    if job is None or job.status != COMPLETED:
        return error_response(NotFound(f"no output for job {job_id!r}"))
    return FileResponse(PLACEHOLDER, media_type="video/mp4", filename=f"{job_id}.mp4", content_disposition_type="inline")


async def portrait(request: Request) -> Response:
    service: Service = request.app.state.service
    avatar = service.fixtures.avatar_by_id.get(request.path_params["avatar_id"])
    if avatar is None:
        return error_response(NotFound(f"no avatar {request.path_params['avatar_id']!r}"))
    path = service.fixtures.portrait_path(avatar)
    media_type = "image/png" if path.suffix.lower() == ".png" else "image/jpeg"
    return FileResponse(path, media_type=media_type)


routes = [
    Route("/outputs/{job_id}.mp4", output, methods=["GET", "HEAD"]),
    Route("/avatars/{avatar_id}/portrait", portrait, methods=["GET", "HEAD"]),
]
