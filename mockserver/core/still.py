"""The `--no-render` output: a real MP4 at the job's size and exactly its length, made cheaply.

One still frame, repeated every few seconds, and silence: the contract a client (and
`doitong-mock check --spend`) can see — H.264 and AAC, `metadata.width` x `metadata.height`,
both tracks ending at `duration` — without drawing or voicing anything. Its content depends on
the size and the length alone, so one file serves every job that shares them.
"""

from __future__ import annotations

import hashlib
import math
import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .render import ending_at

if TYPE_CHECKING:
    import av

STILL_VERSION = "1"
FRAME_INTERVAL = 2
"""Seconds between the repeated frames: a seek lands near one, and a 2-minute 1080p video still
encodes in a few tenths of a second."""
SAMPLE_RATE = 8000
GREY = (48, 52, 60)


@dataclass(frozen=True, slots=True)
class StillSpec:
    width: int
    height: int
    duration: float

    def key(self) -> str:
        parts = (STILL_VERSION, self.width, self.height, self.duration)
        return "still-" + hashlib.sha256(repr(parts).encode()).hexdigest()[:24]


def _frame(spec: StillSpec) -> av.VideoFrame:
    import av
    from PIL import Image, ImageDraw, ImageFont

    image = Image.new("RGB", (spec.width, spec.height), GREY)
    draw = ImageDraw.Draw(image)
    font = ImageFont.load_default(size=max(12, spec.height // 20))
    caption = f"doitong-mock --no-render  {spec.width}x{spec.height}  {spec.duration:g} s"
    box = draw.textbbox((0, 0), caption, font=font)
    draw.text(((spec.width - (box[2] - box[0])) // 2, (spec.height - (box[3] - box[1])) // 2), caption,
              font=font, fill=(200, 200, 200))
    frame: av.VideoFrame = av.VideoFrame.from_image(image)  # type: ignore[no-untyped-call]  # untyped in PyAV's stubs
    return frame.reformat(format="yuv420p")


def encode_still(spec: StillSpec, out: Path) -> Path:
    """Write the MP4 to `out` (atomically: a partial file is never visible)."""
    import av
    import numpy as np

    frame = _frame(spec)
    tmp = out.with_name(out.name + f".{os.getpid()}.tmp")
    container = av.open(str(tmp), mode="w", format="mp4", options={"movflags": "+faststart"})
    try:
        video = container.add_stream("libx264", rate=1)
        video.width, video.height, video.pix_fmt = spec.width, spec.height, "yuv420p"
        video.options = {"preset": "ultrafast", "crf": "35", "tune": "stillimage"}
        sound = container.add_stream("aac", rate=SAMPLE_RATE)
        sound.layout = "mono"

        packets: list[av.Packet[Any]] = []
        for second in range(0, max(math.ceil(spec.duration), 1), FRAME_INTERVAL):
            frame.pts = second
            packets += video.encode(frame)
        packets += video.encode()
        for packet in packets[:-1]:
            container.mux(packet)
        container.mux(ending_at(packets[-1], spec.duration))

        total, chunk = round(spec.duration * SAMPLE_RATE), 1024
        silence = np.zeros((1, chunk), np.float32)
        for start in range(0, total, chunk):
            piece = av.AudioFrame.from_ndarray(silence[:, : min(chunk, total - start)].copy(), format="flt",
                                               layout="mono")
            piece.sample_rate, piece.pts = SAMPLE_RATE, start
            for packet in sound.encode(piece):
                container.mux(packet)
        for packet in sound.encode():
            container.mux(packet)
    finally:
        container.close()
    os.replace(tmp, out)
    return out
