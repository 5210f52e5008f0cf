#!/usr/bin/env python
"""Fixtures for composing, initialising, the loss and saving (issue 6).

  .venv-ref/bin/python tools/reference/make_compose_fixtures.py            # sides, compose report, losses
  .venv-ref/bin/python tools/reference/make_compose_fixtures.py --ved-saved  # Python loads what ved saved

Writes
  fixtures/compose/sides/<name>/      plain encoder / decoder checkpoints (ViTModel, ViTForImageClassification,
                                      GPT2LMHeadModel, GPT2Model, BertLMHeadModel, BertModel)
  fixtures/compose/compose.json       per (encoder, decoder) pair: the weights Python reports missing and
                                      their mean/std after from_encoder_decoder_pretrained
  fixtures/compose/loss.json          loss of every VED fixture checkpoint for labels with -100 padding
  fixtures/compose/ved-saved/<case>/python.json   (--ved-saved) logits of what ved saved, loaded by Python
"""
from __future__ import annotations

import json
import os
import shutil
import sys
import warnings
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
warnings.filterwarnings("ignore")

import torch  # noqa: E402
from safetensors import safe_open  # noqa: E402
from transformers import (  # noqa: E402
    AutoConfig,
    AutoModel,
    AutoModelForCausalLM,
    BertConfig,
    BertLMHeadModel,
    BertModel,
    GPT2Config,
    GPT2LMHeadModel,
    GPT2Model,
    ViTConfig,
    ViTForImageClassification,
    ViTModel,
    VisionEncoderDecoderModel,
)
from transformers.utils import logging as hf_logging  # noqa: E402

hf_logging.set_verbosity_error()
torch.set_num_threads(1)

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "fixtures" / "compose"
SIDES = OUT / "sides"
TOKENIZER_FROM = ROOT / "fixtures" / "models" / "vit-gpt2-a"

VIT = dict(image_size=32, patch_size=8, hidden_size=36, num_hidden_layers=2, num_attention_heads=3, intermediate_size=37, initializer_range=0.1)
GPT2 = dict(n_embd=36, n_head=3, n_layer=2, n_positions=64, vocab_size=300, initializer_range=0.3, bos_token_id=298, eos_token_id=298, pad_token_id=299)
BERT = dict(hidden_size=24, num_hidden_layers=2, num_attention_heads=2, intermediate_size=30, vocab_size=300, max_position_embeddings=64, initializer_range=0.2, pad_token_id=299, bos_token_id=298, eos_token_id=298)


def save_side(name: str, model, copy_files=()):
    d = SIDES / name
    shutil.rmtree(d, ignore_errors=True)
    model.save_pretrained(d)
    for f in copy_files:
        shutil.copy(TOKENIZER_FROM / f, d / f)
    return d


def make_sides():
    torch.manual_seed(0)
    save_side("vit", ViTModel(ViTConfig(**VIT)), ["preprocessor_config.json"])
    torch.manual_seed(1)
    save_side("vit-cls", ViTForImageClassification(ViTConfig(**VIT, num_labels=3)), ["preprocessor_config.json"])
    torch.manual_seed(2)
    save_side("gpt2-lm", GPT2LMHeadModel(GPT2Config(**GPT2)), ["tokenizer.json", "tokenizer_config.json"])
    torch.manual_seed(3)
    save_side("gpt2-base", GPT2Model(GPT2Config(**GPT2)), ["tokenizer.json", "tokenizer_config.json"])
    torch.manual_seed(4)
    save_side("bert-lm", BertLMHeadModel(BertConfig(**BERT, is_decoder=True)), ["tokenizer.json", "tokenizer_config.json"])
    torch.manual_seed(5)
    save_side("bert-base", BertModel(BertConfig(**BERT)), ["tokenizer.json", "tokenizer_config.json"])


def loading_info(path: Path, causal: bool):
    """Missing/unexpected keys as Python's from_pretrained reports them for that side."""
    if causal:
        config = AutoConfig.from_pretrained(path)
        # Intended behaviour (spec 2.1): the decoder gets is_decoder and add_cross_attention.
        config.is_decoder = True
        config.add_cross_attention = True
        _, info = AutoModelForCausalLM.from_pretrained(path, config=config, output_loading_info=True)
    else:
        _, info = AutoModel.from_pretrained(path, output_loading_info=True)
    return sorted(info["missing_keys"]), sorted(info["unexpected_keys"])


PAIRS = [("vit", "gpt2-lm"), ("vit-cls", "gpt2-base"), ("vit", "bert-lm"), ("vit", "bert-base")]


