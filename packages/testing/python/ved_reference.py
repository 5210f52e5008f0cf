"""Helpers shared by ved's reference generators: @ved/testing's make_fixtures.py and the scripts in
ved's tools/reference/ (which import this file from packages/testing/python).

Everything here works on a transformers `VisionEncoderDecoderModel` built from configs; nothing
depends on a particular encoder or decoder. Importing this module makes torch deterministic and
single-threaded and keeps transformers offline and quiet, so every generator gets the same numbers.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

import torch  # noqa: E402
from safetensors import safe_open  # noqa: E402

torch.use_deterministic_algorithms(True)
torch.set_num_threads(1)


def set_special_tokens(model, start: int, eos: int, pad: int) -> None:
    """The decoder start, eos and pad ids on the VED config, its generation config and the decoder config
    (what `generate` and the loss's `shift_tokens_right` read)."""
    for c in (model.config, model.generation_config):
        c.decoder_start_token_id = start
        c.eos_token_id = eos
        c.pad_token_id = pad
    model.generation_config.bos_token_id = start
    model.config.decoder.bos_token_id = start
    model.config.decoder.eos_token_id = eos
    model.config.decoder.pad_token_id = pad


@torch.no_grad()
def manual_greedy(model, pixel_values: torch.Tensor, start: int, steps: int):
    """Greedy without any eos: returns generated ids (B, steps) and the top-2 margins (B, steps)."""
    b = pixel_values.shape[0]
    enc = model.encoder(pixel_values=pixel_values)
    ids = torch.full((b, 1), start, dtype=torch.long)
    margins = []
    for _ in range(steps):
        logits = model(encoder_outputs=enc, decoder_input_ids=ids).logits[:, -1]
        top2 = torch.topk(logits, 2, dim=-1).values
        margins.append(top2[:, 0] - top2[:, 1])
        ids = torch.cat([ids, logits.argmax(-1, keepdim=True)], dim=1)
    return ids[:, 1:], torch.stack(margins, dim=1)


def finish_steps(gen: torch.Tensor, eos: int) -> list[int | None]:
    out = []
    for row in gen.tolist():
        out.append(row.index(eos) if eos in row else None)
    return out


def eos_quality(gen: torch.Tensor, eos: int, steps: int):
    """Score a candidate eos id: need >= 1 row without eos (runs to max length) and >= 1 row that
    stops at step <= steps-2 (so it receives pad afterwards); prefer distinct stop steps and several
    finishing rows, and a stop step > 0. Returns None if unusable."""
    fs = finish_steps(gen, eos)
    stopped = [s for s in fs if s is not None]
    if len(stopped) == len(fs) or not stopped or min(stopped) > steps - 2:
        return None
    distinct = len(set(stopped)) == len(stopped)
    return (distinct, min(len(stopped), 2), min(stopped) >= 1, -abs(min(stopped) - steps // 3))


@torch.no_grad()
def redraw_constant_encoder_weights(encoder: torch.nn.Module, seed: int) -> None:
    """Re-draws every encoder tensor that random init leaves constant, so the fixture exercises it."""
    g = torch.Generator().manual_seed(10_000 + seed)
    for name, p in encoder.named_parameters():
        if p.numel() > 1 and not bool((p == p.flatten()[0]).all()):
            continue
        noise = torch.randn(p.shape, generator=g)
        if name.endswith("lambda_1") or name.endswith("lambda_2"):
            p.copy_(0.5 + 0.5 * torch.rand(p.shape, generator=g))
        elif "relative_position_bias_table" in name:
            p.copy_(1.0 * noise)
        elif name.endswith("norm.weight") or "layernorm" in name and name.endswith(".weight"):
            p.copy_(1.0 + 0.3 * noise)
        elif name.endswith(".bias"):
            p.copy_(0.1 * noise)
        else:  # cls / distillation / mask tokens, position embeddings, layer-scale lambdas
            p.copy_(0.5 * noise)


def classify_init(t: torch.Tensor) -> dict:
    """How a freshly initialised tensor looks: zeros, ones, a constant, or random with its std."""
    t = t.detach().float()
    flat = t.flatten()
    if bool((flat == 0).all()):
        return {"kind": "zeros"}
    if bool((flat == 1).all()):
        return {"kind": "ones"}
    if bool((flat == flat[0]).all()):
        return {"kind": "constant", "value": float(flat[0])}
    return {"kind": "random", "std": round(float(flat.std()), 4)}


def init_report(model, prefix: str = "encoder.") -> dict:
    """Names, shapes and init of every tensor under `prefix` that `save_pretrained` writes for a freshly
    initialised model, by its checkpoint (legacy) name relative to the prefix."""
    with tempfile.TemporaryDirectory() as d:
        model.save_pretrained(d)
        out = {}
        with safe_open(str(Path(d) / "model.safetensors"), "pt") as f:
            for k in sorted(f.keys()):
                if not k.startswith(prefix):
                    continue
                t = f.get_tensor(k)
                entry = {"shape": list(t.shape)}
                if t.dtype != torch.float32:
                    entry["dtype"] = str(t.dtype).replace("torch.", "")
                entry.update(classify_init(t))
                out[k[len(prefix):]] = entry
    return out


def write_init_report(report: dict, path: Path) -> None:
    """One line per weight: checkpoint name, shape, dtype and how a fresh init looks."""
    lines = [f"  {json.dumps(k)}: {json.dumps(v, separators=(', ', ': '))}" for k, v in report.items()]
    path.write_text("{\n" + ",\n".join(lines) + "\n}\n")


@torch.no_grad()
def beam(model, pixel_values: torch.Tensor, max_new_tokens: int, num_beams: int) -> torch.Tensor:
    return model.generate(pixel_values, max_new_tokens=max_new_tokens, num_beams=num_beams, do_sample=False)


@torch.no_grad()
def beam_is_stable(model, pixel_values: torch.Tensor, max_new_tokens: int, num_beams: int) -> bool:
    """Beam ids equal in float32 and float64: a proxy for robustness to float noise (ORT vs torch)."""
    a = beam(model, pixel_values, max_new_tokens, num_beams)
    m64 = model.double()
    try:
        b = beam(m64, pixel_values.double(), max_new_tokens, num_beams)
    finally:
        model.float()
    return a.shape == b.shape and bool(torch.equal(a, b))


def dump_json(obj) -> str:
    """indent=2, but lists of numbers/null stay on one line."""
    num = r"(?:-?[0-9][0-9.eE+-]*|null)"
    text = json.dumps(obj, indent=2)
    text = re.sub(
        r"\[\s*(" + num + r"(?:,\s*" + num + r")*)\s*\]",
        lambda m: "[" + ", ".join(x.strip() for x in m.group(1).split(",")) + "]",
        text,
    )
    assert json.loads(text) == obj
    return text + "\n"
