#!/usr/bin/env python
"""Expected outputs of transformers 5.18 `generate()` for ved's generation tests.

Run from anywhere (after make_fixtures.py, whose models it reuses):
    .venv-ref/bin/python tools/reference/make_generation_fixtures.py

Writes fixtures/generation/
  model-v16/            a tiny ViT + GPT-2 (vocab 16, eos frequent, so rows finish early),
                        saved with save_pretrained
  inputs.safetensors    pixel values of the v16 batch (3 images, torch.randn, generator seed 123)
  cases.json            every recorded generate() call: model, snake_case kwargs, and what Python
                        returned (sequences, sequences_scores, beam_indices) or the error it raised
  scores.safetensors    processed per-step scores of the cases that record them ([steps, rows, vocab])
  processors.json       logits-processor / warper unit cases on synthetic scores (class, arguments)
  processors.safetensors  their input_ids, input scores and processed scores
  config-layering.json  GenerationConfig.from_model_config() on legacy config.json dicts

Robustness: every case is also run with the model in float64; a case whose ids differ (a
near-tie that float noise could flip) is reported and the model seed is rejected. The seed is
the first candidate for which every case is robust.
"""

from __future__ import annotations

import json
import math
import os
import shutil
import sys
import warnings
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import make_fixtures as mf  # noqa: E402  (read-only helpers: build_model, dump_json, ROOT, torch settings)

import torch  # noqa: E402
from safetensors.torch import load_file, save_file  # noqa: E402
from transformers import AutoTokenizer, GenerationConfig, VisionEncoderDecoderModel  # noqa: E402
from transformers.generation import logits_process as lp  # noqa: E402
from transformers.generation import stopping_criteria as sc  # noqa: E402

warnings.filterwarnings("ignore")

OUT = mf.ROOT / "fixtures" / "generation"
MODELS = mf.ROOT / "fixtures" / "models"

V16_SPEC = dict(
    vit=dict(image_size=32, patch_size=8, hidden_size=32, num_attention_heads=4, num_hidden_layers=2, intermediate_size=37),
    gpt2=dict(n_embd=32, n_head=4, n_layer=2, n_positions=64, vocab_size=16, initializer_range=0.3),
)
V16_START, V16_EOS, V16_PAD = 14, 15, 1
SEED_CANDIDATES = [41, 75, 55, 4, 25, 8, 2]

# --------------------------------------------------------------------------------------------
# The generate() calls. Each: (name, model, kwargs[, options]).
#   model: "v16" | "vit-gpt2-a" | "vit-gpt2-b"
#   options: record_scores (write processed scores), model_config (set on model.generation_config
#            before the call), step0_scores (sampling: only the first step's scores are
#            deterministic), stop_strings need the tokenizer of vit-gpt2-a.
# --------------------------------------------------------------------------------------------

DICT = dict(return_dict_in_generate=True, output_scores=True)


