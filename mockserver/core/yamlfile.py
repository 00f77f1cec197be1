"""Reading an operator's YAML file with bounds, so that a hostile or mistaken file is refused
with the key and the reason instead of a traceback, a hang or gigabytes of memory.

- Only a regular file is read (a FIFO or `/dev/zero`, even behind a symlink, is refused
  without reading a byte), and at most `MAX_BYTES` of it.
- One pass over the parser's events comes before anything is built: it refuses nesting deeper
  than `MAX_DEPTH`, more than `MAX_VALUES` values (an alias counts as everything it stands
  for, so a "billion laughs" file is refused in microseconds), an alias inside its own anchor
  (a structure that contains itself), a key that is not plain text, and a key given twice in a
  mapping (YAML would silently keep the last one).
- What is built is plain JSON data: a date, binary data, a set, a key that is not text, or a
  number that is not finite is refused, so it can be validated as strictly as JSON.
"""

from __future__ import annotations

import datetime
import math
import os
import stat
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

MAX_BYTES = 1024 * 1024
MAX_DEPTH = 20
MAX_VALUES = 200_000

_Loader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
Key = tuple[str | int, ...]


class YamlFileError(Exception):
    def __init__(self, key: str, reason: str) -> None:
        super().__init__(f"{key or '(top level)'}: {reason}")
        self.key = key
        self.reason = reason


def key_path(loc: Key) -> str:
    """`accounts[0].credits`, as the README and the error messages write keys."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out


def size_text(size: int) -> str:
    return f"{size / (1024 * 1024):.1f} MiB" if size >= 1024 * 1024 else f"{size:,} bytes"


def read_yaml(path: Path) -> Any:
    """The file's one document as plain data, or YamlFileError with the key and the reason."""
    text = _read_text(path)
    _check_events(text)
    try:
        data = yaml.load(text, Loader=_Loader)
    except yaml.YAMLError as exc:
        raise YamlFileError("", _invalid(exc)) from None
    _check_plain(data, ())
    return data


def _invalid(exc: yaml.YAMLError) -> str:
    mark = getattr(exc, "problem_mark", None)
    where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
    problem = getattr(exc, "problem", None) or str(exc)
    if "maximum nesting depth" in problem:  # the parser's own limit, far deeper than ours
        return f"is nested more than {MAX_DEPTH} levels deep{where}"
    return f"is not valid YAML{where}: {problem}"


def _read_text(path: Path) -> str:
    try:
        # Non-blocking, so that opening a FIFO does not wait for a writer.
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    except OSError as exc:
        raise YamlFileError("", f"cannot be read: {exc.strerror or exc}") from None
    info = os.fstat(fd)
    too_big = f"a YAML file here may be at most {size_text(MAX_BYTES)}"
    if not stat.S_ISREG(info.st_mode) or info.st_size > MAX_BYTES:
        os.close(fd)
        if not stat.S_ISREG(info.st_mode):
            raise YamlFileError("", f"is not a regular file ({_kind(info.st_mode)}): give a YAML file")
        raise YamlFileError("", f"is {size_text(info.st_size)}: {too_big}")
    with os.fdopen(fd, "rb") as file:
        try:
            data = file.read(MAX_BYTES + 1)
        except OSError as exc:
            raise YamlFileError("", f"cannot be read: {exc.strerror or exc}") from None
    if len(data) > MAX_BYTES:
        raise YamlFileError("", f"is larger than {size_text(MAX_BYTES)} (it grew while it was read): {too_big}")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise YamlFileError("", f"is not UTF-8 text (byte {exc.start})") from None


def _kind(mode: int) -> str:
    kinds = {stat.S_ISDIR: "a directory", stat.S_ISFIFO: "a FIFO", stat.S_ISCHR: "a character device",
             stat.S_ISBLK: "a block device", stat.S_ISSOCK: "a socket"}
    return next((name for test, name in kinds.items() if test(mode)), "not a regular file")


@dataclass
class _Open:
    """A mapping or sequence the event pass is inside of."""

    key: Key
    mapping: bool
    anchor: str | None
    values_before: int
    keys: dict[str, int] = field(default_factory=dict)
    pending_key: str | None = None  # a mapping's key whose value comes next
    index: int = 0
    depth: int = 0  # levels of nesting below it so far

    def child(self) -> Key:
        return (*self.key, self.index if self.pending_key is None else self.pending_key)


def _check_events(text: str) -> None:
    """One pass over the file's events, before anything is built from it (see `_EventPass`)."""
    check = _EventPass()
    events = yaml.parse(text, Loader=_Loader)
    while True:
        try:
            event = next(events)
        except StopIteration:
            return
        except yaml.YAMLError as exc:
            reason = _invalid(exc)
            raise YamlFileError(key_path(check.here()) if "nested" in reason else "", reason) from None
        check.take(event)


