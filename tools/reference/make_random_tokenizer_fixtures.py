#!/usr/bin/env python
"""transformers 5.18 tokenizers (tokenizers 0.23) on random text and random ids, for ved's differential test.

make_tokenizer_fixtures.py and make_decoder_fixtures.py record chosen strings; this script draws, for every
tokenizer fixture (the slow-file checkpoints of fixtures/tokenizers, the tokenizer.json suites of
fixtures/decoders/tokenizers, four ONNX-export tokenizers and the default model's), strings mixing ASCII,
accents and combining marks, CJK, emoji with joiners, odd whitespace, controls and special-token text,
and id sequences of any ids in the vocabulary, special ones included (what a model can generate):

    .venv-ref/bin/python tools/reference/make_random_tokenizer_fixtures.py [--count 40] [--seed 20261207]

Writes fixtures/tokenizers/random.json: per tokenizer directory, the strings with their ids (with and
without special tokens), and the id sequences with `decode` as is, skipping special tokens, skipping them
with the clean-up on, and keeping them with the clean-up off.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import warnings
from pathlib import Path

from transformers import AutoTokenizer

warnings.filterwarnings("ignore")

ROOT = Path(__file__).resolve().parents[2]
FIX = ROOT / "fixtures"
OUT = FIX / "tokenizers" / "random.json"

POOLS = [
    "abcdefghijklmnopqrstuvwxyz", "ABCDEFGHIJKLMNOPQRSTUVWXYZ", "0123456789", " ", "  ",
    ".,;:!?-_()[]{}'\"/\\@#$%^&*+=<>|~`", "àáâãäåæçèéêëìíîïñòóôõöøùúûüýÿßÀÉÎÕÜ", "\u0301\u0308\u0327\u030a",
    "中文字符日本語한국어", "😀👍🏽🇫🇷👨\u200d👩\u200d👧", "\t\n\r\u00a0\u3000\u2009\u200b\u200d\ufeff\u0085\u2028",
    "ﬁﬀ①Ⅻ㎏ｶﾞＡＢ", "αβγδΩПривет", "مرحبا שלום", "\x00\x01\x1f\x7f", "<s></s><pad><unk>[CLS][SEP][MASK]<mask><|endoftext|>[NEW]", "▁",
]


def directories() -> list[Path]:
    dirs = sorted(p for p in (FIX / "tokenizers").iterdir() if p.is_dir())
    dirs += sorted(p for p in (FIX / "decoders" / "tokenizers").iterdir() if p.is_dir())
    dirs += [FIX / "onnx" / n for n in ("deit-bert", "vit-gpt2-a", "deit-xlmr", "deit-mbart")]
    return dirs + [ROOT / "packages" / "default-model" / "model"]


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--count", type=int, default=40)
    ap.add_argument("--seed", type=int, default=20261207)
    args = ap.parse_args()
    rng = random.Random(args.seed)
    out = {}
    for d in directories():
        tok = AutoTokenizer.from_pretrained(d)
        size, specials = len(tok), sorted(set(tok.all_special_ids))
        texts, id_rows = [], []
        for _ in range(args.count):
            text = "".join("".join(rng.choice(rng.choice(POOLS)) for _ in range(rng.randint(1, 6))) for _ in range(rng.randint(0, 6)))
            texts.append(dict(text=text, ids=tok(text)["input_ids"], ids_no_special=tok(text, add_special_tokens=False)["input_ids"]))
            ids = [rng.choice(specials) if specials and rng.random() < 0.15 else rng.randrange(size) for _ in range(rng.randint(1, 12))]
            id_rows.append(dict(
                ids=ids,
                decoded=tok.decode(ids),
                skip=tok.decode(ids, skip_special_tokens=True),
                skip_cleanup=tok.decode(ids, skip_special_tokens=True, clean_up_tokenization_spaces=True),
                keep_no_cleanup=tok.decode(ids, clean_up_tokenization_spaces=False),
            ))
        out[str(d.relative_to(ROOT))] = dict(texts=texts, ids=id_rows)
    # One line per tokenizer: the file stays small and its diffs readable.
    body = ",\n".join(f" {json.dumps(k)}: {json.dumps(v, ensure_ascii=False, separators=(',', ':'))}" for k, v in out.items())
    OUT.write_text(f'{{"generator": "tools/reference/make_random_tokenizer_fixtures.py", "seed": {args.seed}, "tokenizers": {{\n{body}\n}}}}\n')
    print(f"{len(out)} tokenizers x {args.count} strings and {args.count} id rows -> {OUT.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