def v16_cases():
    c = []
    add = lambda name, kw, **o: c.append((name, "v16", kw, o))  # noqa: E731
    # greedy and lengths
    add("greedy", dict(max_new_tokens=12, **DICT), record_scores=True)
    add("greedy-default-length", dict())
    add("greedy-default-length-eos-none", dict(eos_token_id=None))
    add("greedy-eos-none", dict(max_new_tokens=5, eos_token_id=None))
    add("greedy-max-length", dict(max_length=8))
    add("greedy-max-length-and-new-tokens", dict(max_length=4, max_new_tokens=7))
    add("greedy-model-max-length", dict(), model_config=dict(max_length=10))
    add("greedy-model-max-length-20", dict(), model_config=dict(max_length=20))
    add("model-config-beams", dict(**DICT), model_config=dict(max_new_tokens=6, num_beams=2))
    add("greedy-num-beams-1", dict(max_new_tokens=12, num_beams=1))
    add("greedy-pad-0", dict(max_new_tokens=12, pad_token_id=0))
    add("greedy-pad-none", dict(max_new_tokens=12, pad_token_id=None))
    add("greedy-eos-list", dict(max_new_tokens=12, eos_token_id=[15, 13], **DICT), record_scores=True)
    # beam search grid
    for nb in (2, 3, 4, 5):
        for lpen in (0.0, 1.0, 2.0):
            for es in (True, False, "never"):
                add(
                    f"beam-{nb}-lp{lpen:g}-es{es}",
                    dict(max_new_tokens=12, num_beams=nb, length_penalty=lpen, early_stopping=es, **DICT),
                    record_scores=(nb == 3),
                )
    add("beam-3-nrs-2", dict(max_new_tokens=12, num_beams=3, num_return_sequences=2, **DICT))
    add("beam-4-nrs-3", dict(max_new_tokens=12, num_beams=4, num_return_sequences=3, **DICT))
    add("beam-5-nrs-3-lp2-never", dict(max_new_tokens=12, num_beams=5, num_return_sequences=3, length_penalty=2.0, early_stopping="never", **DICT))
    add("beam-3-pad-0", dict(max_new_tokens=12, num_beams=3, pad_token_id=0, **DICT))
    add("beam-3-pad-none", dict(max_new_tokens=12, num_beams=3, pad_token_id=None, **DICT))
    add("beam-3-eos-list", dict(max_new_tokens=12, num_beams=3, eos_token_id=[15, 13], **DICT))
    add("beam-2-eos-none", dict(max_new_tokens=6, num_beams=2, eos_token_id=None, **DICT))
    add("beam-3-max-length-6", dict(max_length=6, num_beams=3, **DICT))
    add("beam-3-no-dict", dict(max_new_tokens=12, num_beams=3))
    add("beam-3-dict-no-scores", dict(max_new_tokens=12, num_beams=3, return_dict_in_generate=True))
    # deterministic processors, alone (greedy, then beam 3)
    procs = {
        "repetition-1.5": dict(repetition_penalty=1.5),
        "repetition-0.6": dict(repetition_penalty=0.6),
        "no-repeat-1": dict(no_repeat_ngram_size=1),
        "no-repeat-2": dict(no_repeat_ngram_size=2),
        "no-repeat-3": dict(no_repeat_ngram_size=3),
        "bad-words": dict(bad_words_ids=[[11], [13, 2], [15], [0, 0]]),
        # only the eos token: dropped, leaving NoBadWordsLogitsProcessor an empty sequence_bias (a no-op)
        "bad-words-only-eos": dict(bad_words_ids=[[15]]),
        "min-length": dict(min_length=6),
        "min-new-tokens": dict(min_new_tokens=5),
        "min-new-and-length": dict(min_new_tokens=3, min_length=9),
        "forced-bos": dict(forced_bos_token_id=3),
        "forced-eos": dict(forced_eos_token_id=15, max_new_tokens=6),
        "forced-eos-list": dict(forced_eos_token_id=[13, 15], max_new_tokens=6),
        "remove-invalid": dict(remove_invalid_values=True),
        "exp-decay": dict(exponential_decay_length_penalty=(3, 1.8)),
        "suppress": dict(suppress_tokens=[1, 13]),
        "begin-suppress": dict(begin_suppress_tokens=[0, 13]),
        "begin-suppress-forced-bos": dict(begin_suppress_tokens=[0, 13], forced_bos_token_id=0),
        "sequence-bias": dict(sequence_bias=[[[13], -4.0], [[1, 1], 3.0], [[0, 0, 1], 5.0], [[12], 0.5]]),
        "renormalize": dict(renormalize_logits=True),
        "encoder-repetition-ignored": dict(encoder_repetition_penalty=1.5),
        "combined": dict(
            repetition_penalty=1.3,
            no_repeat_ngram_size=2,
            bad_words_ids=[[11], [13, 2]],
            min_new_tokens=3,
            suppress_tokens=[4],
            sequence_bias=[[[0], -1.0], [[1, 1], 2.0]],
            exponential_decay_length_penalty=(6, 1.5),
        ),
    }
    for pname, kw in procs.items():
        base = dict(max_new_tokens=12)
        base.update(kw)
        add(f"greedy-{pname}", dict(**base, **DICT), record_scores=True)
        add(f"beam-3-{pname}", dict(**base, num_beams=3, **DICT), record_scores=True)
    add("beam-4-nrs-2-combined", dict(max_new_tokens=12, num_beams=4, num_return_sequences=2, **procs["combined"], **DICT))
    # user-supplied processors and criteria: same class replaces the built-in one, others are appended
    add("custom-processor-replaces", dict(max_new_tokens=12, repetition_penalty=1.5, **DICT), custom_processors=[["RepetitionPenalty", dict(penalty=3.0)]])
    add("custom-processor-appended", dict(max_new_tokens=12, suppress_tokens=[1], **DICT), custom_processors=[["NoRepeatNGram", dict(ngram_size=2)]])
    add("custom-processor-beam", dict(max_new_tokens=12, num_beams=3, **DICT), custom_processors=[["NoRepeatNGram", dict(ngram_size=2)], ["SuppressTokens", dict(suppress_tokens=[0])]])
    add("custom-criteria-replaces", dict(max_new_tokens=12), custom_criteria=[["MaxLength", dict(max_length=5)]])
    add("custom-criteria-eos", dict(max_new_tokens=12, eos_token_id=None), custom_criteria=[["EosToken", dict(eos_token_id=3)]])
    # prompts and start ids
    add("prompt-prepended", dict(max_new_tokens=8, decoder_input_ids=[[3], [3], [3]], **DICT))
    add("prompt-starts-with-start", dict(max_new_tokens=8, decoder_input_ids=[[14, 3], [14, 5], [14, 7]], **DICT))
    add("prompt-mixed-start", dict(max_new_tokens=8, decoder_input_ids=[[14, 3], [5, 3], [2, 2]], **DICT))
    add("prompt-beam", dict(max_new_tokens=8, num_beams=3, decoder_input_ids=[[3, 5], [3, 5], [3, 5]], **DICT))
    add("prompt-beam-nrs", dict(max_new_tokens=8, num_beams=4, num_return_sequences=2, length_penalty=0.5, decoder_input_ids=[[3], [6], [9]], **DICT))
    add("prompt-max-length", dict(max_length=6, decoder_input_ids=[[3, 5], [3, 5], [3, 5]]))
    add("prompt-repetition-ngram", dict(max_new_tokens=8, repetition_penalty=2.0, no_repeat_ngram_size=2, decoder_input_ids=[[0, 0], [1, 1], [0, 1]], **DICT))
    add("prompt-min-new-tokens", dict(max_new_tokens=8, min_new_tokens=4, min_length=3, decoder_input_ids=[[3, 5], [3, 5], [3, 5]]))
    add("start-per-row", dict(max_new_tokens=8, decoder_start_token_id=[14, 3, 5]))
    add("start-per-row-beam", dict(max_new_tokens=8, num_beams=2, decoder_start_token_id=[14, 3, 5], **DICT))
    add("start-per-row-prompt", dict(max_new_tokens=8, decoder_start_token_id=[14, 3, 5], decoder_input_ids=[[7], [7], [7]]))
    add("start-from-bos", dict(max_new_tokens=8, decoder_start_token_id=None, bos_token_id=6))
    # sampling: top_k=1 is greedy; the first step's processed scores are deterministic
    add("sample-top-k-1", dict(max_new_tokens=12, do_sample=True, top_k=1))
    add("sample-top-k-1-nrs-2", dict(max_new_tokens=12, do_sample=True, top_k=1, num_return_sequences=2))
    warpers = {
        "default": dict(),
        "temperature": dict(temperature=0.7),
        "top-k": dict(top_k=5),
        "top-p": dict(top_p=0.8),
        "min-p": dict(min_p=0.1),
        "typical": dict(typical_p=0.9),
        "epsilon": dict(epsilon_cutoff=0.05),
        "eta": dict(eta_cutoff=0.05),
        "top-h": dict(top_h=0.5),
        "no-top-k": dict(top_k=0),
        "renormalize": dict(top_k=4, renormalize_logits=True),
        "combined": dict(temperature=0.8, top_k=8, top_p=0.9, min_p=0.05, typical_p=0.95, epsilon_cutoff=0.01, eta_cutoff=0.01),
    }
    for wname, kw in warpers.items():
        add(f"sample-{wname}", dict(max_new_tokens=4, do_sample=True, repetition_penalty=1.2, **kw, **DICT), step0_scores=True)
        add(f"beam-sample-{wname}", dict(max_new_tokens=4, do_sample=True, num_beams=3, **kw, **DICT), step0_scores=True)
    # errors Python raises
    add("error-nrs-greedy", dict(max_new_tokens=4, num_return_sequences=2))
    add("error-nrs-beams", dict(max_new_tokens=4, num_beams=3, num_return_sequences=4))
    add("error-temperature-0", dict(max_new_tokens=4, do_sample=True, temperature=0.0))
    add("error-early-stopping", dict(max_new_tokens=4, num_beams=2, early_stopping="sometimes"))
    add("error-max-new-tokens-0", dict(max_new_tokens=0))
    add("error-max-length-1", dict(max_length=1))
    add("error-prompt-too-long", dict(max_length=3, decoder_input_ids=[[3, 4, 5], [3, 4, 5], [3, 4, 5]]))
    add("error-start-list-length", dict(max_new_tokens=4, decoder_start_token_id=[14, 3]))
    add("error-no-start", dict(max_new_tokens=4, decoder_start_token_id=None, bos_token_id=None))
    add("error-top-p", dict(max_new_tokens=4, do_sample=True, top_p=-0.5))
    add("error-top-k", dict(max_new_tokens=4, do_sample=True, top_k=-2))
    add("error-typical", dict(max_new_tokens=4, do_sample=True, typical_p=0.0))
    add("error-repetition", dict(max_new_tokens=4, repetition_penalty=0.0))
    add("greedy-no-repeat-negative-ignored", dict(max_new_tokens=4, no_repeat_ngram_size=-1))
    add("error-group-beams", dict(max_new_tokens=4, num_beams=4, num_beam_groups=2, diversity_penalty=0.5))
    add("error-forced-suppressed", dict(max_new_tokens=4, forced_bos_token_id=3, suppress_tokens=[3]))
    return c


