#!/usr/bin/env python
"""Python agrees: loads the default model in transformers and compares the ids
its `generate()` gives (the checkpoint's generation config: beam search, 4
beams) with ved's on a manifest (by default the 500-image held-out set).

    pnpm build   # ved runs from packages/backend-node/dist
    .venv-ref/bin/python tools/demo-model/check_python.py [--manifest FILE] [--model DIR]

ved is run as a user runs it: `node packages/backend-node/dist/cli.js caption
--model DIR --json`. Sequences are compared up to and including their first
eos (the pad after it depends on the batch). Writes the result to
tools/demo-model/out/python-agreement[-NAME].json and prints a summary.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import warnings
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
warnings.filterwarnings("ignore")

import torch  # noqa: E402
from PIL import Image  # noqa: E402
from transformers import AutoImageProcessor, AutoTokenizer, VisionEncoderDecoderModel  # noqa: E402
from transformers.utils import logging as hf_logging  # noqa: E402

hf_logging.set_verbosity_error()
hf_logging.disable_progress_bar()

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
CLI = ROOT / "packages" / "backend-node" / "dist" / "cli.js"


def trim(ids: list[int], eos: int) -> list[int]:
    return ids[: ids.index(eos) + 1] if eos in ids else ids


def read_manifest(path: Path) -> list[dict]:
    rows = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    for r in rows:
        r["path"] = str((path.parent / r["image"]).resolve())
    return rows


@torch.no_grad()
def python_generate(model_dir: Path, rows: list[dict], batch: int = 50):
    model = VisionEncoderDecoderModel.from_pretrained(model_dir, dtype=torch.float32).eval()
    processor = AutoImageProcessor.from_pretrained(model_dir)
    tokenizer = AutoTokenizer.from_pretrained(model_dir)
    eos = model.generation_config.eos_token_id
    seqs, texts, margins = [], [], []
    for s in range(0, len(rows), batch):
        imgs = [Image.open(r["path"]) for r in rows[s : s + batch]]
        pv = processor(imgs, return_tensors="pt").pixel_values
        out = model.generate(pixel_values=pv, return_dict_in_generate=True, output_logits=True)
        logits = torch.stack(out.logits, dim=1)  # [B, steps, V]
        top2 = logits.topk(2, dim=-1).values
        gap = top2[..., 0] - top2[..., 1]
        for i, seq in enumerate(out.sequences.tolist()):
            t = trim(seq, eos)
            seqs.append(t)
            margins.append(float(gap[i, : len(t) - 1].min()))
        texts += tokenizer.batch_decode(out.sequences, skip_special_tokens=True)
    return seqs, texts, margins, eos


def ved_generate(model_dir: Path, rows: list[dict], eos: int):
    if not CLI.exists():
        raise SystemExit(f"{CLI} is missing: run `pnpm build` first")
    cmd = ["node", str(CLI), "caption", "--model", str(model_dir), "--json", "--batch-size", "16"]
    cmd += [r["path"] for r in rows]
    proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True)
    if proc.returncode != 0:
        raise SystemExit(f"ved caption failed ({proc.returncode}): {proc.stderr}")
    lines = [json.loads(line) for line in proc.stdout.splitlines() if line.strip()]
    return [trim(line["sequences"][0]["ids"], eos) for line in lines], [line["sequences"][0]["text"] for line in lines]


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--manifest", type=Path, default=HERE / "out" / "heldout" / "manifest.jsonl")
    ap.add_argument("--model", type=Path, default=ROOT / "packages" / "default-model" / "model")
    ap.add_argument("--name", default=None, help="suffix of the output file (default: the manifest's directory name)")
    args = ap.parse_args()
    torch.set_num_threads(int(os.environ.get("DEMO_THREADS", "2")))

    rows = read_manifest(args.manifest)
    py_ids, py_texts, margins, eos = python_generate(args.model, rows)
    ved_ids, ved_texts = ved_generate(args.model, rows, eos)
    same_ids = [a == b for a, b in zip(py_ids, ved_ids)]
    same_text = [a == b for a, b in zip(py_texts, ved_texts)]
    py_exact = sum(t == r["text"] for t, r in zip(py_texts, rows)) / len(rows)
    differ = [
        {"image": r["image"], "python": p, "ved": v, "min_top2_margin": m}
        for r, p, v, m, ok in zip(rows, py_ids, ved_ids, margins, same_ids)
        if not ok
    ]
    result = {
        "manifest": str(args.manifest),
        "images": len(rows),
        "identical_ids": sum(same_ids),
        "identical_text": sum(same_text),
        "python_exact_match": py_exact,
        "min_top2_margin": min(margins),
        "differences": differ,
    }
    name = args.name or args.manifest.parent.name
    out = HERE / "out" / f"python-agreement-{name}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=1) + "\n")
    print(
        f"{name}: ved and Python give identical ids on {sum(same_ids)}/{len(rows)} images "
        f"(identical text {sum(same_text)}/{len(rows)}); smallest top-2 logit margin {min(margins):.3f}; "
        f"Python exact match {py_exact:.4f}"
    )
    return 0 if all(same_ids) else 1


if __name__ == "__main__":
    sys.exit(main())
