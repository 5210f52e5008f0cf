#!/usr/bin/env python
"""Copies the trained checkpoint into the @ved/default-model package and
records what Python's tokenizer does, for ved's tokenizer test.

    .venv-ref/bin/python tools/demo-model/export.py [--checkpoint DIR]

  packages/default-model/model/            config.json, generation_config.json, model.safetensors,
                                           preprocessor_config.json, tokenizer.json, tokenizer_config.json
  tools/demo-model/tokenizer-reference.json  ids and decodes of a few strings by transformers
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

from transformers import AutoTokenizer, VisionEncoderDecoderModel  # noqa: E402
from transformers.utils import logging as hf_logging  # noqa: E402

hf_logging.set_verbosity_error()
hf_logging.disable_progress_bar()

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
TARGET = ROOT / "packages" / "default-model" / "model"
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


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--checkpoint", type=Path, default=HERE / "out" / "checkpoint")
    args = ap.parse_args()

    if TARGET.exists():
        shutil.rmtree(TARGET)
    TARGET.mkdir(parents=True)
    for name in FILES:
        shutil.copyfile(args.checkpoint / name, TARGET / name)
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
    print(json.dumps({"bytes": total, "parameters": n_params, "dtypes": sorted(dtypes)}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
