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

from mockserver.protocol import tune_gc, uvicorn_options

JOB = {
    "id": "abc123xyz",
    "status": "processing",
    "url": None,
    "webhookUrl": None,
    "createdAt": "2024-01-01T00:00:00Z",
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
    uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[1]), log_level="warning", access_log=False, **uvicorn_options())