def make_compose_report():
    report = {}
    for enc, dec in PAIRS:
        enc_missing, enc_unexpected = loading_info(SIDES / enc, causal=False)
        dec_missing, dec_unexpected = loading_info(SIDES / dec, causal=True)
        dc = AutoConfig.from_pretrained(SIDES / dec)
        dc.is_decoder = True
        dc.add_cross_attention = True
        torch.manual_seed(123)
        model = VisionEncoderDecoderModel.from_encoder_decoder_pretrained(str(SIDES / enc), str(SIDES / dec), decoder_config=dc)
        state = model.state_dict()
        missing = [f"encoder.{k}" for k in enc_missing] + [f"decoder.{k}" for k in dec_missing]
        stats = {}
        for k in missing:
            t = state[k].float()
            stats[k] = {"shape": list(t.shape), "mean": float(t.mean()), "std": float(t.std()) if t.numel() > 1 else 0.0}
        report[f"{enc}+{dec}"] = {
            "encoder": enc,
            "decoder": dec,
            "missing": missing,
            "unexpected": [f"encoder.{k}" for k in enc_unexpected] + [f"decoder.{k}" for k in dec_unexpected],
            "has_enc_to_dec_proj": model.enc_to_dec_proj is not None if hasattr(model, "enc_to_dec_proj") else False,
            "stats": stats,
        }
    (OUT / "compose.json").write_text(json.dumps(report, indent=1, sort_keys=True) + "\n")


def fixture_checkpoints():
    for group in ("models", "encoders", "decoders"):
        base = ROOT / "fixtures" / group
        if not base.exists():
            continue
        for d in sorted(base.iterdir()):
            if (d / "config.json").exists() and (d / "reference" / "reference.safetensors").exists():
                yield group, d


def make_losses():
    out = {}
    for group, d in fixture_checkpoints():
        model = VisionEncoderDecoderModel.from_pretrained(d).eval()
        dec = model.config.decoder
        if dec.model_type == "trocr" and not dec.use_learned_position_embeddings:
            # 5.18 leaves the sinusoidal table on the meta device after from_pretrained: recompute it.
            pos = model.decoder.model.decoder.embed_positions
            if pos.weights.is_meta:
                pos.weights = pos.get_embedding(pos.weights.shape[0], pos.embedding_dim, pos.padding_idx)
        ref = json.loads((d / "reference" / "reference.json").read_text())
        with safe_open(str(d / "reference" / "reference.safetensors"), "pt") as f:
            pixel_values = f.get_tensor("pixel_values")[:2]
        gen = model.generation_config
        start = model.config.decoder_start_token_id if getattr(model.config, "decoder_start_token_id", None) is not None else gen.decoder_start_token_id
        pad = model.config.pad_token_id if getattr(model.config, "pad_token_id", None) is not None else gen.pad_token_id
        if start is None or pad is None:
            continue
        model.config.decoder_start_token_id = start
        model.config.pad_token_id = pad
        # Decoder fixtures record teacher-forcing inputs; encoder fixtures only their greedy output.
        ids = [row[:7] for row in (ref.get("decoder_input_ids") or ref["greedy"]["sequences"])[:2]]
        if min(len(r) for r in ids) < 5:
            continue
        labels = [list(ids[0][1:]) + [-100, -100], list(ids[1][1:]) + [ids[1][2], ids[1][3]]]
        labels[0][2] = -100  # an ignored position inside a row too
        with torch.no_grad():
            result = model(pixel_values=pixel_values, labels=torch.tensor(labels))
        out[f"{group}/{d.name}"] = {
            "dir": str(d.relative_to(ROOT)),
            "labels": labels,
            "decoder_start_token_id": start,
            "pad_token_id": pad,
            "loss": float(result.loss),
        }
    (OUT / "loss.json").write_text(json.dumps(out, indent=1, sort_keys=True) + "\n")


def check_ved_saved():
    """Loads every checkpoint ved saved under fixtures/compose/ved-saved and records Python's logits."""
    base = OUT / "ved-saved"
    ref = ROOT / "fixtures" / "models" / "vit-gpt2-a" / "reference"
    with safe_open(str(ref / "reference.safetensors"), "pt") as f:
        pixel_values = f.get_tensor("pixel_values")[:2]
    ids = json.loads((ref / "reference.json").read_text())["decoder_input_ids"][:2]
    for d in sorted(p for p in base.iterdir() if (p / "config.json").exists()):
        model, info = VisionEncoderDecoderModel.from_pretrained(d, output_loading_info=True)
        model.eval()
        with torch.no_grad():
            logits = model(pixel_values=pixel_values, decoder_input_ids=torch.tensor(ids)).logits
        (d / "python.json").write_text(
            json.dumps(
                {
                    "missing_keys": sorted(info["missing_keys"]),
                    "unexpected_keys": sorted(info["unexpected_keys"]),
                    "mismatched_keys": sorted(str(k) for k in info["mismatched_keys"]),
                    "decoder_input_ids": ids,
                    "logits_shape": list(logits.shape),
                    "logits": [round(float(x), 7) for x in logits.flatten()],
                }
            )
            + "\n"
        )
        print("python loaded", d.name, "missing", info["missing_keys"], "unexpected", info["unexpected_keys"])


def main():
    if "--ved-saved" in sys.argv:
        check_ved_saved()
        return
    OUT.mkdir(parents=True, exist_ok=True)
    make_sides()
    make_compose_report()
    make_losses()
    print(json.dumps(json.loads((OUT / "compose.json").read_text()), indent=1)[:3000])
    print((OUT / "loss.json").read_text())


if __name__ == "__main__":
    main()
