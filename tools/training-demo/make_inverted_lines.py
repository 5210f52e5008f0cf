#!/usr/bin/env python
"""Data for the fine-tuning walkthrough of docs/training.md: lines from the default model's own renderer
(tools/demo-model/synth.py, the same text and styles it was trained on) drawn light on dark — the colours
inverted, a domain the default model was never shown and reads badly.

    .venv-ref/bin/python tools/training-demo/make_inverted_lines.py [--out DIR] [--train N] [--heldout N]

Writes, from fixed seeds, DIR/train/ and DIR/heldout/ (inverted; images + manifest.jsonl of
{"image", "text"}), DIR/normal/ (held-out lines in the original colours, to see what fine-tuning costs in
the old domain), DIR/train-normal/ (training lines in the original colours) and DIR/train-mixed.jsonl
(both training sets, so that the model learns the new domain without forgetting the old one).
DIR defaults to <tmp>/ved-finetune-demo.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
from pathlib import Path

import numpy as np
from PIL import ImageOps

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "demo-model"))
import synth  # noqa: E402

SEEDS = {"train": 2001, "heldout": 2002, "normal": 2003, "train-normal": 2004}


def write(directory: Path, seed: int, n: int, invert: bool) -> None:
    shutil.rmtree(directory, ignore_errors=True)
    directory.mkdir(parents=True)
    rng = np.random.default_rng(seed)
    lines = []
    for i in range(n):
        text, image = synth.sample(rng)
        if invert:
            image = ImageOps.invert(image.convert("RGB"))
        name = f"{i:04d}.png"
        image.save(directory / name)
        lines.append(json.dumps({"image": name, "text": text}, ensure_ascii=False))
    (directory / "manifest.jsonl").write_text("\n".join(lines) + "\n")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", type=Path, default=Path(tempfile.gettempdir()) / "ved-finetune-demo")
    parser.add_argument("--train", type=int, default=400)
    parser.add_argument("--heldout", type=int, default=200)
    args = parser.parse_args()
    synth.check_fonts()
    write(args.out / "train", SEEDS["train"], args.train, invert=True)
    write(args.out / "heldout", SEEDS["heldout"], args.heldout, invert=True)
    write(args.out / "normal", SEEDS["normal"], args.heldout, invert=False)
    write(args.out / "train-normal", SEEDS["train-normal"], args.train, invert=False)
    mixed = []
    for folder in ("train", "train-normal"):
        for line in (args.out / folder / "manifest.jsonl").read_text().splitlines():
            entry = json.loads(line)
            mixed.append(json.dumps({"image": f"{folder}/{entry['image']}", "text": entry["text"]}, ensure_ascii=False))
    (args.out / "train-mixed.jsonl").write_text("\n".join(mixed) + "\n")
    print(f"wrote {args.out}: train, train-normal ({args.train} each), train-mixed.jsonl, heldout, normal ({args.heldout} each)")


if __name__ == "__main__":
    main()
