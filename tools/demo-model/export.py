#!/usr/bin/env python
"""Copies the trained checkpoint into the @ved/default-model package and
records what Python does with it (tokenizer, greedy ids, logits), for ved's tests.

    .venv-ref/bin/python tools/demo-model/export.py [--checkpoint DIR]

  packages/default-model/model/            config.json, generation_config.json, model.safetensors,
                                           preprocessor_config.json, tokenizer.json, tokenizer_config.json
  tools/demo-model/tokenizer-reference.json  ids and decodes of a few strings by transformers
  tools/demo-model/python-reference.json     Python's greedy ids on the 20 committed held-out images,
                                             and teacher-forced logits of the first 4 (ved's tests)
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import warnings
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
warnings.filterwarnings("ignore")

import torch  # noqa: E402
import transformers  # noqa: E402
from PIL import Image  # noqa: E402
from transformers import AutoImageProcessor, AutoTokenizer, GenerationConfig, VisionEncoderDecoderModel  # noqa: E402
from transformers.utils import logging as hf_logging  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
from charset import GENERATION  # noqa: E402

hf_logging.set_verbosity_error()
hf_logging.disable_progress_bar()

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
TARGET = ROOT / "packages" / "default-model" / "model"
HELDOUT = ROOT / "packages" / "default-model" / "examples" / "heldout"
LOGIT_IMAGES = 4
FILES = [
    "config.json",
    "generation_config.json",
    "model.safetensors",
    "preprocessor_config.json",
    "tokenizer.json",
    "tokenizer_config.json",
]
MAX_BYTES = 10 * 1024 * 1024
STRINGS = ["a b", "Invoice #2024-001", "Total: $1,234.50", " . , : - / $ # % ", "a  b", "0O1lI", "x~y"]


@torch.no_grad()
def write_python_reference(model, tok) -> None:
    """What Python does with the checkpoint on the committed held-out images, for
    ved's tests: greedy ids (up to eos) of all 20, and the teacher-forced logits
    of the first LOGIT_IMAGES on their greedy sequence."""
    processor = AutoImageProcessor.from_pretrained(TARGET)
    rows = [json.loads(line) for line in (HELDOUT / "manifest.jsonl").read_text().splitlines() if line.strip()]
    images = [Image.open(HELDOUT / r["image"]) for r in rows]
    pv = processor(images, return_tensors="pt").pixel_values
    eos = model.generation_config.eos_token_id
    model.eval()
    out = model.generate(pixel_values=pv)
    cases = []
    for i, seq in enumerate(out.tolist()):
        ids = seq[: seq.index(eos) + 1] if eos in seq else seq
        case = {"image": rows[i]["image"], "ids": ids, "text": tok.decode(ids, skip_special_tokens=True)}
        if i < LOGIT_IMAGES:
            logits = model(pixel_values=pv[i : i + 1], decoder_input_ids=torch.tensor([ids[:-1]])).logits[0]
            case["logits"] = [[float(x) for x in row] for row in logits.tolist()]
        cases.append(case)
    path = HERE / "python-reference.json"
    path.write_text(json.dumps({"transformers": transformers.__version__, "torch": torch.__version__, "cases": cases}) + "\n")
    print(f"wrote {path}")


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--checkpoint", type=Path, default=HERE / "out" / "checkpoint")
    args = ap.parse_args()

    if TARGET.exists():
        shutil.rmtree(TARGET)
    TARGET.mkdir(parents=True)
    for name in FILES:
        shutil.copyfile(args.checkpoint / name, TARGET / name)
    # The generation defaults are charset.GENERATION's, whatever the checkpoint was saved with.
    GenerationConfig(**GENERATION).save_pretrained(TARGET)
    total = sum((TARGET / n).stat().st_size for n in FILES)
    if total > MAX_BYTES:
        raise SystemExit(f"checkpoint is {total} bytes, over the {MAX_BYTES} limit")

    # Python must load it (float16 weights into a float32 model).
    model = VisionEncoderDecoderModel.from_pretrained(TARGET)
    dtypes = {str(p.dtype) for p in model.parameters()}
    n_params = sum(p.numel() for p in model.parameters())

    tok = AutoTokenizer.from_pretrained(TARGET)
    ref = []
    for s in STRINGS:
        ids = tok(s, add_special_tokens=False).input_ids
        with_specials = [tok.convert_tokens_to_ids("<s>")] + ids + [tok.eos_token_id, tok.pad_token_id]
        ref.append(
            {
                "text": s,
                "ids": ids,
                "decode": tok.decode(ids),
                "with_specials": with_specials,
                "decode_skip_special": tok.decode(with_specials, skip_special_tokens=True),
            }
        )
    (HERE / "tokenizer-reference.json").write_text(json.dumps(ref, indent=1) + "\n")
    write_python_reference(model, tok)
    print(json.dumps({"bytes": total, "parameters": n_params, "dtypes": sorted(dtypes)}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
