#!/usr/bin/env python
"""torchmetrics' character and word error rates on random (prediction, reference) pairs, for ved's text metrics
(@ved/core text-metrics.ts: `ved eval`'s and the Trainer's cer and wer).

    .venv-ref/bin/python tools/reference/make_text_metric_fixtures.py

Writes fixtures/text/text-metrics.json: the pairs (with whitespace of every kind Python's str.split() knows, and
characters it does not count as space, astral characters, empty predictions), each pair's edits and lengths as
torchmetrics' `_cer_update` / `_wer_update` count them, and the corpus rates of `CharErrorRate` / `WordErrorRate`.
"""

from __future__ import annotations

import json
import random
from pathlib import Path

from torchmetrics.functional.text.cer import _cer_update
from torchmetrics.functional.text.wer import _wer_update
from torchmetrics.text import CharErrorRate, WordErrorRate

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "fixtures" / "text" / "text-metrics.json"

WORDS = ["Invoice", "#2024-001", "TOTAL", "$12.50", "Gate", "4841", "the", "a", "naïve", "日本語", "😀x", "l", "I", "0", "O"]
# str.isspace() characters (among them the separators \x1c-\x1f and \x85), and some that are not (\ufeff, \u200b).
SPACES = [" ", " ", " ", "  ", "\t", "\n", "\r\n", "\x0b", "\x0c", "\x1c", "\x1f", "\x85", "\xa0", "\u2003", "\u3000", "\u2028"]
NOT_SPACES = ["\ufeff", "\u200b", "\u180e"]


def line(r: random.Random) -> str:
    words = [r.choice(WORDS) + (r.choice(NOT_SPACES) if r.random() < 0.05 else "") for _ in range(r.randint(0, 6))]
    text = "".join(w + r.choice(SPACES) for w in words)
    if r.random() < 0.3:
        text = r.choice(SPACES) + text
    if r.random() < 0.5:
        text = text.rstrip(" ")
    return text


def mutate(r: random.Random, text: str) -> str:
    chars = list(text)
    for _ in range(r.randint(0, 4)):
        op = r.random()
        i = r.randint(0, len(chars))
        if op < 0.3 and chars:
            del chars[min(i, len(chars) - 1)]
        elif op < 0.6:
            chars.insert(i, r.choice("abcI1lO0 \t" + "".join(NOT_SPACES)))
        elif chars:
            chars[min(i, len(chars) - 1)] = r.choice("xyzI1l😀 ")
    return "".join(chars)


def main() -> None:
    r = random.Random(20261207)
    pairs = []
    for k in range(400):
        reference = line(r)
        prediction = "" if k % 37 == 0 else (reference if k % 11 == 0 else mutate(r, reference))
        char_edits, chars = _cer_update(prediction, reference)
        word_edits, words = _wer_update(prediction, reference)
        pairs.append({"prediction": prediction, "reference": reference, "char_edits": int(char_edits), "chars": int(chars),
                      "word_edits": int(word_edits), "words": int(words)})
    corpus = []
    for start in range(0, len(pairs), 50):
        chunk = pairs[start:start + 50]
        preds, refs = [p["prediction"] for p in chunk], [p["reference"] for p in chunk]
        corpus.append({"from": start, "to": start + len(chunk), "cer": float(CharErrorRate()(preds, refs)), "wer": float(WordErrorRate()(preds, refs))})
    OUT.write_text(json.dumps({"pairs": pairs, "corpus": corpus}, ensure_ascii=False, indent=0) + "\n")
    print(f"wrote {OUT}: {len(pairs)} pairs")


if __name__ == "__main__":
    main()
