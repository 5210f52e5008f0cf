#!/usr/bin/env python
"""Random image processors on random images, for a differential run of ved against Python (not fixtures).

Draws N cases, each a random preprocessor_config.json (ViT, DeiT, BEiT or Donut image processor; every
field the PIL backend reads drawn from the values transformers 5.18 accepts, and some it refuses: size as
height/width, shortest_edge, shortest_edge + longest_edge, longest_edge, an int or a list; every
resample filter; crop, rescale, normalisation with scalar or per-channel mean/std, RGB conversion; Donut's
thumbnail, long-axis alignment and padding) applied to 1-3 random images (L, LA, RGB or RGBA, 1-700 pixels
a side, from noise, gradients, hard-edged blocks and constant fields, including 0 and 255). Records
Python's pixel_values, or its refusal.

Run:  .venv-ref/bin/python tools/reference/probe_random_processing.py OUT_DIR [N] [SEED]
Writes OUT_DIR/index.json (cases: config, image keys, shape or error), OUT_DIR/images.safetensors (the
uint8 HWC arrays) and OUT_DIR/expected.safetensors (float32 pixel_values).
Compared by compare_random_processing.mjs (node, after pnpm build).
"""

from __future__ import annotations

import json
import os
import random
import sys
import tempfile
import warnings
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
warnings.filterwarnings("ignore")

import numpy as np  # noqa: E402
from PIL import Image  # noqa: E402
from safetensors.numpy import save_file  # noqa: E402
from transformers import AutoImageProcessor  # noqa: E402
from transformers.utils import logging as hf_logging  # noqa: E402

hf_logging.set_verbosity_error()

CLASSES = ["ViTImageProcessor", "DeiTImageProcessor", "BeitImageProcessor", "DonutImageProcessor", "NougatImageProcessor"]
MODES = {"L": 1, "LA": 2, "RGB": 3, "RGBA": 4}


def side(r: random.Random) -> int:
    u = r.random()
    if u < 0.1:
        return r.randint(1, 4)
    if u < 0.7:
        return r.randint(5, 96)
    return r.randint(97, 700)


