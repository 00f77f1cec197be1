"""Draws the pages' icon, mockserver/web/static/favicon.ico: a talking face on the demo's blue.

Run from the repository root: python scripts/make_favicon.py (needs Pillow, a dependency).
"""

from __future__ import annotations

from pathlib import Path

from PIL import Image, ImageDraw

OUT = Path(__file__).resolve().parent.parent / "mockserver" / "web" / "static" / "favicon.ico"
BLUE, SKIN, DARK, MOUTH = (29, 78, 216), (241, 194, 160), (29, 36, 51), (150, 30, 50)


def icon(size: int = 256) -> Image.Image:
    s = size / 64
    image = Image.new("RGBA", (size, size), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    draw.rounded_rectangle((0, 0, size - 1, size - 1), radius=int(14 * s), fill=BLUE)
    draw.ellipse((14 * s, 9 * s, 50 * s, 49 * s), fill=SKIN)  # face
    draw.ellipse((23 * s, 23 * s, 28 * s, 28 * s), fill=DARK)  # eyes
    draw.ellipse((36 * s, 23 * s, 41 * s, 28 * s), fill=DARK)
    draw.ellipse((25 * s, 34 * s, 39 * s, 43 * s), fill=MOUTH)  # an open, talking mouth
    for i, height in enumerate((6, 12, 8)):  # sound bars
        x = 52 * s + i * 3.5 * s
        draw.rectangle((x, (32 - height / 2) * s, x + 2 * s, (32 + height / 2) * s), fill=(255, 200, 60))
    return image


if __name__ == "__main__":
    icon().save(OUT, format="ICO", sizes=[(16, 16), (32, 32), (48, 48)])
    print(f"wrote {OUT} ({OUT.stat().st_size} bytes)")
