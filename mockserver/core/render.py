"""Renders a job's output: a real MP4 (H.264 video, AAC audio) of the job's length and size.

The avatar's portrait with a mouth that opens with a synthetic, speech-like audio track (voiced
syllables laid out from the text), a small waveform strip, and the text as timed captions. The
static parts of a frame are drawn once; each frame only changes the mouth and the strip, so a
10-second 720p video renders in a second or two.

Both tracks end at the job's duration to the millisecond: the audio has exactly that many samples
(the MP4's edit list hides the AAC encoder's padding), and the last video frame is shown only for
what is left of the duration rather than a whole 1/15 s.
"""

from __future__ import annotations

import hashlib
import math
import os
import re
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import av
    import numpy as np
    from numpy.typing import NDArray

RENDERER_VERSION = "2"
SAMPLE_RATE = 22050
FPS = 15
MOUTH_LEVELS = 8
# Video timestamps are written in this unit, fine enough to end the last frame on the millisecond.
FINE_TIME_BASE = Fraction(1, FPS * 1000)


@dataclass(frozen=True)
class RenderSpec:
    portrait: Path
    portrait_digest: str
    mouth: tuple[float, float]
    text: str
    duration: float
    width: int
    height: int
    pitch: float

    def key(self) -> str:
        """Same inputs, same file: outputs are cached by this."""
        parts = (
            RENDERER_VERSION, self.portrait_digest, self.mouth, self.text, self.duration, self.width, self.height,
            self.pitch,
        )
        return hashlib.sha256(repr(parts).encode()).hexdigest()[:32]


def _syllables(word: str) -> int:
    return max(1, len(re.findall(r"[aeiouyàáâãèéêìíòóôõùúăđĩũơưạ-ỹ]+", word.lower())))


def speech_envelope(text: str, duration: float, rate: int = SAMPLE_RATE) -> NDArray[np.float32]:
    """Loudness over time: one raised-cosine bump per syllable, pauses between words."""
    import numpy as np

    n = max(int(duration * rate), 1)
    envelope = np.zeros(n, dtype=np.float32)
    words = text.split() or ["..."]
    units = [(_syllables(w), w.endswith((".", ",", "!", "?", ";", ":"))) for w in words]
    slots = sum(s for s, _ in units) + 0.6 * len(units) + sum(1.2 for _, p in units if p)
    step = duration / max(slots, 1)
    t = 0.0
    for count, pause in units:
        for _ in range(count):
            start, length = int(t * rate), int(step * 0.85 * rate)
            if length > 1 and start < n:
                bump = 0.5 - 0.5 * np.cos(np.linspace(0, 2 * math.pi, length, dtype=np.float32))
                end = min(start + length, n)
                envelope[start:end] = np.maximum(envelope[start:end], bump[: end - start])
            t += step
        t += step * (0.6 + (1.2 if pause else 0.0))
    return envelope


def speech_audio(
    text: str, duration: float, pitch: float, rate: int = SAMPLE_RATE
) -> tuple[NDArray[np.float32], NDArray[np.float32]]:
    """A voiced, speech-like signal: harmonics on a drifting pitch, shaped by the envelope."""
    import numpy as np

    envelope = speech_envelope(text, duration, rate)
    t = np.arange(envelope.size, dtype=np.float32) / rate
    f0 = pitch * (1.0 + 0.08 * np.sin(2 * math.pi * 0.7 * t) - 0.05 * t / max(duration, 1))
    phase = 2 * math.pi * np.cumsum(f0) / rate
    voiced = sum(np.sin(k * phase) / k for k in range(1, 7))
    noise = np.random.default_rng(len(text)).standard_normal(envelope.size).astype(np.float32) * 0.05
    signal = (voiced * 0.25 + noise) * envelope
    return signal.astype(np.float32), envelope


def _captions(text: str, duration: float, words_per_caption: int = 8) -> list[tuple[float, str]]:
    words = text.split()
    if not words:
        return [(0.0, "")]
    chunks = [" ".join(words[i : i + words_per_caption]) for i in range(0, len(words), words_per_caption)]
    return [(duration * i / len(chunks), chunk) for i, chunk in enumerate(chunks)]


