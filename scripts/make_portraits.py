"""Draws the bundled avatar portraits (flat-colour faces) as PNGs with the standard library only.

Run from the repository root: python scripts/make_portraits.py
"""

from __future__ import annotations

import struct
import zlib
from pathlib import Path

SIZE = 384

AVATARS = {
    "professional-1": dict(bg=(200, 214, 229), skin=(241, 194, 160), hair=(40, 30, 25), shirt=(30, 45, 90), long_hair=True),
    "professional-2": dict(bg=(215, 215, 220), skin=(205, 150, 115), hair=(90, 90, 95), shirt=(110, 110, 120), long_hair=False),
    "casual-1": dict(bg=(250, 230, 200), skin=(236, 188, 150), hair=(20, 15, 15), shirt=(240, 190, 40), long_hair=True),
    "casual-2": dict(bg=(210, 235, 215), skin=(190, 140, 100), hair=(35, 25, 20), shirt=(50, 140, 80), long_hair=False),
    "teacher-1": dict(bg=(235, 220, 240), skin=(160, 110, 80), hair=(60, 35, 20), shirt=(150, 60, 60), long_hair=True, glasses=True),
    "cartoon-1": dict(bg=(180, 230, 250), skin=(255, 170, 80), hair=(255, 120, 40), shirt=(90, 60, 180), long_hair=False),
}


def inside_ellipse(x: float, y: float, cx: float, cy: float, rx: float, ry: float) -> bool:
    return ((x - cx) / rx) ** 2 + ((y - cy) / ry) ** 2 <= 1.0


def pixel(x: int, y: int, spec: dict) -> tuple[int, int, int]:
    s = SIZE
    cx, cy = s * 0.5, s * 0.42
    if inside_ellipse(x, y, cx, s * 1.05, s * 0.42, s * 0.3):
        return spec["shirt"]
    if spec["long_hair"] and inside_ellipse(x, y, cx, cy + s * 0.05, s * 0.26, s * 0.3) and not inside_ellipse(x, y, cx, cy + s * 0.04, s * 0.19, s * 0.25):
        return spec["hair"]
    if inside_ellipse(x, y, cx, cy, s * 0.19, s * 0.24):
        if y < cy - s * 0.1 and inside_ellipse(x, y, cx, cy - s * 0.06, s * 0.21, s * 0.2):
            return spec["hair"]
        for ex in (cx - s * 0.075, cx + s * 0.075):
            if inside_ellipse(x, y, ex, cy, s * 0.022, s * 0.028):
                return (30, 30, 40)
            if spec.get("glasses") and inside_ellipse(x, y, ex, cy, s * 0.05, s * 0.045) and not inside_ellipse(x, y, ex, cy, s * 0.04, s * 0.035):
                return (20, 20, 20)
        if inside_ellipse(x, y, cx, cy + s * 0.12, s * 0.06, s * 0.018):
            return (170, 60, 70)
        return spec["skin"]
    if inside_ellipse(x, y, cx, cy - s * 0.06, s * 0.21, s * 0.2):
        return spec["hair"]
    if inside_ellipse(x, y, cx, cy + s * 0.3, s * 0.07, s * 0.1):
        return spec["skin"]
    return spec["bg"]


def png(width: int, height: int, rows: list[bytes]) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    raw = b"".join(b"\x00" + row for row in rows)
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b"")


def main() -> None:
    out = Path("fixtures/portraits")
    out.mkdir(parents=True, exist_ok=True)
    for name, spec in AVATARS.items():
        rows = [bytes(c for x in range(SIZE) for c in pixel(x, y, spec)) for y in range(SIZE)]
        (out / f"{name}.png").write_bytes(png(SIZE, SIZE, rows))
        print("wrote", out / f"{name}.png")


if __name__ == "__main__":
    main()
