"""Path patterns as faults and the request journal take them."""

from __future__ import annotations


def path_matches(pattern: str, path: str) -> bool:
    """`/v1/avatar` matches itself only; a pattern ending in `*` matches every path it starts."""
    if pattern.endswith("*"):
        return path.startswith(pattern[:-1])
    return path == pattern
