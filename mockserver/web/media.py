"""Files behind URLs: completed jobs' videos and avatar portraits, with range requests."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import FileResponse, MalformedRangeHeader, Response
from starlette.responses import RangeNotSatisfiable as UnsatisfiableRange
from starlette.routing import Route

from ..core.errors import BadUserInput, RangeNotSatisfiable
from .requests import api_of
from .routing import route


def check_range(http_range: str, size: int) -> None:
    """A bad Range as an API error, checked with the parser FileResponse itself applies (a
    private Starlette method, pinned by tests/test_dependencies.py) so check and answer agree."""
    try:
        FileResponse._parse_range_header(http_range, size)
    except MalformedRangeHeader as exc:
        raise BadUserInput(f"malformed Range header {http_range!r}: {exc.content}", field="Range") from None
    except UnsatisfiableRange as exc:
        raise RangeNotSatisfiable(
            f"Range {http_range!r} is outside the file ({exc.max_size} bytes)",
            headers={"Content-Range": f"bytes */{exc.max_size}"},
        ) from None


def file_response(request: Request, path: Path, media_type: str, filename: str | None = None) -> Response:
    """Starlette's FileResponse (ranges, HEAD, ETag), with a bad Range answered in the error format."""
    http_range = request.headers.get("range")
    if http_range is not None:
        check_range(http_range, path.stat().st_size)
    return FileResponse(path, media_type=media_type, filename=filename, content_disposition_type="inline")


async def output(request: Request) -> Response:
    """Output URLs work like a CDN's: no key needed, unguessable ids."""
    api = api_of(request)
    job_id = request.path_params["job_id"]
    path = await api.video(api.output(job_id))
    return file_response(request, path, "video/mp4", filename=f"{job_id}.mp4")


async def portrait(request: Request) -> Response:
    path = api_of(request).portrait(request.path_params["avatar_id"])
    media_type = "image/png" if path.suffix.lower() == ".png" else "image/jpeg"
    return file_response(request, path, media_type)


def routes(middleware: Sequence[Middleware]) -> list[Route]:
    return [
        route("/outputs/{job_id}.mp4", middleware=middleware, get=output),
        route("/avatars/{avatar_id}/portrait", middleware=middleware, get=portrait),
    ]