def model_a_cases():
    c = []
    add = lambda name, kw, **o: c.append((name, "vit-gpt2-a", kw, o))  # noqa: E731
    add("a-greedy", dict(max_new_tokens=12))
    add("a-beam-3", dict(max_new_tokens=10, num_beams=3, **DICT))
    add("a-beam-4-nrs-2", dict(max_new_tokens=10, num_beams=4, num_return_sequences=2, **DICT))
    add("a-beam-3-lp0-never", dict(max_new_tokens=10, num_beams=3, length_penalty=0.0, early_stopping="never", **DICT))
    add("a-beam-5-nrs-3-es", dict(max_new_tokens=10, num_beams=5, num_return_sequences=3, early_stopping=True, **DICT))
    add("a-greedy-combined", dict(max_new_tokens=12, repetition_penalty=1.4, no_repeat_ngram_size=2, min_new_tokens=4, **DICT))
    add("a-beam-3-combined", dict(max_new_tokens=10, num_beams=3, repetition_penalty=1.4, no_repeat_ngram_size=2, min_new_tokens=4, **DICT))
    add("a-sample-top-k-1", dict(max_new_tokens=12, do_sample=True, top_k=1))
    add("a-stop-strings", dict(max_new_tokens=12, stop_strings=["NN", "ggg"]), tokenizer=True)
    add("a-stop-strings-beam", dict(max_new_tokens=12, num_beams=3, stop_strings=" p", **DICT), tokenizer=True)
    add("a-stop-strings-eos-none", dict(max_new_tokens=12, stop_strings=["Q"], eos_token_id=None), tokenizer=True)
    return c


