#!/usr/bin/env python
"""Fixtures for the activations of transformers' ACT2FN (activations.py) that ved builds (`activation()`
in @ved/core's nn/layers.ts): every key of ACT2CLS without weights of its own.

  .venv-ref/bin/python tools/reference/make_activation_fixtures.py

Writes fixtures/activations/activations.safetensors (float32):
  x                 320 inputs: a grid over [-24, 24], the kinks and bounds of every activation (0, ±3, 6,
                    the GELU clip at ±10 reached near x = ±10) and N(0, 3) draws
  r                 a random cotangent
  <name>.y          ACT2FN[name](x)
  <name>.dx         d/dx sum(ACT2FN[name](x) * r), by torch's autograd (its backward kernels' conventions at
                    the kinks: relu and relu6 pass nothing at 0 or 6, leaky_relu takes the slope at 0, ...)
"""
from __future__ import annotations

from pathlib import Path

import torch
from safetensors.torch import save_file
from transformers.activations import ACT2FN

import transformers

assert transformers.__version__ == "5.18.0", transformers.__version__

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "fixtures" / "activations" / "activations.safetensors"

NAMES = ["gelu", "gelu_10", "gelu_fast", "gelu_new", "gelu_python", "gelu_pytorch_tanh", "gelu_python_tanh",
         "gelu_accurate", "hardswish", "laplace", "leaky_relu", "linear", "mish", "quick_gelu", "relu", "relu2",
         "relu6", "sigmoid", "silu", "sqrtsoftplus", "swish", "tanh"]


def main() -> None:
    g = torch.Generator().manual_seed(0)
    special = torch.tensor([0.0, -0.0, 3.0, -3.0, 6.0, -6.0, 10.0, -10.0, 20.0, -20.0, 0.707107, 1e-4, -1e-4])
    x = torch.cat([torch.linspace(-24, 24, 207), special, torch.randn(100, generator=g) * 3]).float()
    r = torch.randn(x.shape, generator=g).float()
    tensors = {"x": x, "r": r}
    for name in NAMES:
        xi = x.clone().requires_grad_(True)
        y = ACT2FN[name](xi)
        (y * r).sum().backward()
        tensors[f"{name}.y"] = y.detach().contiguous()
        tensors[f"{name}.dx"] = xi.grad.detach().contiguous()
    OUT.parent.mkdir(parents=True, exist_ok=True)
    save_file(tensors, str(OUT), metadata={"transformers": transformers.__version__, "torch": torch.__version__})
    print(f"wrote {OUT} ({len(NAMES)} activations, {x.numel()} inputs)")


if __name__ == "__main__":
    main()
