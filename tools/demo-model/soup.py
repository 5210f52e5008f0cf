#!/usr/bin/env python
"""Averages the weights of checkpoints of one architecture (a "model soup").

    .venv-ref/bin/python tools/demo-model/soup.py --out tools/demo-model/out/soup78 \\
        tools/demo-model/out/checkpoint-v7 tools/demo-model/out/checkpoint-v8

Checkpoints trained one from another (each stage of train.py starts from the last) lie in one basin,
so their mean is a model too, and often a better one: the stages' own noise averages out, as in the
weight average train.py keeps within a stage (--ema). The first checkpoint gives the configuration,
tokenizer and processor files; every checkpoint must hold the same tensors, of the same shapes.
Tensors are averaged in float32 and stored in the first checkpoint's dtype (float16).
"""

from __future__ import annotations

import argparse
import shutil
import sys
from pathlib import Path

import torch
from safetensors.torch import load_file, save_file

WEIGHTS = "model.safetensors"


def soup(checkpoints: list[Path]) -> dict[str, torch.Tensor]:
    first = load_file(checkpoints[0] / WEIGHTS)
    total = {k: v.float() for k, v in first.items()}
    for path in checkpoints[1:]:
        other = load_file(path / WEIGHTS)
        if other.keys() != first.keys():
            raise SystemExit(f"{path / WEIGHTS}: other tensors than {checkpoints[0] / WEIGHTS} ({sorted(other.keys() ^ first.keys())[:4]})")
        for k, v in other.items():
            if v.shape != first[k].shape:
                raise SystemExit(f"{path / WEIGHTS}: {k} is {list(v.shape)}, {checkpoints[0] / WEIGHTS} has {list(first[k].shape)}")
            total[k] += v.float()
    return {k: (v / len(checkpoints)).to(first[k].dtype) for k, v in total.items()}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("checkpoints", type=Path, nargs="+")
    ap.add_argument("--out", type=Path, required=True)
    args = ap.parse_args()
    if len(args.checkpoints) < 2:
        ap.error("give two checkpoints or more")
    if args.out.resolve() in {c.resolve() for c in args.checkpoints}:
        ap.error("--out must not be one of the checkpoints")
    weights = soup(args.checkpoints)
    args.out.mkdir(parents=True, exist_ok=True)
    for f in args.checkpoints[0].iterdir():
        if f.is_file() and f.name != WEIGHTS:
            shutil.copyfile(f, args.out / f.name)
    save_file(weights, args.out / WEIGHTS, metadata={"format": "pt"})
    print(f"{args.out / WEIGHTS}: the mean of {len(args.checkpoints)} checkpoints")
    return 0


if __name__ == "__main__":
    sys.exit(main())
