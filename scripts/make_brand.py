"""Draw the Envoy Connect brand images (original artwork: a sun over a link ring)."""

from __future__ import annotations

import math
from pathlib import Path

from PIL import Image, ImageDraw

OUT = Path(__file__).resolve().parent.parent / "custom_components" / "envoy_connect" / "brand"


def icon(size: int, dark: bool) -> Image.Image:
    img = Image.new("RGBA", (size, size), (0, 0, 0, 0))
    d = ImageDraw.Draw(img)
    s = size / 256
    ring = (255, 255, 255, 255) if dark else (33, 66, 99, 255)
    sun = (255, 176, 32, 255)
    d.ellipse([28 * s, 28 * s, 228 * s, 228 * s], outline=ring, width=round(18 * s))
    d.ellipse([88 * s, 88 * s, 168 * s, 168 * s], fill=sun)
    for i in range(8):
        a = i * math.pi / 4
        x1, y1 = 128 * s + math.cos(a) * 52 * s, 128 * s + math.sin(a) * 52 * s
        x2, y2 = 128 * s + math.cos(a) * 74 * s, 128 * s + math.sin(a) * 74 * s
        d.line([x1, y1, x2, y2], fill=sun, width=round(10 * s))
    return img


def logo(height: int, dark: bool) -> Image.Image:
    mark = icon(height, dark)
    img = Image.new("RGBA", (height * 3, height), (0, 0, 0, 0))
    img.paste(mark, (0, 0), mark)
    d = ImageDraw.Draw(img)
    colour = (255, 255, 255, 255) if dark else (33, 66, 99, 255)
    bar = height // 8
    for i in range(3):  # three bars: a stylised signal, no lettering to license
        top = height // 2 - bar * (i + 1)
        d.rectangle(
            [
                height + 20 + i * bar * 2,
                top,
                height + 20 + i * bar * 2 + bar,
                height // 2 + bar * 2,
            ],
            fill=colour,
        )
    return img


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    for dark in (False, True):
        prefix = "dark_" if dark else ""
        icon(256, dark).save(OUT / f"{prefix}icon.png")
        icon(512, dark).save(OUT / f"{prefix}icon@2x.png")
        logo(128, dark).save(OUT / f"{prefix}logo.png")
        logo(256, dark).save(OUT / f"{prefix}logo@2x.png")


if __name__ == "__main__":
    main()
