"""The HTTP surface: the Starlette app, REST, the control API, media, middleware, uvicorn."""