class _EventPass:
    """Counts values (an alias as all it stands for) and levels of nesting, and refuses a key
    given twice, a key that is not plain text and an alias inside its own anchor."""

    def __init__(self) -> None:
        self.stack: list[_Open] = []
        self.anchors: dict[str, tuple[int, int]] = {}  # anchor: (values it stands for, its levels)
        self.values = 0

    def here(self) -> Key:
        return self.stack[-1].child() if self.stack else ()

    def take(self, event: yaml.Event) -> None:
        if isinstance(event, (yaml.MappingEndEvent, yaml.SequenceEndEvent)):
            self._end()
        elif isinstance(event, (yaml.ScalarEvent, yaml.AliasEvent, yaml.MappingStartEvent, yaml.SequenceStartEvent)):
            top = self.stack[-1] if self.stack else None
            if top is not None and top.mapping and top.pending_key is None:
                self._key(top, event)
            elif isinstance(event, yaml.AliasEvent):
                self._alias(event)
            elif isinstance(event, yaml.ScalarEvent):
                self._add(1, 0)
                if event.anchor is not None:
                    self.anchors[event.anchor] = (1, 0)
                self._done()
            else:
                self._add(1, 1)
                opened = _Open(self.here(), isinstance(event, yaml.MappingStartEvent), event.anchor, self.values - 1)
                self.stack.append(opened)

    def _end(self) -> None:
        level = self.stack.pop()
        if level.anchor is not None:
            self.anchors[level.anchor] = (self.values - level.values_before, level.depth + 1)
        if self.stack:
            self.stack[-1].depth = max(self.stack[-1].depth, level.depth + 1)
        self._done()

    def _key(self, top: _Open, event: yaml.Event) -> None:
        if not isinstance(event, yaml.ScalarEvent):
            raise YamlFileError(key_path(top.key), "has a key that is not plain text")
        line = event.start_mark.line + 1 if event.start_mark is not None else 0
        if event.value in top.keys:
            raise YamlFileError(
                key_path((*top.key, event.value)),
                f"is given twice (lines {top.keys[event.value]} and {line}): a key may appear once",
            )
        top.keys[event.value] = line
        top.pending_key = event.value
        if event.anchor is not None:
            self.anchors[event.anchor] = (1, 0)

    def _alias(self, event: yaml.AliasEvent) -> None:
        if event.anchor in self.anchors:
            self._add(*self.anchors[event.anchor])
        elif any(level.anchor == event.anchor for level in self.stack):
            raise YamlFileError(key_path(self.here()), f"refers to *{event.anchor}, which contains it")
        self._done()  # (an undefined alias: the loader says so)

    def _add(self, count: int, depth: int) -> None:
        """A value of `count` values and `depth` levels at the current place."""
        self.values += count
        if self.values > MAX_VALUES:
            raise YamlFileError(
                key_path(self.here()), f"holds more than {MAX_VALUES:,} values (an alias counts as all it stands for)"
            )
        if len(self.stack) + depth > MAX_DEPTH:
            raise YamlFileError(key_path(self.here()), f"is nested more than {MAX_DEPTH} levels deep")
        if self.stack:
            top = self.stack[-1]
            top.depth = max(top.depth, depth)

    def _done(self) -> None:
        """A value is complete: its mapping expects a key, its sequence the next item."""
        if self.stack:
            if self.stack[-1].mapping:
                self.stack[-1].pending_key = None
            else:
                self.stack[-1].index += 1


_NOT_PLAIN = {
    datetime.date: "a date",
    datetime.datetime: "a date and time",
    bytes: "binary data",
    set: "a set",
}


def _check_plain(data: Any, loc: Key) -> None:
    """Only what JSON has: so a date, a set or binary data is an error here, not a surprise later."""
    if isinstance(data, dict):
        for key, value in data.items():
            if not isinstance(key, str):
                raise YamlFileError(key_path((*loc, str(key))), f"is a key that is not text ({key!r}): quote it")
            _check_plain(value, (*loc, key))
    elif isinstance(data, list):
        for i, item in enumerate(data):
            _check_plain(item, (*loc, i))
    elif isinstance(data, float) and not math.isfinite(data):
        raise YamlFileError(key_path(loc), f"is {data}: give a finite number")
    elif not isinstance(data, (str, int, float, bool)) and data is not None:
        kind = next((name for cls, name in _NOT_PLAIN.items() if isinstance(data, cls)), type(data).__name__)
        raise YamlFileError(key_path(loc), f"is {kind} ({data!r}): quote it to give text")