def model_b_cases():
    c = []
    add = lambda name, kw, **o: c.append((name, "vit-gpt2-b", kw, o))  # noqa: E731
    add("b-greedy", dict(max_new_tokens=10))
    add("b-beam-3-nrs-2", dict(max_new_tokens=8, num_beams=3, num_return_sequences=2, **DICT))
    add("b-beam-2-pad-0-quirk", dict(max_new_tokens=8, num_beams=2, **DICT))  # pad 1, eos 0: fills with pad
    return c


# --------------------------------------------------------------------------------------------


def load_models(seed: int):
    out = {}
    v16 = mf.build_model(V16_SPEC, seed, V16_START, V16_EOS, V16_PAD)
    out["v16"] = v16
    for name in ("vit-gpt2-a", "vit-gpt2-b"):
        m = VisionEncoderDecoderModel.from_pretrained(MODELS / name)
        m.eval()
        out[name] = m
    return out


def inputs_for(name: str) -> torch.Tensor:
    if name == "v16":
        return torch.randn(3, 3, 32, 32, generator=torch.Generator().manual_seed(123))
    return load_file(str(MODELS / name / "reference" / "reference.safetensors"))["pixel_values"]


def to_kwargs(kw: dict) -> dict:
    out = dict(kw)
    if "decoder_input_ids" in out:
        out["decoder_input_ids"] = torch.tensor(out["decoder_input_ids"], dtype=torch.long)
    return out


def run_case(model, pixel_values, kw, opts, tokenizer, dtype=torch.float32):
    gc_backup = model.generation_config
    if "model_config" in opts:
        model.generation_config = GenerationConfig.from_dict({**gc_backup.to_dict(), **opts["model_config"]})
    try:
        kwargs = to_kwargs(kw)
        if opts.get("tokenizer"):
            kwargs["tokenizer"] = tokenizer
        if "custom_processors" in opts:
            kwargs["logits_processor"] = lp.LogitsProcessorList(make_custom(c, a) for c, a in opts["custom_processors"])
        if "custom_criteria" in opts:
            kwargs["stopping_criteria"] = sc.StoppingCriteriaList(make_custom(c, a) for c, a in opts["custom_criteria"])
        if kw.get("do_sample"):
            torch.manual_seed(0)
        with torch.no_grad():
            return model.generate(pixel_values.to(dtype), **kwargs)
    finally:
        model.generation_config = gc_backup


