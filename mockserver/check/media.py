"""Is what the output URL serves a playable MP4? Its top-level boxes (ftyp, moov, mdat), then a
decode of its first video frame with PyAV, which also tells its length."""

from __future__ import annotations

import io
import struct
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Probe:
    playable: bool
    detail: str
    duration: float | None = None
    width: int | None = None
    height: int | None = None


def top_level_boxes(data: bytes) -> list[str]:
    """The ISO BMFF box types at the top of a file, in order; stops at the first malformed box."""
    boxes, offset = [], 0
    while offset + 8 <= len(data):
        size, kind = struct.unpack(">I4s", data[offset:offset + 8])
        if size == 1 and offset + 16 <= len(data):
            size = struct.unpack(">Q", data[offset + 8:offset + 16])[0]
        elif size == 0:
            size = len(data) - offset
        if size < 8:
            break
        boxes.append(kind.decode("latin-1"))
        offset += size
    return boxes


def probe(data: bytes) -> Probe:
    boxes = top_level_boxes(data)
    if not boxes or boxes[0] != "ftyp":
        return Probe(False, f"not an MP4 (first box {boxes[0] if boxes else 'none'}, {len(data)} bytes)")
    missing = [box for box in ("moov", "mdat") if box not in boxes]
    if missing:
        return Probe(False, f"MP4 without {' and '.join(missing)} (boxes: {', '.join(boxes)})")
    try:
        import av
    except ImportError:  # pragma: no cover - av is a dependency; the boxes are the best we can do without it
        return Probe(True, f"MP4 boxes {', '.join(boxes)} (PyAV missing: not decoded)")
    try:
        with av.open(io.BytesIO(data), mode="r") as container:
            if not container.streams.video:
                return Probe(False, "MP4 without a video stream")
            stream = container.streams.video[0]
            frame = next(container.decode(stream), None)
            if frame is None:
                return Probe(False, "MP4 whose video stream has no frame")
            duration = container.duration / 1_000_000 if container.duration else None
            audio = "with audio" if container.streams.audio else "without audio"
            return Probe(True, f"MP4, {stream.codec_context.name} {frame.width}x{frame.height} {audio}",
                         duration, frame.width, frame.height)
    except Exception as exc:  # any decoder failure means: not playable
        return Probe(False, f"MP4 that does not decode: {type(exc).__name__}: {exc}")