def draw_image(r: random.Random, rng: np.random.RandomState, w: int | None = None, h: int | None = None) -> tuple[np.ndarray, str]:
    mode = r.choice(["L", "LA", "RGB", "RGB", "RGB", "RGBA"])
    c = MODES[mode]
    w = w or side(r)
    h = h or side(r)
    kind = r.choice(["noise", "gradient", "blocks", "constant", "extremes", "page"])
    if kind == "noise":
        a = rng.randint(0, 256, size=(h, w, c))
    elif kind == "gradient":
        y, x = np.mgrid[0:h, 0:w]
        a = np.stack([(x * rng.uniform(-3, 3) + y * rng.uniform(-3, 3) + rng.uniform(0, 255)) % 256 for _ in range(c)], -1)
    elif kind == "blocks":
        bw, bh = r.randint(1, max(1, w // 2 + 1)), r.randint(1, max(1, h // 2 + 1))
        small = rng.randint(0, 256, size=(h // bh + 1, w // bw + 1, c))
        a = np.repeat(np.repeat(small, bh, 0), bw, 1)[:h, :w]
    elif kind == "constant":
        a = np.broadcast_to(rng.randint(0, 256, size=(1, 1, c)), (h, w, c))
    elif kind == "extremes":
        a = rng.choice([0, 255], size=(h, w, c))
    else:
        # A page: a light background with darker content somewhere inside (what Nougat's crop_margin finds).
        a = np.full((h, w, c), r.randint(200, 255))
        for _ in range(r.randint(0, 4)):
            x0, y0 = r.randrange(w), r.randrange(h)
            a[y0 : y0 + r.randint(1, max(1, h // 2)), x0 : x0 + r.randint(1, max(1, w // 2))] = rng.randint(0, 200, size=(c,))
        a = a + rng.randint(-8, 9, size=a.shape)
        a = np.clip(a, 0, 255)
    return np.ascontiguousarray(a.astype(np.uint8)), mode


def draw_size(r: random.Random, cls: str):
    if cls == "NougatImageProcessor":
        return {"height": r.randint(1, 120), "width": r.randint(1, 120)}
    if cls == "DonutImageProcessor":
        u = r.random()
        if u < 0.8:
            return {"height": r.randint(1, 120), "width": r.randint(1, 120)}
        if u < 0.9:
            return [r.randint(1, 120), r.randint(1, 120)]
        return r.randint(1, 120)
    u = r.random()
    if u < 0.45:
        return {"height": r.randint(1, 120), "width": r.randint(1, 120)}
    if u < 0.6:
        return {"shortest_edge": r.randint(1, 120)}
    if u < 0.75:
        s = r.randint(1, 120)
        return {"shortest_edge": s, "longest_edge": r.randint(max(1, s - 10), 200)}
    if u < 0.8:
        return {"longest_edge": r.randint(1, 150)}
    if u < 0.9:
        return r.randint(1, 120)
    return [r.randint(1, 120), r.randint(1, 120)]


def draw_config(r: random.Random) -> dict:
    cls = r.choice(CLASSES)
    cfg: dict = {"image_processor_type": cls}
    if r.random() < 0.9:
        cfg["size"] = draw_size(r, cls)
    else:
        cfg["size"] = {"height": r.randint(1, 64), "width": r.randint(1, 64)}  # the class default is large
    if r.random() < 0.8:
        cfg["resample"] = r.randint(0, 5)
    if r.random() < 0.15:
        cfg["do_resize"] = False
    if r.random() < 0.15:
        cfg["do_rescale"] = False
    if r.random() < 0.2:
        cfg["rescale_factor"] = r.choice([1 / 255, 1 / 127.5, 0.5, 1.0, 0.001])
    if r.random() < 0.15:
        cfg["do_normalize"] = False
    if r.random() < 0.5:
        u = r.random()
        if u < 0.3:
            cfg["image_mean"], cfg["image_std"] = round(r.uniform(0, 1), 3), round(r.uniform(0.1, 2), 3)
        else:
            cfg["image_mean"] = [round(r.uniform(0, 1), 3) for _ in range(3)]
            cfg["image_std"] = [round(r.uniform(0.1, 2), 3) for _ in range(3)]
    if r.random() < 0.6:
        cfg["do_convert_rgb"] = r.random() < 0.85
    if cls not in ("DonutImageProcessor", "NougatImageProcessor") or r.random() < 0.2:
        if r.random() < 0.4:
            cfg["do_center_crop"] = r.random() < 0.7
        if r.random() < 0.5 or cls == "DeiTImageProcessor":
            u = r.random()
            cfg["crop_size"] = {"height": r.randint(1, 100), "width": r.randint(1, 100)} if u < 0.8 else r.randint(1, 100)
    if cls in ("DonutImageProcessor", "NougatImageProcessor"):
        for k in ("do_thumbnail", "do_align_long_axis", "do_pad") + (("do_crop_margin",) if cls == "NougatImageProcessor" else ()):
            if r.random() < 0.4:
                cfg[k] = r.random() < 0.5
    return cfg


def run_case(cfg: dict, images: list[Image.Image]) -> tuple[str | None, np.ndarray | None, dict | None]:
    with tempfile.TemporaryDirectory() as d:
        (Path(d) / "preprocessor_config.json").write_text(json.dumps(cfg))
        try:
            proc = AutoImageProcessor.from_pretrained(d)
        except Exception as e:
            return None, None, {"type": type(e).__name__, "message": str(e)[:300], "at": "load"}
        cls = type(proc).__name__
        try:
            out = proc(images=images, return_tensors="pt")["pixel_values"].numpy()
        except Exception as e:
            return cls, None, {"type": type(e).__name__, "message": str(e)[:300], "at": "preprocess"}
    return cls, out, None


def main() -> None:
    out_dir = Path(sys.argv[1])
    n = int(sys.argv[2]) if len(sys.argv) > 2 else 200
    seed = int(sys.argv[3]) if len(sys.argv) > 3 else 0
    out_dir.mkdir(parents=True, exist_ok=True)
    r = random.Random(seed)
    rng = np.random.RandomState(seed)
    cases, arrays, expected = [], {}, {}
    for i in range(n):
        cfg = draw_config(r)
        count = r.choice([1, 1, 1, 2, 3])
        same = count > 1 and r.random() < 0.6  # same-size images stack; differently sized ones may not
        w, h = side(r), side(r)
        keys, pil = [], []
        for j in range(count):
            a, mode = draw_image(r, rng, w if same else None, h if same else None)
            key = f"{i}_{j}"
            arrays[key] = a
            keys.append({"key": key, "mode": mode})
            pil.append(Image.fromarray(a[..., 0] if mode == "L" else a, mode))
        cls, arr, err = run_case(cfg, pil)
        case = {"id": i, "config": cfg, "images": keys, "processor_class": cls}
        if err is not None:
            case["error"] = err
        else:
            case["shape"] = list(arr.shape)
            expected[str(i)] = np.ascontiguousarray(arr.astype(np.float32))
        cases.append(case)
    (out_dir / "index.json").write_text(json.dumps({"seed": seed, "cases": cases}, indent=1) + "\n")
    save_file(arrays, str(out_dir / "images.safetensors"))
    save_file(expected, str(out_dir / "expected.safetensors"))
    errs = sum("error" in c for c in cases)
    print(f"{n} cases, {n - errs} ran, {errs} refused by Python")


if __name__ == "__main__":
    main()
