"""The ceiling: a bare Starlette JSON route, served exactly as the mock is (same uvicorn options).

    python benchmarks/ceiling.py PORT
"""

from __future__ import annotations

import sys

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from mockserver.settings import Settings
from mockserver.web.protocol import tune_gc, uvicorn_options

# The same job the mock answers for the document's request, as a static dict: the ceiling does
# none of the mock's work but sends as many bytes back.
JOB = {
    "id": "abc123xyz", "status": "processing", "type": "AVATAR", "provider": "hedra", "service": "hedra",
    "url": None, "videoUrl": None, "metadata": {"duration": 2.6, "width": 1280, "height": 720},
    "creditCost": 59, "createdAt": "2024-01-01T00:00:00.000Z", "startedAt": "2024-01-01T00:00:00.000Z",
    "completedAt": None, "progress": 0.0, "duration": 2.6, "webhookUrl": None, "error": None,
    "text": "Hello, welcome to our platform!", "avatarId": "professional-1", "imageUrl": None, "audioUrl": None,
    "voice": "en-US-neural", "language": None, "version": "hedra-1.0", "aspectRatio": "16:9", "resolution": "720p",
}


async def submit(request: Request) -> JSONResponse:
    await request.json()
    return JSONResponse({"data": {"avatar": JOB}})


async def poll(request: Request) -> JSONResponse:
    return JSONResponse({"data": {"avatar": JOB}})


async def healthz(request: Request) -> JSONResponse:
    return JSONResponse({"status": "ok"})


app = Starlette(
    routes=[
        Route("/v1/avatar", submit, methods=["POST"]),
        Route("/v1/avatar/{job_id}", poll, methods=["GET"]),
        Route("/healthz", healthz, methods=["GET"]),
    ]
)

if __name__ == "__main__":
    tune_gc()
    uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[1]), log_level="warning", access_log=False, **uvicorn_options(Settings()))
