#!/usr/bin/env python
"""Random BMP files, for a differential run of ved's BMP decoder (core's decodeBmp) against Pillow.

Writes N BMPs: Pillow's own (modes 1, L, P, RGB, RGBA) and files written here field by field (headers of 12,
40, 52, 56, 64, 108 and 124 bytes; 1-, 4-, 8-bit palettes of every size, grey ramps among them; 16, 24 and 32
bits, raw or with every bit-field layout; RLE8 and RLE4 streams with runs, absolute runs, deltas, line and
file ends; top-down and bottom-up rows), a third of them damaged (bytes flipped, removed, inserted or cut).
Records `np.array(Image.open(f))` after ved's rules (P as RGB, 1 as L), or Pillow's error.

Run:  .venv-ref/bin/python tools/reference/probe_random_bmps.py OUT_DIR [N] [SEED]
Compared by `compare_random_image_files.mjs bmp OUT_DIR` (node, after pnpm build).
"""

from __future__ import annotations

import io
import json
import random
import struct
import sys
import warnings
from pathlib import Path

import numpy as np
from PIL import Image
from safetensors.numpy import save_file

warnings.filterwarnings("ignore")

MASKS = {32: [(0xFF0000, 0xFF00, 0xFF, 0), (0xFF000000, 0xFF0000, 0xFF00, 0), (0xFF000000, 0xFF00, 0xFF, 0), (0xFF000000, 0xFF0000, 0xFF00, 0xFF),
              (0xFF, 0xFF00, 0xFF0000, 0xFF000000), (0xFF0000, 0xFF00, 0xFF, 0xFF000000), (0xFF000000, 0xFF00, 0xFF, 0xFF0000), (0, 0, 0, 0),
              (0xFF, 0xFF00, 0xFF0000, 0)],
         24: [(0xFF0000, 0xFF00, 0xFF, 0), (0xFF, 0xFF00, 0xFF0000, 0)],
         16: [(0xF800, 0x7E0, 0x1F, 0), (0x7C00, 0x3E0, 0x1F, 0), (0x1F, 0x7E0, 0xF800, 0)]}


def rle_stream(r: random.Random, w: int, h: int, rle4: bool, colors: int) -> bytes:
    out = bytearray()
    for _ in range(h):
        x = 0
        while x < w and r.random() < 0.97:
            kind = r.random()
            if kind < 0.5:
                n = r.randint(1, max(1, min(255, w - x + r.choice([0, 0, 3]))))
                v = r.randrange(256) if rle4 else r.randrange(max(1, colors))
                out += bytes([n, v if not rle4 else (r.randrange(16) << 4) | r.randrange(16)])
                x += n
            elif kind < 0.8:
                n = r.randint(3, max(3, min(255, w - x + 2)))
                nbytes = (n + 1) // 2 if rle4 else n
                out += bytes([0, n]) + bytes(r.randrange(256) for _ in range(nbytes))
                if len(out) % 2:
                    out += b"\x00"
                x += n
            elif kind < 0.9:
                dx, dy = r.randint(0, 5), r.randint(0, 1)
                out += bytes([0, 2, dx, dy])
                x += dx
            else:
                break
        out += bytes([0, 0])
    if r.random() < 0.8:
        out += bytes([0, 1])
    return bytes(out)


