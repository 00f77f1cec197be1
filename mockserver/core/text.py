"""Strings the mock accepts: valid Unicode without control characters (tab, newline and
carriage return aside). A lone surrogate cannot be encoded as UTF-8, so once stored it would
break every answer that includes it; a NUL or an escape character is never meant."""

from __future__ import annotations

import re
from typing import Any

from .errors import BadUserInput

_BAD = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff]")


def _problem(value: str) -> str | None:
    found = _BAD.search(value)
    if found is None:
        return None
    char = ord(found.group())
    kind = "a lone surrogate" if char >= 0xD800 else "the control character"
    return f"{kind} U+{char:04X} at position {found.start()}"


def check_text(value: str | None, field: str) -> None:
    if value is None or value.isprintable():  # the common case, and quicker than the search
        return
    problem = _problem(value)
    if problem is not None:
        raise BadUserInput(f"{field} must be valid Unicode text: it contains {problem}", field=field)


def check_strings(data: Any, field: str = "") -> None:
    """Every string in decoded JSON (keys included), with the field named by its path."""
    if isinstance(data, str):
        check_text(data, field or "body")
    elif isinstance(data, dict):
        for key, value in data.items():
            name = f"{field}.{key}" if field else str(key)
            check_text(key, name)
            check_strings(value, name)
    elif isinstance(data, list):
        for i, value in enumerate(data):
            check_strings(value, f"{field}[{i}]")