def make_custom(cls: str, args: dict):
    for module, suffixes in ((lp, ("LogitsProcessor", "LogitsWarper", "")), (sc, ("Criteria",))):
        for suffix in suffixes:
            if hasattr(module, cls + suffix):
                return getattr(module, cls + suffix)(**args)
    raise KeyError(cls)


def describe(out):
    if isinstance(out, torch.Tensor):
        return dict(sequences=out.tolist())
    d = dict(sequences=out.sequences.tolist())
    if getattr(out, "sequences_scores", None) is not None:
        d["sequences_scores"] = [float(x) for x in out.sequences_scores.float().tolist()]
    if getattr(out, "beam_indices", None) is not None:
        d["beam_indices"] = out.beam_indices.tolist()
    return d


def record_all(seed: int, check_only: bool):
    models = load_models(seed)
    tokenizer = AutoTokenizer.from_pretrained(MODELS / "vit-gpt2-a")
    pixels = {name: inputs_for(name) for name in models}
    records, tensors, fragile = [], {}, []
    for name, model_name, kw, opts in v16_cases() + model_a_cases() + model_b_cases():
        model = models[model_name]
        rec = dict(name=name, model=model_name, kwargs=json.loads(json.dumps(kw)))
        for key in ("model_config", "custom_processors", "custom_criteria"):
            if key in opts:
                rec[key] = opts[key]
        try:
            out = run_case(model, pixels[model_name], kw, opts, tokenizer)
        except Exception as e:  # noqa: BLE001
            rec["error"] = dict(type=type(e).__name__, message=str(e))
            records.append(rec)
            continue
        if name.startswith("error-"):
            raise RuntimeError(f"{name}: Python did not raise")
        rec.update(describe(out))
        is_sampling = kw.get("do_sample") and kw.get("top_k") != 1
        if is_sampling:
            # The sampled ids depend on torch's RNG; only the first step's processed scores are
            # deterministic (they depend on the prompt alone).
            rec.pop("sequences")
            rec.pop("beam_indices", None)
            rec.pop("sequences_scores", None)
        scores = getattr(out, "scores", None)
        if scores is not None and (opts.get("record_scores") or opts.get("step0_scores")):
            stacked = torch.stack(scores[:1] if opts.get("step0_scores") else scores, dim=0).float().contiguous()
            tensors[name] = stacked
            rec["scores"] = name
        # float64 re-run: the ids (and beam scores) must not depend on float noise
        if not is_sampling:
            model.double()
            try:
                out64 = run_case(model, pixels[model_name], kw, opts, tokenizer, dtype=torch.float64)
            finally:
                model.float()
            d64 = describe(out64)
            if d64["sequences"] != rec["sequences"]:
                fragile.append(f"{name}: ids differ in float64")
            if "sequences_scores" in rec:
                diff = max(abs(a - b) for a, b in zip(rec["sequences_scores"], d64["sequences_scores"]))
                if diff > 1e-5:
                    fragile.append(f"{name}: sequences_scores differ by {diff:.2e} in float64")
        records.append(rec)
    if check_only:
        return fragile, None, None, models
    return fragile, records, tensors, models


# --------------------------------------------------------------------------------------------
# Processor unit cases on synthetic scores
# --------------------------------------------------------------------------------------------


