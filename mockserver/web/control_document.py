"""The control API's OpenAPI document as a file, for what is generated from it elsewhere.

`python -m mockserver.web.control_document [FILE]` writes what a server with the default settings
(its default address, no admin token) serves at `GET /_mock/openapi.json` to FILE, or to the
standard output. The TypeScript package keeps it as clients/js/openapi/control.json and generates
its wire types from it (`npm run generate` there); the suite fails when either is out of date.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from ..settings import Settings
from ..wire.control_openapi import control_openapi
from .control import operations


def default_document() -> dict[str, Any]:
    """The document as a server with the default settings serves it."""
    settings = Settings()
    return control_openapi(operations(), f"http://{settings.host}:{settings.port}", settings.admin_token is not None)


def text(document: dict[str, Any]) -> str:
    """The document as the file holds it: indented, one key a line, so a change reads as a diff."""
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def main(argv: list[str]) -> None:
    written = text(default_document())
    if not argv:
        sys.stdout.write(written)
        return
    Path(argv[0]).write_text(written, encoding="utf-8")


if __name__ == "__main__":
    main(sys.argv[1:])
