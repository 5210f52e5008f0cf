#!/usr/bin/env python
"""How far a wrong reading's own image is from the image it was read from.

    pnpm -s ved eval --manifest tools/demo-model/out/heldout/manifest.jsonl --errors > errors.tsv
    .venv-ref/bin/python tools/demo-model/twins.py --errors errors.tsv [--model packages/default-model/model]

For each wrong reading of a held-out line (make_sets.py's set: line i is synth.sample() of
default_rng([HELDOUT_SEED, i])), draws the line twice with the same font, size, rotation, crop,
stretch, blur and colours — once with the true text, once with the text the model read — without the
noise and JPEG, puts both through the model's image processor, and sums the absolute difference of
the two inputs in full-contrast pixels (one pixel that goes from background to ink counts 1).

A reading whose twin differs by a pixel or two is one the image barely tells apart from the truth
(`I` and `l` in a sans face, a lone `c` and `C` cropped to its ink); telling them apart takes a model
that resolves sub-pixel heights through the noise the real image carries. A large difference is a
plain mistake of the model.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
import synth  # noqa: E402
from make_sets import HELDOUT_SEED  # noqa: E402

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]


def model_input(processor, img) -> np.ndarray:
    """What the model sees, in [0, 1] (the twins are drawn black on white: 1 is background, 0 ink)."""
    px = processor(img, return_tensors="np").pixel_values[0]  # [3, H, W], (v - 0.5) / 0.5
    return (px.mean(0) + 1) / 2


def _black_on_white(rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    return np.full(3, 255.0), np.zeros(3)


def twin_difference(processor, text: str, reading: str, style: synth.Style) -> float:
    plain = dataclasses.replace(style, noise=0.0, jpeg=0)
    # Black ink on white for both images, so that the difference counts pixels of full contrast.
    colours, synth._colours = synth._colours, _black_on_white
    try:
        a, b = (model_input(processor, synth.render_with_spans(t, plain, np.random.default_rng(0))[0]) for t in (text, reading))
    finally:
        synth._colours = colours
    return float(np.abs(a - b).sum())


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--errors", type=Path, required=True, help="`ved eval --errors` output on out/heldout")
    ap.add_argument("--model", type=Path, default=ROOT / "packages" / "default-model" / "model")
    ap.add_argument("--json", action="store_true", help="one JSON line per error")
    args = ap.parse_args()
    from transformers import AutoImageProcessor

    processor = AutoImageProcessor.from_pretrained(args.model)
    rows = []
    for line in args.errors.read_text().splitlines():
        parts = line.split("\t")
        if len(parts) < 4:
            continue
        index = int(Path(parts[1]).stem)
        text, reading = json.loads(parts[2]), json.loads(parts[3])
        rng = np.random.default_rng([HELDOUT_SEED, index])
        drawn = synth.sample_text(rng)
        if drawn != text:
            raise SystemExit(f"{parts[1]}: the held-out set's line {index} is {drawn!r}, the errors file says {text!r}")
        style = synth.sample_style(rng)
        diff = twin_difference(processor, text, reading, style) if reading else float("inf")
        rows.append({"image": Path(parts[1]).name, "text": text, "read": reading, "font": synth.FONTS[style.font][1], "size": style.size, "twin_difference": diff})
    if args.json:
        for r in rows:
            print(json.dumps(r))
    else:
        for r in sorted(rows, key=lambda r: r["twin_difference"]):
            print(f"{r['twin_difference']:8.2f}  {r['font']:28s} {r['size']:2d}px  {r['text']!r} -> {r['read']!r}")
        for limit in (1, 2, 4, 8):
            n = sum(r["twin_difference"] < limit for r in rows)
            print(f"twin difference under {limit} px: {n} of {len(rows)} errors")
    return 0


if __name__ == "__main__":
    sys.exit(main())
