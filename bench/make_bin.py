#!/usr/bin/env python
"""The bench's `pytorch_model.bin` copy of a model (bench/README.md, "Checkpoint formats"): the same
tensors as `<cache>/<name>/model.safetensors`, written with `torch.save` as transformers 4.x's
`save_pretrained(safe_serialization=False)` writes them (torch's ZIP format, one stored 64-byte
aligned entry per storage), beside the model's config, into `<cache>/<name>-bin/`.

  .venv-ref/bin/python bench/make_bin.py [--out bench/.cache] [--models vit-gpt2]
"""

from __future__ import annotations

import argparse
import collections
import shutil
import sys
from pathlib import Path

import torch
from safetensors.torch import load_file

ROOT = Path(__file__).resolve().parents[1]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / ".cache")
    parser.add_argument("--models", default="vit-gpt2")
    args = parser.parse_args()
    for name in [n for n in args.models.split(",") if n]:
        src = args.out / name
        dst = args.out / f"{name}-bin"
        if not (src / "model.safetensors").exists():
            print(f"[make_bin] {src} has no model.safetensors: run bench/make_models.py first", file=sys.stderr)
            return 1
        tmp = args.out / f".{name}-bin.tmp"
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.mkdir(parents=True)
        for f in ("config.json", "generation_config.json"):
            shutil.copy(src / f, tmp / f)
        state = collections.OrderedDict(load_file(src / "model.safetensors"))
        torch.save(state, tmp / "pytorch_model.bin")
        shutil.rmtree(dst, ignore_errors=True)
        tmp.rename(dst)
        print(f"[make_bin] {name}: {len(state)} tensors -> {dst / 'pytorch_model.bin'} ({(dst / 'pytorch_model.bin').stat().st_size / 1e6:.0f} MB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
