"""What a check run found: one row per check (operation, check, expected, found, verdict), a
readable table and a JSON form, and the exit code they add up to."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from typing import Any

OK, DRIFT, SKIP, NOTE = "ok", "drift", "skip", "note"
"""A check matched; it did not (the only verdict that fails the run); it could not be made
(the reason is in `found`); or something the contract does not cover (e.g. a type only the
target's schema has), shown for information."""

EXIT_OK, EXIT_DRIFT, EXIT_UNUSABLE = 0, 1, 2

TABLE_WIDTH = {"expected": 34, "found": 50}
"""Widths of the columns that hold what an endpoint answered (the drift is also given in full
below the table); the operation and the check are the checker's own names, always in full."""


@dataclass(slots=True)
class Result:
    operation: str
    check: str
    expected: str
    found: str
    verdict: str = OK


@dataclass
class Report:
    base_url: str
    results: list[Result] = field(default_factory=list)
    requests: int = 0
    spent: list[dict[str, Any]] = field(default_factory=list)
    stopped: str | None = None
    """Why the run could not go on: set with `unusable` when the endpoint could not be reached or
    refused the key (exit 2), else when a limit of the run itself (the request cap) cut it short."""
    unusable: bool = False

    def add(self, operation: str, check: str, expected: Any, found: Any, verdict: str = OK) -> Result:
        result = Result(operation, check, _text(expected), _text(found), verdict)
        self.results.append(result)
        return result

    def compare(self, operation: str, check: str, expected: Any, found: Any) -> bool:
        """A row that matches when `found == expected`; True if it did."""
        same = bool(found == expected)
        self.add(operation, check, expected, found, OK if same else DRIFT)
        return same

    def count(self, verdict: str) -> int:
        return sum(1 for r in self.results if r.verdict == verdict)

    @property
    def exit_code(self) -> int:
        if self.unusable:
            return EXIT_UNUSABLE
        if self.stopped is not None or self.count(DRIFT):
            return EXIT_DRIFT
        return EXIT_OK

    def summary(self) -> str:
        counts = ", ".join(f"{self.count(v)} {label}" for v, label in (
            (OK, "match"), (DRIFT, "drift"), (SKIP, "skipped"), (NOTE, "notes")))
        line = (f"{_count(len(self.results), 'check')} against {self.base_url}: {counts}; "
                f"{_count(self.requests, 'request')} sent.")
        if self.stopped:
            line += f"\nStopped early: {self.stopped}"
        if self.exit_code == EXIT_UNUSABLE:
            verdict = "The endpoint could not be checked."
        elif self.count(DRIFT):
            verdict = "DRIFT: the endpoint differs from the mock's contract (rows marked DRIFT)."
        elif self.stopped is not None:
            verdict = "INCOMPLETE: no drift in what was checked, but the run stopped before the end."
        else:
            verdict = "The endpoint matches the mock's contract."
        return f"{line}\n{verdict}"

    def to_json(self) -> dict[str, Any]:
        return {
            "baseUrl": self.base_url,
            "exitCode": self.exit_code,
            "matches": self.exit_code == EXIT_OK,
            "counts": {v: self.count(v) for v in (OK, DRIFT, SKIP, NOTE)},
            "requests": self.requests,
            "stopped": self.stopped,
            "spent": self.spent,
            "results": [asdict(r) for r in self.results],
        }

    def render_json(self) -> str:
        return json.dumps(self.to_json(), indent=2)

    def render_table(self, verbose: bool = False) -> str:
        """Rows in the order they were checked; notes only with `verbose` (they can be many
        against a real API whose schema has far more than the avatar service), else counted."""
        rows = [r for r in self.results if verbose or r.verdict != NOTE]
        header = ("", "operation", "check", "expected", "found")
        cells = [header] + [
            (_MARK[r.verdict], *(_cut(getattr(r, name), TABLE_WIDTH.get(name)) for name in header[1:])) for r in rows
        ]
        widths = [max(len(row[i]) for row in cells) for i in range(len(header))]
        lines = []
        for n, row in enumerate(cells):
            lines.append("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip())
            if n == 0:
                lines.append("  ".join("-" * w for w in widths))
        hidden = len(self.results) - len(rows)
        if hidden:
            lines.append(f"({hidden} notes not shown: --verbose lists them)")
        drifts = [r for r in self.results if r.verdict == DRIFT]
        if drifts and any(_cut(r.found, TABLE_WIDTH["found"]) != r.found
                          or _cut(r.expected, TABLE_WIDTH["expected"]) != r.expected for r in drifts):
            lines.append("")
            lines.append("Drift in full:")
            for r in drifts:
                lines.append(f"- {r.operation} / {r.check}: expected {r.expected}; found {r.found}")
        lines.append("")
        lines.append(self.summary())
        return "\n".join(lines)


_MARK = {OK: "ok", DRIFT: "DRIFT", SKIP: "skip", NOTE: "note"}


def _text(value: Any) -> str:
    if isinstance(value, str):
        return value
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    return json.dumps(value) if isinstance(value, (dict, list)) else str(value)


def _cut(text: str, width: int | None) -> str:
    text = " ".join(text.split())
    return text if width is None or len(text) <= width else text[: width - 3] + "..."


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"
