#!/usr/bin/env python
"""Writes the evaluation sets of the default model and its bundled examples.

    .venv-ref/bin/python tools/demo-model/make_sets.py

  tools/demo-model/out/heldout/   500 images + manifest.jsonl (seed HELDOUT_SEED, same
                                  distribution as training, never seen in training)
  tools/demo-model/out/select/    2,000 images + manifest.jsonl (seed SELECT_SEED, the held-out
                                  set's distribution): choosing between candidate checkpoints, so
                                  that the held-out set is read once, by the chosen one
  tools/demo-model/out/confirm/   2,000 images + manifest.jsonl (seed CONFIRM_SEED, the same
                                  distribution): the in-domain figure with four times the held-out
                                  set's lines (±0.4 points instead of ±0.8), read only by the
                                  checkpoint already chosen
  tools/demo-model/out/fresh/     2,000 images + manifest.jsonl (seed FRESH_SEED, the same
                                  distribution): a second confirm set, drawn once confirm had been
                                  read by seven checkpoints; read only by the checkpoint chosen for
                                  version 10
  tools/demo-model/out/edge/      500 images + manifest.jsonl at the edges of the domain:
                                  12 or 48 px, the strongest noise and blur, +-3 degrees
  packages/default-model/examples/heldout/   the first 20 held-out images + manifest.jsonl
  packages/default-model/examples/example.png   "Invoice #2024-001" in DejaVu Sans

The independently drawn set (another renderer) is independent-lines.mjs's; the new-user
probe of issue 20 is probe.py's.

Manifests are JSON lines {"image": relative path, "text": expected}.
"""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
import synth  # noqa: E402

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
OUT = HERE / "out"
EXAMPLES = ROOT / "packages" / "default-model" / "examples"

HELDOUT_SEED = 1001
EDGE_SEED = 1002
SELECT_SEED = 1003
CONFIRM_SEED = 1004
FRESH_SEED = 1005
COMMITTED = 20
EXAMPLE_TEXT = "Invoice #2024-001"


def write_set(directory: Path, seed: int, n: int, edge: bool) -> list[dict]:
    if directory.exists():
        shutil.rmtree(directory)
    directory.mkdir(parents=True)
    rows = []
    for i in range(n):
        rng = np.random.default_rng([seed, i])
        text, img = synth.sample(rng, edge)
        name = f"{i:04d}.png"
        img.save(directory / name, optimize=True)
        rows.append({"image": name, "text": text})
    with open(directory / "manifest.jsonl", "w") as f:
        for r in rows:
            f.write(json.dumps(r) + "\n")
    return rows


def main() -> int:
    synth.check_fonts()
    heldout = write_set(OUT / "heldout", HELDOUT_SEED, 500, edge=False)
    write_set(OUT / "edge", EDGE_SEED, 500, edge=True)
    write_set(OUT / "select", SELECT_SEED, 2000, edge=False)
    write_set(OUT / "confirm", CONFIRM_SEED, 2000, edge=False)
    write_set(OUT / "fresh", FRESH_SEED, 2000, edge=False)

    committed = EXAMPLES / "heldout"
    if committed.exists():
        shutil.rmtree(committed)
    committed.mkdir(parents=True)
    with open(committed / "manifest.jsonl", "w") as f:
        for r in heldout[:COMMITTED]:
            shutil.copyfile(OUT / "heldout" / r["image"], committed / r["image"])
            f.write(json.dumps(r) + "\n")

    # A clear, in-domain example: DejaVu Sans 28 px, dark grey on a light warm tint, no rotation.
    rng = np.random.default_rng(2024)
    style = synth.Style(font=0, size=28, rotation=0.0, noise=2.0, blur=0.0)
    synth.render(EXAMPLE_TEXT, style, rng).save(EXAMPLES / "example.png", optimize=True)
    print(f"wrote {OUT / 'heldout'}, {OUT / 'edge'}, {committed}, {EXAMPLES / 'example.png'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