def _base_frames(
    spec: RenderSpec,
) -> tuple[list[tuple[float, NDArray[np.uint8]]], tuple[int, int], int, tuple[int, int, int, int]]:
    """The static frame for each caption, and where the mouth and waveform strip go."""
    import numpy as np
    from PIL import Image, ImageDraw, ImageFont

    w, h = spec.width, spec.height
    portrait = Image.open(spec.portrait).convert("RGB")
    background = portrait.getpixel((0, 0))
    side = int(min(w, h * 0.82))
    portrait = portrait.resize((side, side), Image.Resampling.BILINEAR)
    canvas = Image.new("RGB", (w, h), background)
    left, top = (w - side) // 2, max(int(h * 0.04), 0) if h > w else (h - side) // 4
    canvas.paste(portrait, (left, top))
    mouth = (left + int(spec.mouth[0] * side), top + int(spec.mouth[1] * side))
    font = ImageFont.load_default(size=max(14, h // 24))
    strip = (w // 2 - w // 8, h - h // 6 - h // 20, w // 4, h // 24)
    frames = []
    for start, caption in _captions(spec.text, spec.duration):
        image = canvas.copy()
        draw = ImageDraw.Draw(image)
        box = draw.textbbox((0, 0), caption, font=font)
        tw, th = box[2] - box[0], box[3] - box[1]
        x, y = (w - tw) // 2, h - h // 8
        draw.rectangle((x - 12, y - 8, x + tw + 12, y + th + 12), fill=(0, 0, 0))
        draw.text((x, y), caption, font=font, fill=(255, 255, 255))
        frames.append((start, np.asarray(image).copy()))
    return frames, mouth, side, strip


def _mouth_patches(
    spec: RenderSpec, base: NDArray[np.uint8], mouth: tuple[int, int], side: int
) -> tuple[list[NDArray[np.uint8]], tuple[int, int]]:
    """Pre-drawn mouth openings, smallest to widest, cut from the base frame."""
    import numpy as np
    from PIL import Image, ImageDraw

    rx, ry = max(int(side * 0.07), 2), max(int(side * 0.06), 2)
    x0, y0 = max(mouth[0] - rx, 0), max(mouth[1] - ry, 0)
    region = Image.fromarray(base[y0 : mouth[1] + ry, x0 : mouth[0] + rx])
    patches = []
    for level in range(MOUTH_LEVELS):
        patch = region.copy()
        draw = ImageDraw.Draw(patch)
        cx, cy = mouth[0] - x0, mouth[1] - y0
        open_y = max(int(ry * 0.25), 1) + int(ry * 0.75 * level / (MOUTH_LEVELS - 1))
        draw.ellipse((cx - int(rx * 0.85), cy - open_y, cx + int(rx * 0.85), cy + open_y), fill=(120, 30, 40))
        draw.ellipse((cx - int(rx * 0.6), cy - open_y // 2, cx + int(rx * 0.6), cy + open_y // 2), fill=(60, 10, 20))
        patches.append(np.asarray(patch))
    return patches, (x0, y0)


def render(spec: RenderSpec, out: Path) -> Path:
    """Write the MP4 to `out` (atomically: a partial file is never visible)."""
    import av
    import numpy as np

    audio, envelope = speech_audio(spec.text, spec.duration, spec.pitch)
    frames, mouth, side, strip = _base_frames(spec)
    patches, (px, py) = _mouth_patches(spec, frames[0][1], mouth, side)
    ph, pw = patches[0].shape[:2]
    sx, sy, sw, sh = strip
    bars = 24
    frame_count = max(math.ceil(spec.duration * FPS), 1)
    samples_per_frame = SAMPLE_RATE / FPS

    tmp = out.with_name(out.name + f".{os.getpid()}.tmp")
    container = av.open(str(tmp), mode="w", format="mp4", options={"movflags": "+faststart"})
    try:
        video = container.add_stream("libx264", rate=FPS)
        video.width, video.height, video.pix_fmt = spec.width, spec.height, "yuv420p"
        video.options = {"preset": "ultrafast", "crf": "30", "tune": "stillimage"}
        sound = container.add_stream("aac", rate=SAMPLE_RATE)
        sound.layout = "mono"

        held: list[av.Packet[Any]] = []

        def mux_video(packets: list[av.Packet[Any]]) -> None:
            """Mux all but the newest packet, which is held back until we know whether it is the last."""
            held.extend(packets)
            while len(held) > 1:
                container.mux(held.pop(0))

        caption = 0
        for i in range(frame_count):
            t = i / FPS
            while caption + 1 < len(frames) and frames[caption + 1][0] <= t:
                caption += 1
            frame = frames[caption][1].copy()
            a, b = int(i * samples_per_frame), int((i + 1) * samples_per_frame)
            loudness = float(envelope[a:b].mean()) if b > a and a < envelope.size else 0.0
            level = min(int(loudness * MOUTH_LEVELS), MOUTH_LEVELS - 1)
            frame[py : py + ph, px : px + pw] = patches[level]
            window = audio[a:b] if a < audio.size else np.zeros(1, np.float32)
            for k in range(bars):
                part = window[k * len(window) // bars : (k + 1) * len(window) // bars]
                height = int(min(abs(float(part.max(initial=0.0))) * 4, 1.0) * sh) + 1
                x = sx + k * sw // bars
                frame[sy + sh - height : sy + sh, x : x + max(sw // bars - 2, 1)] = (255, 200, 60)
            mux_video(video.encode(av.VideoFrame.from_ndarray(frame, format="rgb24")))
        mux_video(video.encode())
        if held:
            container.mux(ending_at(held.pop(), spec.duration))

        chunk = 1024
        for start in range(0, audio.size, chunk):
            piece = np.ascontiguousarray(audio[start : start + chunk].reshape(1, -1))
            audio_frame = av.AudioFrame.from_ndarray(piece, format="flt", layout="mono")
            audio_frame.sample_rate = SAMPLE_RATE
            audio_frame.pts = start
            for packet in sound.encode(audio_frame):
                container.mux(packet)
        for packet in sound.encode():
            container.mux(packet)
    finally:
        container.close()
    os.replace(tmp, out)
    return out


def ending_at(packet: av.Packet[Any], seconds: float) -> av.Packet[Any]:
    """The last video packet, retimed so that it ends at `seconds` instead of a whole frame later.

    libx264 at the ultrafast preset makes no B-frames, so the last packet muxed is the last frame
    shown; its pts and duration are rescaled to a finer unit, in which its duration is cut to
    what is left of the video's length.
    """
    if packet.pts is None:  # libx264 stamps every packet; nothing to retime otherwise
        return packet
    start = Fraction(packet.pts) * packet.time_base
    packet.time_base = FINE_TIME_BASE
    packet.pts = packet.dts = round(start / FINE_TIME_BASE)
    end = round(Fraction(seconds) / FINE_TIME_BASE)
    packet.duration = max(end - packet.pts, 1)
    return packet