def processor_cases():
    g = torch.Generator().manual_seed(7)
    V = 40
    scores = torch.randn(4, V, generator=g) * 3.0
    scores[0, 5] = scores[0, 6]  # a tie
    scores[1, 7] = -float("inf")
    scores[2, :] = scores[2, :] * 0.05  # a flat row
    scores[3, 11] = 12.0  # a peaked row
    logprobs = torch.log_softmax(scores.masked_fill(torch.isinf(scores), -1e4), dim=-1)
    ids = torch.tensor(
        [[14, 5, 6, 5, 6, 7], [14, 3, 3, 3, 9, 3], [14, 0, 1, 0, 1, 0], [2, 11, 11, 39, 11, 12]], dtype=torch.long
    )
    eos = [5, 11]
    C = []

    def add(name, cls, args, proc, inputs=scores):
        C.append((name, cls, args, proc, inputs))

    add("repetition-1.5", "RepetitionPenalty", dict(penalty=1.5), lp.RepetitionPenaltyLogitsProcessor(1.5))
    add("repetition-0.5-logprobs", "RepetitionPenalty", dict(penalty=0.5), lp.RepetitionPenaltyLogitsProcessor(0.5), logprobs)
    for n in (1, 2, 3, 6, 7):
        add(f"no-repeat-{n}", "NoRepeatNGram", dict(ngram_size=n), lp.NoRepeatNGramLogitsProcessor(n))
    bw = [[3], [5], [6, 5], [0, 1, 0], [11, 12, 13]]
    add("bad-words", "NoBadWords", dict(bad_words_ids=bw, eos_token_id=eos), lp.NoBadWordsLogitsProcessor(bw, eos))
    add("bad-words-no-eos", "NoBadWords", dict(bad_words_ids=bw), lp.NoBadWordsLogitsProcessor(bw))
    sb = [[[3], -2.5], [[6, 5], 4.0], [[1, 0], 1.5], [[0], 0.25], [[12, 11, 39, 11, 12, 7], 9.0]]
    add("sequence-bias", "SequenceBias", dict(sequence_bias=sb), lp.SequenceBiasLogitsProcessor(sb))
    add("min-length-7", "MinLength", dict(min_length=7, eos_token_id=eos), lp.MinLengthLogitsProcessor(7, eos))
    add("min-length-6", "MinLength", dict(min_length=6, eos_token_id=eos), lp.MinLengthLogitsProcessor(6, eos))
    add("min-new-tokens", "MinNewTokensLength", dict(prompt_length_to_skip=2, min_new_tokens=5, eos_token_id=eos), lp.MinNewTokensLengthLogitsProcessor(2, 5, eos))
    add("min-new-tokens-done", "MinNewTokensLength", dict(prompt_length_to_skip=2, min_new_tokens=4, eos_token_id=eos), lp.MinNewTokensLengthLogitsProcessor(2, 4, eos))
    add("forced-bos-inactive", "ForcedBOSToken", dict(bos_token_id=9), lp.ForcedBOSTokenLogitsProcessor(9))
    add("forced-bos", "ForcedBOSToken", dict(bos_token_id=9), lp.ForcedBOSTokenLogitsProcessor(9), scores)
    add("forced-eos", "ForcedEOSToken", dict(max_length=7, eos_token_id=eos), lp.ForcedEOSTokenLogitsProcessor(7, eos))
    add("forced-eos-inactive", "ForcedEOSToken", dict(max_length=9, eos_token_id=eos), lp.ForcedEOSTokenLogitsProcessor(9, eos))
    weird = scores.clone()
    weird[0, 0] = float("nan")
    weird[1, 1] = float("inf")
    add("inf-nan-remove", "InfNanRemove", dict(), lp.InfNanRemoveLogitsProcessor(), weird)
    add("exp-decay", "ExponentialDecayLengthPenalty", dict(exponential_decay_length_penalty=[2, 1.7], eos_token_id=eos, input_ids_seq_length=1), lp.ExponentialDecayLengthPenalty((2, 1.7), eos, 1))
    add("exp-decay-inactive", "ExponentialDecayLengthPenalty", dict(exponential_decay_length_penalty=[5, 1.7], eos_token_id=eos, input_ids_seq_length=1), lp.ExponentialDecayLengthPenalty((5, 1.7), eos, 1))
    add("suppress", "SuppressTokens", dict(suppress_tokens=[0, 5, 39]), lp.SuppressTokensLogitsProcessor([0, 5, 39]))
    add("suppress-at-begin", "SuppressTokensAtBegin", dict(begin_suppress_tokens=[0, 5], begin_index=6), lp.SuppressTokensAtBeginLogitsProcessor([0, 5], 6))
    add("suppress-at-begin-inactive", "SuppressTokensAtBegin", dict(begin_suppress_tokens=[0, 5], begin_index=2), lp.SuppressTokensAtBeginLogitsProcessor([0, 5], 2))
    add("logit-normalization", "LogitNormalization", dict(), lp.LogitNormalization())
    # warpers
    for t in (0.5, 1.7):
        add(f"temperature-{t}", "Temperature", dict(temperature=t), lp.TemperatureLogitsWarper(t))
    for k, keep in ((1, 1), (3, 1), (3, 5), (50, 1)):
        add(f"top-k-{k}-keep{keep}", "TopK", dict(top_k=k, min_tokens_to_keep=keep), lp.TopKLogitsWarper(k, min_tokens_to_keep=keep))
    for p, keep in ((0.0, 1), (0.3, 1), (0.8, 1), (0.95, 2), (1.0, 1)):
        add(f"top-p-{p}-keep{keep}", "TopP", dict(top_p=p, min_tokens_to_keep=keep), lp.TopPLogitsWarper(p, min_tokens_to_keep=keep))
    for m, keep in ((0.05, 1), (0.3, 1), (0.9, 3)):
        add(f"min-p-{m}-keep{keep}", "MinP", dict(min_p=m, min_tokens_to_keep=keep), lp.MinPLogitsWarper(m, min_tokens_to_keep=keep))
    for m, keep in ((0.2, 1), (0.9, 1), (0.5, 4)):
        add(f"typical-{m}-keep{keep}", "Typical", dict(mass=m, min_tokens_to_keep=keep), lp.TypicalLogitsWarper(m, min_tokens_to_keep=keep))
    for e, keep in ((0.02, 1), (0.2, 1), (0.5, 3)):
        add(f"epsilon-{e}-keep{keep}", "Epsilon", dict(epsilon=e, min_tokens_to_keep=keep), lp.EpsilonLogitsWarper(e, min_tokens_to_keep=keep))
    for e, keep in ((0.001, 1), (0.05, 1), (0.3, 2)):
        add(f"eta-{e}-keep{keep}", "Eta", dict(epsilon=e, min_tokens_to_keep=keep), lp.EtaLogitsWarper(e, min_tokens_to_keep=keep))
    for h in (0.2, 0.6, 0.9):
        add(f"top-h-{h}", "TopH", dict(top_h=h), lp.TopHLogitsWarper(h))
    return C, ids