def handmade(r: random.Random, rng: np.random.RandomState) -> bytes:
    header = r.choice([12, 40, 40, 40, 52, 56, 64, 108, 124])
    bits = r.choice([1, 4, 8, 8, 16, 24, 24, 32, 32])
    w, h = r.randint(1, 40), r.randint(1, 40)
    top_down = header != 12 and r.random() < 0.3
    compression = 0
    masks = None
    if header != 12:
        if bits in (16, 24, 32) and r.random() < 0.5:
            compression = 3
            masks = r.choice(MASKS[bits])
        elif bits == 8 and r.random() < 0.4:
            compression = 1
        elif bits == 4 and r.random() < 0.4:
            compression = 2
    colors = 0
    palette = b""
    entry = 3 if header == 12 else 4
    if bits <= 8:
        n = 1 << bits
        colors = r.choice([0, n, max(1, n // 2), 2]) if header != 12 else 0
        count = colors or n
        kind = r.random()
        if kind < 0.25:
            ents = [(i, i, i) for i in range(count)]
        elif kind < 0.35 and count == 2:
            ents = [(0, 0, 0), (255, 255, 255)]
        else:
            ents = [tuple(rng.randint(0, 256, 3)) for _ in range(count)]
        palette = b"".join(bytes([b, g, rr]) + (b"\x00" if entry == 4 else b"") for (rr, g, b) in ents)
    stride = ((w * bits + 31) >> 3) & ~3
    if compression in (1, 2):
        pixels = rle_stream(r, w, h, compression == 2, colors or (1 << bits))
    else:
        pixels = bytes(rng.randint(0, 256, stride * h).astype(np.uint8))
    dib = bytearray()
    if header == 12:
        dib += struct.pack("<IHHHH", 12, w, h, 1, bits)
    else:
        dib += struct.pack("<IiiHHIIiiII", header, w, -h if top_down else h, 1, bits, compression, len(pixels), 2835, 2835, colors, 0)
        extra = header - 40
        if masks is not None and header >= 52:
            m = struct.pack("<IIII", *masks)
            dib += m[: min(16, extra)]
            extra -= min(16, extra)
        dib += b"\x00" * extra
        if masks is not None and header == 40:
            dib += struct.pack("<III", *masks[:3])
    offset = 14 + len(dib) + len(palette)
    if r.random() < 0.1:
        offset = 14 + header  # a broken offset that Pillow fixes for palettes
    return b"BM" + struct.pack("<IHHI", 14 + len(dib) + len(palette) + len(pixels), 0, 0, offset) + bytes(dib) + palette + pixels


def pillow_saved(r: random.Random, rng: np.random.RandomState) -> bytes:
    mode = r.choice(["1", "L", "P", "RGB", "RGB", "RGBA"])
    w, h = r.randint(1, 50), r.randint(1, 50)
    if mode == "1":
        im = Image.fromarray(rng.rand(h, w) < 0.5)
    elif mode == "P":
        im = Image.fromarray(rng.randint(0, 256, (h, w, 3)).astype(np.uint8)).quantize(colors=r.choice([2, 16, 200]))
    else:
        c = {"L": 1, "RGB": 3, "RGBA": 4}[mode]
        a = rng.randint(0, 256, (h, w, c)).astype(np.uint8)
        im = Image.fromarray(a[..., 0] if c == 1 else a, mode)
    b = io.BytesIO()
    im.save(b, "BMP")
    return b.getvalue()


def mutate(b: bytes, r: random.Random) -> bytes:
    a = bytearray(b)
    for _ in range(r.randint(1, 3)):
        at = r.randrange(len(a)) if a else 0
        kind = r.random()
        if kind < 0.5 and a:
            a[at] = r.randrange(256)
        elif kind < 0.7:
            del a[at : at + r.randint(1, 6)]
        elif kind < 0.85:
            a[at:at] = bytes(r.randrange(256) for _ in range(r.randint(1, 6)))
        else:
            a = a[: max(2, at)]
    return bytes(a)


def main() -> None:
    out = Path(sys.argv[1])
    n = int(sys.argv[2]) if len(sys.argv) > 2 else 300
    seed = int(sys.argv[3]) if len(sys.argv) > 3 else 0
    out.mkdir(parents=True, exist_ok=True)
    r = random.Random(seed)
    rng = np.random.RandomState(seed)
    cases, expected = [], {}
    for i in range(n):
        kind = r.random()
        data = pillow_saved(r, rng) if kind < 0.25 else handmade(r, rng)
        how = "pillow" if kind < 0.25 else "handmade"
        if r.random() < 0.3:
            data, how = mutate(data, r), how + "+mutated"
        (out / f"{i}.bmp").write_bytes(data)
        case = {"id": i, "how": how}
        try:
            im = Image.open(io.BytesIO(data))
            im.load()
            case["mode"] = im.mode
            if im.mode == "P":
                im = im.convert("RGB")
            elif im.mode == "1":
                im = im.convert("L")
            a = np.array(im)
            expected[str(i)] = np.ascontiguousarray(a[..., None] if a.ndim == 2 else a)
            case["shape"] = list(expected[str(i)].shape)
        except Exception as e:
            case["error"] = f"{type(e).__name__}: {str(e)[:200]}"
        cases.append(case)
    (out / "index.json").write_text(json.dumps({"seed": seed, "cases": cases}, indent=1) + "\n")
    save_file(expected, str(out / "expected.safetensors"))
    print(f"{n} BMPs, {len(expected)} opened by Pillow")


if __name__ == "__main__":
    main()
