#!/usr/bin/env python
"""The new-user probe of issue 20: short labels drawn with PIL directly (not
synth.py), as someone trying the default model would draw them, within its
stated domain: DejaVu Sans, Serif or Sans Mono at 17-31 px, 4-14 px of padding
around the ink (tight, as a detector or a person crops), a light tinted
background, up to +-2.5 degrees of rotation, mild blur and noise. The first
checkpoint read 46 of 60 such lines.

    .venv-ref/bin/python tools/demo-model/probe.py [--out DIR] [--n N] [--seed S]

Writes DIR/NNNN.png and DIR/manifest.jsonl for `ved eval` (default
tools/demo-model/out/probe, 300 images, seed 60).
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFilter, ImageFont

HERE = Path(__file__).resolve().parent
FONTS = [
    "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
    "/usr/share/fonts/truetype/dejavu/DejaVuSerif.ttf",
    "/usr/share/fonts/truetype/dejavu/DejaVuSansMono.ttf",
]
LABELS = ["Gate", "TOTAL", "Room", "Order", "Invoice", "Seat", "Amount", "Ref", "Date", "Total", "Box", "Level", "Unit", "PAID", "Item"]


def label(r: random.Random) -> str:
    k = r.random()
    if k < 0.4:
        return f"{r.choice(LABELS)} {r.randint(1, 9999)}"
    if k < 0.55:
        return f"{r.choice(LABELS)}: ${r.randint(1, 999)}.{r.randint(0, 99):02d}"
    if k < 0.7:
        return f"{r.randint(1, 28):02d}/{r.randint(1, 12):02d}/{r.randint(2000, 2030)}"
    if k < 0.85:
        return f"#{r.choice('ABCDEFGHJKLMNPQRSTUVWXYZ')}{r.randint(10, 99)}-{r.randint(1000, 9999)}"
    return f"{r.choice(LABELS).lower()} {r.randint(0, 23):02d}:{r.randint(0, 59):02d}"


def draw(text: str, r: random.Random, nr: np.random.Generator) -> Image.Image:
    font = ImageFont.truetype(r.choice(FONTS), r.randint(17, 31))
    left, top, right, bottom = font.getbbox(text)
    pad = [r.randint(4, 14) for _ in range(4)]
    bg = tuple(r.randint(225, 255) for _ in range(3))
    ink = tuple(r.randint(0, 60) for _ in range(3))
    img = Image.new("RGB", (right - left + pad[0] + pad[2], bottom - top + pad[1] + pad[3]), bg)
    ImageDraw.Draw(img).text((pad[0] - left, pad[1] - top), text, font=font, fill=ink)
    img = img.rotate(r.uniform(-2.5, 2.5), resample=Image.BILINEAR, expand=True, fillcolor=bg)
    img = img.filter(ImageFilter.GaussianBlur(r.uniform(0.0, 0.6)))
    a = np.asarray(img, dtype=np.float32) + nr.normal(0, r.uniform(1, 5), size=(img.height, img.width, 3))
    return Image.fromarray(np.clip(a, 0, 255).astype(np.uint8))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", type=Path, default=HERE / "out" / "probe")
    ap.add_argument("--n", type=int, default=300)
    ap.add_argument("--seed", type=int, default=60)
    args = ap.parse_args()
    shutil.rmtree(args.out, ignore_errors=True)
    args.out.mkdir(parents=True)
    r = random.Random(args.seed)
    nr = np.random.default_rng(args.seed)
    with open(args.out / "manifest.jsonl", "w") as f:
        for i in range(args.n):
            text = label(r)
            draw(text, r, nr).save(args.out / f"{i:04d}.png")
            f.write(json.dumps({"image": f"{i:04d}.png", "text": text}) + "\n")
    print(f"wrote {args.n} images and manifest.jsonl to {args.out}")


if __name__ == "__main__":
    main()