def record_processors():
    cases, ids = processor_cases()
    meta, tensors = [], {}
    inputs_seen: list[torch.Tensor] = []
    for name, cls, args, proc, inputs in cases:
        use_ids = ids[:, :1] if name == "forced-bos" else ids
        before = inputs.clone()
        out = proc(use_ids, inputs)
        assert torch.equal(before.nan_to_num(), inputs.nan_to_num()), f"{name} mutated its input"
        key = next((i for i, t in enumerate(inputs_seen) if t is inputs), None)
        if key is None:
            inputs_seen.append(inputs)
            key = len(inputs_seen) - 1
            tensors[f"inputs/{key}"] = inputs.float().clone().contiguous()
        tensors[f"{name}/expected"] = out.float().clone().contiguous()
        meta.append(dict(name=name, processor=cls, args=args, input_ids_length=int(use_ids.shape[1]), scores=f"inputs/{key}"))
    return meta, tensors


def random_vectors():
    """Test vectors of ved's sampling PRNG (packages/generation/src/random.ts), from this independent
    Python implementation: SplitMix64 seeding, xoshiro128** 1.1, 53-bit doubles."""
    M64, M32 = (1 << 64) - 1, (1 << 32) - 1

    def gen(seed):
        state = seed

        def splitmix():
            nonlocal state
            state = (state + 0x9E3779B97F4A7C15) & M64
            z = state
            z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & M64
            z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & M64
            return z ^ (z >> 31)

        a, b = splitmix(), splitmix()
        s = [a & M32, a >> 32, b & M32, b >> 32]
        rotl = lambda x, k: ((x << k) | (x >> (32 - k))) & M32  # noqa: E731

        def nxt():
            result = (rotl((s[1] * 5) & M32, 7) * 9) & M32
            t = (s[1] << 9) & M32
            s[2] ^= s[0]
            s[3] ^= s[1]
            s[1] ^= s[2]
            s[0] ^= s[3]
            s[2] ^= t
            s[3] = rotl(s[3], 11)
            return result

        return nxt

    out = []
    for seed in (0, 1, 42, 2**32 + 7, 2**53 - 1):
        nxt = gen(seed)
        u32 = [nxt() for _ in range(8)]
        doubles = []
        for _ in range(4):
            a, b = nxt() >> 5, nxt() >> 6
            doubles.append((a * 67108864 + b) / 9007199254740992)
        out.append(dict(seed=seed, uint32=u32, doubles=doubles))
    return out


