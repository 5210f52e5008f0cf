#!/usr/bin/env python
"""transformers 5.18 `generate()` on randomly drawn option combinations, for ved's differential test.

make_generation_fixtures.py records each strategy and processor on purpose; this script draws what
a user might combine: beams with return sequences, early stopping and length penalties, repetition
and n-gram penalties, bad words and sequence biases, suppressed, forced and extra eos tokens,
length limits of both kinds, prompts, caches off, diverse and contrastive search (which 5.18
refuses), greedy-equivalent sampling (top_k=1) through every warper. Run after
make_generation_fixtures.py and make_fixtures.py (it uses their models):

    .venv-ref/bin/python tools/reference/make_random_generation_fixtures.py [--count 400] [--seed 20261207]

Writes fixtures/generation/random-cases.json (the two GPT-2 models of cases.json) and
random-decoder-cases.json (every decoder family of fixtures/decoders, on its reference images) in
cases.json's format: the model, snake_case kwargs and Python's sequences / sequences_scores, or the
error it raised. Each call also runs with the
model in float64, and a call whose ids change there (a near-tie) is drawn again, so that every case
is decided by the options and not by float noise.
"""

from __future__ import annotations

import argparse
import json
import math
import random
import sys
import warnings
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import make_generation_fixtures as g  # noqa: E402  (run_case, describe, inputs_for)

import torch  # noqa: E402
from safetensors.torch import load_file  # noqa: E402
from transformers import VisionEncoderDecoderModel  # noqa: E402

warnings.filterwarnings("ignore")

OUT = g.OUT / "random-cases.json"
DECODER_OUT = g.OUT / "random-decoder-cases.json"
DECODER_DIR = g.mf.ROOT / "fixtures" / "decoders"
# deit-trocr rather than vit-trocr: 5.18 cannot load the sinusoidal TrOCR checkpoint (see docs/hardening.md)
DECODERS = ["vit-bart", "vit-bert", "vit-mbart", "vit-roberta", "vit-xlmr", "deit-trocr", "deit-bart"]


def load():
    models = {
        "v16": VisionEncoderDecoderModel.from_pretrained(g.OUT / "model-v16").eval(),
        "vit-gpt2-a": VisionEncoderDecoderModel.from_pretrained(g.MODELS / "vit-gpt2-a").eval(),
    }
    pixels = {"v16": load_file(str(g.OUT / "inputs.safetensors"))["pixel_values"], "vit-gpt2-a": g.inputs_for("vit-gpt2-a")}
    return models, pixels


def draw(rng: random.Random, model, batch: int) -> dict:
    """One call's kwargs (as JSON: sequence_bias as a list of [ids, bias] pairs)."""
    V = model.config.decoder.vocab_size
    start = getattr(model.config, "decoder_start_token_id", None) or model.generation_config.decoder_start_token_id
    kw: dict = {}
    beams = rng.choice([1, 1, 2, 3, 4, 5])
    if beams > 1:
        kw["num_beams"] = beams
    if rng.random() < 0.8:
        kw["max_new_tokens"] = rng.randint(1, 12)
    else:
        kw["max_length"] = rng.randint(2, 14)
    if rng.random() < 0.3:
        kw["min_new_tokens"] = rng.randint(0, 6)
    elif rng.random() < 0.15:
        kw["min_length"] = rng.randint(0, 8)
    if beams > 1:
        if rng.random() < 0.5:
            kw["num_return_sequences"] = rng.randint(1, beams)
        if rng.random() < 0.5:
            kw["early_stopping"] = rng.choice([True, False, "never"])
        if rng.random() < 0.5:
            kw["length_penalty"] = rng.choice([-2.0, -0.5, 0.0, 0.7, 1.0, 2.0])
        kw["output_scores"] = True
        kw["return_dict_in_generate"] = True
    if rng.random() < 0.3:
        kw["repetition_penalty"] = rng.choice([0.5, 0.9, 1.3, 2.0])
    if rng.random() < 0.3:
        kw["no_repeat_ngram_size"] = rng.randint(1, 3)
    if rng.random() < 0.2:
        words = [[rng.randrange(V)] for _ in range(rng.randint(1, 3))]
        kw["bad_words_ids"] = words + ([[rng.randrange(V), rng.randrange(V)]] if rng.random() < 0.5 else [])
    if rng.random() < 0.2:
        kw["suppress_tokens"] = rng.sample(range(V), rng.randint(1, 3))
    if rng.random() < 0.15:
        kw["begin_suppress_tokens"] = rng.sample(range(V), rng.randint(1, 2))
    if rng.random() < 0.15:
        kw["forced_bos_token_id"] = rng.randrange(V)
    if rng.random() < 0.15:
        kw["forced_eos_token_id"] = rng.randrange(V)
    if rng.random() < 0.15:
        kw["exponential_decay_length_penalty"] = [rng.randint(1, 5), rng.choice([1.05, 1.5, 2.0])]
    if rng.random() < 0.15:
        kw["renormalize_logits"] = True
    if rng.random() < 0.15:
        kw["eos_token_id"] = rng.sample(range(V), rng.randint(1, 2))
    if rng.random() < 0.1:
        kw["sequence_bias"] = [[[rng.randrange(V)], rng.choice([-5.0, 3.0])]]
    if rng.random() < 0.1:
        kw["decoder_input_ids"] = [[start, rng.randrange(V)]] * batch
    r = rng.random()
    if r < 0.1:
        kw["use_cache"] = False
    elif r < 0.15:
        kw["low_memory"] = True
    elif r < 0.2:
        kw["encoder_repetition_penalty"] = rng.choice([0.5, 1.5])
    elif r < 0.25:
        kw["encoder_no_repeat_ngram_size"] = 2
    elif r < 0.3 and beams > 1:
        kw["num_beam_groups"] = rng.choice([k for k in range(1, beams + 1) if beams % k == 0])
        kw["diversity_penalty"] = rng.choice([0.0, 0.5, 2.0])
    elif r < 0.33:
        kw["penalty_alpha"] = 0.6
        kw["top_k"] = 4
    elif r < 0.45 and beams == 1:
        # top_k=1 makes sampling pick the greedy token whatever the draw (with beams it would not:
        # beam sampling draws 2 × num_beams candidates, more than the finite ones)
        kw["do_sample"] = True
        kw["top_k"] = 1
        if rng.random() < 0.5:
            kw["temperature"] = rng.choice([0.3, 1.0, 2.5])
        if rng.random() < 0.5:
            kw["top_p"] = rng.choice([0.3, 0.9])
        if rng.random() < 0.3:
            kw[rng.choice(["typical_p", "epsilon_cutoff", "eta_cutoff", "min_p"])] = rng.choice([0.05, 0.2])
    if rng.random() < 0.1:
        kw["pad_token_id"] = rng.randrange(V)
    return kw


