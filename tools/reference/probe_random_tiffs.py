#!/usr/bin/env python
"""Random TIFF files, for a differential run of the browser's TIFF reader (backend-web tiff-decode.ts) against Pillow.

Writes N TIFFs with Pillow: modes 1, L, LA, RGB, RGBA, P (and I;16 and CMYK, which ved refuses), every
compression Pillow writes for the mode (raw, PackBits, LZW, deflate, Adobe deflate, JPEG, CCITT group 3 and 4),
random sizes and content, some with several pages; some with bytes cut off. Records what ved's rules expect:
`np.array(Image.open(f))` with mode 1 as L (0/255) and P as RGB, or Pillow's error.

Run:  .venv-ref/bin/python tools/reference/probe_random_tiffs.py OUT_DIR [N] [SEED]
Compared by compare_random_tiffs.mjs (node, after pnpm build).
"""

from __future__ import annotations

import io
import json
import random
import sys
from pathlib import Path

import numpy as np
from PIL import Image
from safetensors.numpy import save_file

COMPRESSIONS = {
    "1": ["raw", "packbits", "tiff_lzw", "tiff_deflate", "group3", "group4"],
    "L": ["raw", "packbits", "tiff_lzw", "tiff_deflate", "tiff_adobe_deflate", "jpeg"],
    "LA": ["raw", "packbits", "tiff_lzw", "tiff_deflate"],
    "RGB": ["raw", "packbits", "tiff_lzw", "tiff_deflate", "tiff_adobe_deflate", "jpeg"],
    "RGBA": ["raw", "packbits", "tiff_lzw", "tiff_deflate"],
    "P": ["raw", "packbits", "tiff_lzw", "tiff_deflate"],
    "I;16": ["raw"],
    "CMYK": ["raw", "tiff_lzw"],
}


def draw(r: random.Random, rng: np.random.RandomState) -> bytes:
    mode = r.choice(["1", "L", "LA", "RGB", "RGB", "RGBA", "P", "P", "I;16", "CMYK"])
    w, h = r.randint(1, 90), r.randint(1, 90)
    if mode == "1":
        im = Image.fromarray(rng.rand(h, w) < r.random())
    elif mode == "I;16":
        im = Image.fromarray(rng.randint(0, 65536, (h, w)).astype(np.uint16))
    elif mode == "P":
        im = Image.fromarray(rng.randint(0, 256, (h, w, 3)).astype(np.uint8)).quantize(colors=r.choice([2, 4, 16, 200]))
    else:
        c = {"L": 1, "LA": 2, "RGB": 3, "RGBA": 4, "CMYK": 4}[mode]
        a = rng.randint(0, 256, (h, w, c)).astype(np.uint8)
        if r.random() < 0.5:
            y, x = np.mgrid[0:h, 0:w]
            a = np.stack([(x * r.uniform(-4, 4) + y * r.uniform(-4, 4) + r.uniform(0, 255)) % 256 for _ in range(c)], -1).astype(np.uint8)
        im = Image.fromarray(a[..., 0] if c == 1 else a, mode)
    kw = {"compression": r.choice(COMPRESSIONS[mode])}
    b = io.BytesIO()
    if r.random() < 0.15:
        im.save(b, "TIFF", save_all=True, append_images=[im.rotate(90, expand=True)], **kw)
    else:
        im.save(b, "TIFF", **kw)
    data = b.getvalue()
    if r.random() < 0.1:
        data = data[: r.randint(8, len(data))]
    return data


def main() -> None:
    out = Path(sys.argv[1])
    n = int(sys.argv[2]) if len(sys.argv) > 2 else 300
    seed = int(sys.argv[3]) if len(sys.argv) > 3 else 0
    out.mkdir(parents=True, exist_ok=True)
    r = random.Random(seed)
    rng = np.random.RandomState(seed)
    cases, expected = [], {}
    for i in range(n):
        data = draw(r, rng)
        (out / f"{i}.tif").write_bytes(data)
        case = {"id": i}
        try:
            im = Image.open(io.BytesIO(data))
            im.load()
            case["mode"] = im.mode
            case["compression"] = im.info.get("compression")
            if im.mode == "1":
                im = im.convert("L")
            elif im.mode == "P":
                im = im.convert("RGB")
            if im.mode not in ("L", "LA", "RGB", "RGBA"):
                raise ValueError(f"mode {im.mode}, which ved refuses")
            a = np.array(im)
            expected[str(i)] = np.ascontiguousarray(a[..., None] if a.ndim == 2 else a)
            case["shape"] = list(expected[str(i)].shape)
        except Exception as e:
            case["error"] = f"{type(e).__name__}: {str(e)[:200]}"
        cases.append(case)
    (out / "index.json").write_text(json.dumps({"seed": seed, "cases": cases}, indent=1) + "\n")
    save_file(expected, str(out / "expected.safetensors"))
    print(f"{n} TIFFs, {len(expected)} that ved should read")


if __name__ == "__main__":
    main()