def topk_cases():
    """torch.topk on tie-heavy rows (-inf, -1e9, repeated values): beam search depends on its tie order."""
    g = torch.Generator().manual_seed(11)
    out = []
    for n in (3, 8, 17, 40, 64, 130, 200):
        for _ in range(3):
            choices = torch.tensor([-float("inf"), -1e9, 0.0, 1.0, 2.5, -3.0])
            vals = choices[torch.randint(0, len(choices), (n,), generator=g)]
            for k in sorted({1, 2, min(n, 5), min(n, 10), max(1, n // 64), max(1, n // 3), n}):
                out.append(dict(values=[v if math.isfinite(v) else None for v in vals.tolist()], k=k, indices=torch.topk(vals, k).indices.tolist()))
    return out


# --------------------------------------------------------------------------------------------
# GenerationConfig.from_model_config on config.json dicts (no generation_config.json)
# --------------------------------------------------------------------------------------------


def layering_cases():
    legacy = {
        "model_type": "vision-encoder-decoder",
        "max_length": 32,
        "num_beams": 4,
        "early_stopping": True,
        "no_repeat_ngram_size": 3,
        "length_penalty": 2.0,
        "decoder_start_token_id": 2,
        "pad_token_id": None,
        "encoder": {"model_type": "vit", "max_length": 99},
        "decoder": {"model_type": "gpt2", "bos_token_id": 0, "eos_token_id": 2, "pad_token_id": 1, "num_beams": 7, "max_length": 50, "use_cache": True},
    }
    bart = {
        "model_type": "vision-encoder-decoder",
        "encoder": {"model_type": "vit"},
        "decoder": {"model_type": "bart", "bos_token_id": 0, "eos_token_id": 2, "pad_token_id": 1, "decoder_start_token_id": 2, "forced_eos_token_id": 2, "forced_bos_token_id": None},
    }
    top_wins = {
        "model_type": "vision-encoder-decoder",
        "pad_token_id": 5,
        "eos_token_id": [6, 7],
        "top_k": 0,
        "do_sample": False,
        "output_scores": True,
        "encoder": {"model_type": "vit"},
        "decoder": {"model_type": "gpt2", "pad_token_id": 1, "eos_token_id": 2, "bos_token_id": 3, "do_sample": True, "top_k": 10, "temperature": 0.5},
    }
    out = []
    for name, d in (("legacy", legacy), ("bart-decoder", bart), ("top-level-wins", top_wins)):
        gc = GenerationConfig.from_model_config(json.loads(json.dumps(d)))
        got = {k: v for k, v in gc.to_dict().items() if v is not None and not k.startswith("_") and k != "transformers_version"}
        out.append(dict(name=name, config=d, generation_config=got))
    return out


# --------------------------------------------------------------------------------------------


def main() -> int:
    chosen = None
    for seed in SEED_CANDIDATES:
        fragile, records, tensors, models = record_all(seed, check_only=False)
        if not fragile:
            chosen = seed
            break
        print(f"seed {seed}: {len(fragile)} fragile cases: " + "; ".join(fragile[:6]), file=sys.stderr)
    if chosen is None:
        raise RuntimeError("no robust v16 seed")

    if OUT.exists():
        shutil.rmtree(OUT)
    OUT.mkdir(parents=True)
    models["v16"].save_pretrained(OUT / "model-v16", safe_serialization=True)
    save_file({"pixel_values": inputs_for("v16").contiguous()}, str(OUT / "inputs.safetensors"), metadata={"format": "pt"})
    save_file(tensors, str(OUT / "scores.safetensors"), metadata={"format": "pt"})
    meta = dict(
        seed=chosen,
        v16=dict(decoder_start_token_id=V16_START, eos_token_id=V16_EOS, pad_token_id=V16_PAD, pixel_values="inputs.safetensors"),
        note="kwargs are Python's generate() keyword arguments (snake_case); null means an explicit None.",
        cases=records,
    )
    (OUT / "cases.json").write_text(mf.dump_json(meta))

    pmeta, ptensors = record_processors()
    ids = processor_cases()[1].tolist()
    (OUT / "processors.json").write_text(mf.dump_json(dict(input_ids=ids, cases=pmeta)))
    save_file(ptensors, str(OUT / "processors.safetensors"), metadata={"format": "pt"})
    (OUT / "config-layering.json").write_text(mf.dump_json(dict(cases=layering_cases())))
    (OUT / "random.json").write_text(mf.dump_json(dict(cases=random_vectors())))
    (OUT / "topk.json").write_text(json.dumps(dict(note="values: null is -inf", cases=topk_cases()), separators=(",", ":")))

    n_err = sum(1 for r in records if "error" in r)
    total = sum(p.stat().st_size for p in OUT.rglob("*") if p.is_file())
    print(f"v16 seed {chosen}: {len(records)} cases ({n_err} errors), {len(pmeta)} processor cases, {total / 1024:.1f} KiB")
    for r in records:
        if r["model"] == "v16" and r["name"] in ("greedy", "beam-3-lp1-esFalse", "beam-3-lp1-esTrue"):
            print(" ", r["name"], r["sequences"], r.get("sequences_scores"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