def finite(x):
    """NaN and infinities as strings (JSON has no literal for them)."""
    if isinstance(x, float) and not math.isfinite(x):
        return {math.inf: "Infinity", -math.inf: "-Infinity"}.get(x, "NaN")
    if isinstance(x, list):
        return [finite(v) for v in x]
    if isinstance(x, dict):
        return {k: finite(v) for k, v in x.items()}
    return x


def record(rng: random.Random, models: dict, pixels: dict, names: list[str], count: int, prefix: str) -> tuple[list[dict], int]:
    """`count` calls, each on a model drawn from `names`; near-ties (ids that change in float64) drawn again."""
    cases, redrawn = [], 0
    while len(cases) < count:
        name = rng.choice(names)
        model = models[name]
        kw = draw(rng, model, pixels[name].shape[0])
        rec = dict(name=f"{prefix}-{len(cases)}", model=name, kwargs=json.loads(json.dumps(kw)))
        call = dict(kw)
        if "sequence_bias" in call:
            call["sequence_bias"] = {tuple(ids): bias for ids, bias in call["sequence_bias"]}
        try:
            out = g.run_case(model, pixels[name], call, {}, None)
        except Exception as e:  # noqa: BLE001 - Python's refusal is what ved must match
            rec["error"] = dict(type=type(e).__name__, message=str(e))
            cases.append(rec)
            continue
        rec.update(g.describe(out))
        model.double()
        try:
            out64 = g.describe(g.run_case(model, pixels[name], call, {}, None, dtype=torch.float64))
        finally:
            model.float()
        if out64["sequences"] != rec["sequences"]:
            redrawn += 1
            continue
        cases.append(rec)
    return cases, redrawn


def write(path: Path, seed: int, cases: list[dict], redrawn: int) -> None:
    path.write_text(g.mf.dump_json(dict(generator="tools/reference/make_random_generation_fixtures.py", seed=seed, cases=finite(cases))))
    errors = sum("error" in c for c in cases)
    print(f"{len(cases)} calls ({errors} refused by Python), {redrawn} near-ties drawn again -> {path.relative_to(g.mf.ROOT)}")


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--count", type=int, default=400, help="calls on the two GPT-2 models")
    ap.add_argument("--per-decoder", type=int, default=30, help="calls on each decoder family of fixtures/decoders")
    ap.add_argument("--seed", type=int, default=20261207)
    args = ap.parse_args()
    torch.manual_seed(0)
    models, pixels = load()
    rng = random.Random(args.seed)
    write(OUT, args.seed, *record(rng, models, pixels, ["v16", "v16", "vit-gpt2-a"], args.count, "random"))
    # Every decoder family (its own config defaults: BART's forced eos, BERT's pad and start ids, ...).
    cases, redrawn = [], 0
    for name in DECODERS:
        d = DECODER_DIR / name
        models = {name: VisionEncoderDecoderModel.from_pretrained(d).eval()}
        pixels = {name: load_file(str(d / "reference" / "reference.safetensors"))["pixel_values"]}
        more, again = record(rng, models, pixels, [name], args.per_decoder, name)
        cases += more
        redrawn += again
    write(DECODER_OUT, args.seed, cases, redrawn)
    return 0


if __name__ == "__main__":
    sys.exit(main())
