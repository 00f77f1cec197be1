"""What an answer in the API's format looks like, and a few words on one that is not."""

from __future__ import annotations

import re
from typing import Any

from . import expectations as expect
from .client import Exchange
from .shapes import check_json_schema

SNIPPET = 60


def is_error_format(body: Any) -> bool:
    errors = expect.openapi()["components"]["schemas"]["Error"]
    return isinstance(body, dict) and not check_json_schema(body, errors, "", expect.openapi())


def in_api_format(exchange: Exchange) -> bool:
    """A JSON object with a `data` object, or the error format: how both surfaces answer."""
    body = exchange.json
    return isinstance(body, dict) and (isinstance(body.get("data"), dict) or is_error_format(body))


def describe(exchange: Exchange) -> str:
    """What an answer looked like, in a few words: status, content type, and the page's title
    or the start of the body."""
    kind = exchange.content_type or "no content type"
    text = " ".join(exchange.body[:2000].decode("utf-8", "replace").split())
    title = _TITLE.search(text) if "html" in kind else None
    if title is not None:
        return f'{exchange.status} {kind} (title "{title.group(1).strip()[:SNIPPET]}")'
    if not text:
        return f"{exchange.status} {kind} (empty)"
    return f"{exchange.status} {kind} ({text[:SNIPPET]}{'...' if len(text) > SNIPPET else ''})"


_TITLE = re.compile(r"<title[^>]*>([^<]*)</title>", re.IGNORECASE)
