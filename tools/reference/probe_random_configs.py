#!/usr/bin/env python
"""Random architecture configs, for a differential run of ved against Python (not fixtures).

Draws N VisionEncoderDecoder models, each a random encoder (ViT, DeiT, BEiT, Swin, DonutSwin) with a
random decoder (GPT-2, BERT, RoBERTa, XLM-R, BART, mBART, TrOCR), every config field that changes the
forward pass drawn from the values transformers 5.18 accepts (activations, epsilons, biases, position
embeddings, scaling switches, tying, projections, sizes, channels). Every weight is re-drawn after
init (init leaves layer norms at one and biases at zero, which would hide a swapped or missing one).
For each model it records teacher-forced logits (in one pass and through the cache) and the loss for random pixel_values and labels.

Run:  .venv-ref/bin/python tools/reference/probe_random_configs.py OUT_DIR [N] [SEED]
      .venv-ref/bin/python tools/reference/probe_random_configs.py --check-saved OUT_DIR
        (after compare_random_configs.mjs OUT_DIR --save: Python loads what ved saved; see check_saved)
Writes OUT_DIR/<i>/ (save_pretrained output + reference.safetensors + reference.json) and
OUT_DIR/index.json (the drawn configs, and Python's refusals with their messages).
Compared by compare_random_configs.mjs (node, after pnpm build).
"""

from __future__ import annotations

import json
import os
import random
import sys
import traceback
import warnings
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
warnings.filterwarnings("ignore")

import torch  # noqa: E402
from safetensors.torch import save_file  # noqa: E402
from transformers import (  # noqa: E402
    BartConfig,
    BeitConfig,
    BertConfig,
    DeiTConfig,
    DonutSwinConfig,
    GPT2Config,
    MBartConfig,
    RobertaConfig,
    SwinConfig,
    TrOCRConfig,
    ViTConfig,
    VisionEncoderDecoderConfig,
    VisionEncoderDecoderModel,
    XLMRobertaConfig,
)
from transformers.utils import logging as hf_logging  # noqa: E402

hf_logging.set_verbosity_error()
torch.set_num_threads(1)

# transformers' ACT2CLS keys without parameters of their own (prelu and xielu hold weights).
ACTS = ["gelu", "gelu_10", "gelu_fast", "gelu_new", "gelu_python", "gelu_pytorch_tanh", "gelu_python_tanh",
        "gelu_accurate", "hardswish", "laplace", "leaky_relu", "linear", "mish", "quick_gelu", "relu", "relu2",
        "relu6", "sigmoid", "silu", "sqrtsoftplus", "swish", "tanh"]


def act(r: random.Random) -> str:
    return r.choice(ACTS)


def eps(r: random.Random) -> float:
    return r.choice([1e-12, 1e-6, 1e-5, 1e-3, 0.1])


def heads_width(r: random.Random) -> tuple[int, int]:
    heads = r.choice([1, 2, 3, 4])
    return heads, heads * r.choice([2, 3, 4, 6])


def image_size(r: random.Random, patch: int, ragged: bool = False):
    h, w = patch * r.randint(1, 5), patch * r.randint(1, 5)
    if ragged and r.random() < 0.3:  # not a multiple of the patch: the patch conv drops the rest
        h, w = h + r.randint(0, patch - 1), w + r.randint(0, patch - 1)
    return h if h == w and r.random() < 0.5 else [h, w]


def encoder(r: random.Random):
    kind = r.choice(["vit", "deit", "beit", "swin", "donut-swin"])
    channels = r.choice([1, 3, 3, 4])
    if kind in ("vit", "deit", "beit"):
        heads, width = heads_width(r)
        patch = r.choice([2, 3, 4, 5])
        kw = dict(hidden_size=width, num_attention_heads=heads, num_hidden_layers=r.randint(1, 3),
                  intermediate_size=r.choice([width, 2 * width + 1, 4 * width]), hidden_act=act(r),
                  layer_norm_eps=eps(r), patch_size=patch, image_size=image_size(r, patch, ragged=kind != "beit"), num_channels=channels)
        if kind != "beit":
            kw["qkv_bias"] = r.random() < 0.7
        else:
            # BeitEmbeddings.interpolate_pos_encoding assumes a square grid for absolute positions
            square = kw["image_size"] if isinstance(kw["image_size"], int) else kw["image_size"][0] == kw["image_size"][1]
            kw.update(use_absolute_position_embeddings=bool(square) and r.random() < 0.5, use_relative_position_bias=r.random() < 0.5,
                      use_shared_relative_position_bias=r.random() < 0.5, use_mean_pooling=r.random() < 0.5,
                      layer_scale_init_value=r.choice([0.0, 0.1, 1.0]), use_mask_token=r.random() < 0.3)
        cls = {"vit": ViTConfig, "deit": DeiTConfig, "beit": BeitConfig}[kind]
        return kind, cls(**kw)
    stages = r.randint(1, 3)
    heads = [r.choice([1, 2]) * (2 ** i) for i in range(stages)]
    patch = r.choice([1, 2, 3])
    kw = dict(embed_dim=r.choice([2, 4, 6]) * heads[0], depths=[r.randint(1, 2) for _ in range(stages)], num_heads=heads,
              window_size=r.choice([1, 2, 3, 4]), mlp_ratio=r.choice([1.0, 2.5, 4.0]), qkv_bias=r.random() < 0.7,
              use_absolute_embeddings=r.random() < 0.5, hidden_act=act(r), layer_norm_eps=eps(r), patch_size=patch,
              image_size=image_size(r, patch * 2 ** (stages - 1)), num_channels=channels)
    return kind, (SwinConfig if kind == "swin" else DonutSwinConfig)(**kw)


def decoder(r: random.Random, vocab: int, enc_width: int):
    kind = r.choice(["gpt2", "bert", "roberta", "xlm-roberta", "bart", "mbart", "trocr"])
    heads, width = heads_width(r)
    layers = r.randint(1, 3)
    tie = r.random() < 0.5
    if kind == "gpt2":
        return kind, GPT2Config(n_embd=width, n_head=heads, n_layer=layers, n_inner=r.choice([None, width + 3, 3 * width]),
                                activation_function=act(r), layer_norm_epsilon=eps(r), n_positions=16,
                                scale_attn_weights=r.random() < 0.8, scale_attn_by_inverse_layer_idx=r.random() < 0.4,
                                reorder_and_upcast_attn=r.random() < 0.4, tie_word_embeddings=tie, vocab_size=vocab,
                                bos_token_id=1, eos_token_id=2, pad_token_id=r.choice([None, 0]))
    if kind in ("bert", "roberta", "xlm-roberta"):
        cls = {"bert": BertConfig, "roberta": RobertaConfig, "xlm-roberta": XLMRobertaConfig}[kind]
        pad = r.choice([0, 1, 3])
        return kind, cls(hidden_size=width, num_attention_heads=heads, num_hidden_layers=layers,
                         intermediate_size=r.choice([width, 3 * width]), hidden_act=act(r), layer_norm_eps=eps(r),
                         max_position_embeddings=24, type_vocab_size=r.choice([1, 2]), tie_word_embeddings=tie,
                         vocab_size=vocab, pad_token_id=pad, bos_token_id=1, eos_token_id=2)
    if kind in ("bart", "mbart"):
        cls = BartConfig if kind == "bart" else MBartConfig
        # encoder_layers = decoder_layers: 5.18 sizes BartForCausalLM's cache by encoder_layers
        return kind, cls(d_model=width, decoder_layers=layers, decoder_attention_heads=heads, encoder_layers=layers,
                         encoder_attention_heads=heads, decoder_ffn_dim=r.choice([width, 3 * width]),
                         encoder_ffn_dim=width, activation_function=act(r), scale_embedding=r.random() < 0.5,
                         max_position_embeddings=24, tie_word_embeddings=tie, vocab_size=vocab,
                         pad_token_id=r.choice([0, 1]), bos_token_id=1, eos_token_id=2, decoder_start_token_id=2)
    cross = r.choice([None, None, enc_width])
    width = max(width, 4)  # TrOCRSinusoidalPositionalEmbedding divides by d_model/2 - 1
    return kind, TrOCRConfig(d_model=width, decoder_layers=layers, decoder_attention_heads=heads,
                             decoder_ffn_dim=r.choice([width, 3 * width]), activation_function=act(r),
                             scale_embedding=r.random() < 0.5, use_learned_position_embeddings=r.random() < 0.5,
                             layernorm_embedding=r.random() < 0.5, max_position_embeddings=24,
                             cross_attention_hidden_size=cross, tie_word_embeddings=tie, vocab_size=vocab,
                             pad_token_id=r.choice([0, 1]), bos_token_id=1, eos_token_id=2, decoder_start_token_id=2)


def encoder_width(cfg) -> int:
    if hasattr(cfg, "embed_dim"):
        return int(cfg.embed_dim * 2 ** (len(cfg.depths) - 1))
    return cfg.hidden_size


def gradients(model, d: Path, pixel_values, labels) -> dict:
    """`grad.<saved name>` and `grad64.<saved name>` of every parameter with a gradient (saved names are
    matched to parameters by value, as make_training_fixtures.py does: every weight is a distinct draw)."""
    from safetensors import safe_open

    def grads_of(m, pv):
        m.zero_grad(set_to_none=True)
        m(pixel_values=pv, labels=labels).loss.backward()
        return {n: p.grad.detach().clone() for n, p in m.named_parameters() if p.grad is not None}

    params = dict(model.named_parameters())
    by_saved = {}
    with safe_open(d / "model.safetensors", "pt") as f:
        for key in f.keys():
            t = f.get_tensor(key)
            if t.is_floating_point():
                matches = [n for n, p in params.items() if p.shape == t.shape and torch.equal(p.detach(), t)]
                if len(matches) == 1:
                    by_saved[key] = matches[0]
    g32 = grads_of(model, pixel_values)
    g64 = grads_of(model.double(), pixel_values.double())
    model.float()
    out = {}
    for key, name in by_saved.items():
        if name in g32:
            out[f"grad.{key}"] = g32[name].contiguous()
            out[f"grad64.{key}"] = g64[name].float().contiguous()
    return out


def interpolations(r: random.Random, model, kind: str, enc, tensors: dict) -> list[dict]:
    """ViT, DeiT and BEiT encoders at two other image sizes with `interpolate_pos_encoding=True`:
    `interp<k>.pixel_values` and `interp<k>.hidden` (the encoder's last_hidden_state), or Python's error."""
    if kind not in ("vit", "deit", "beit"):
        return []
    patch = enc.patch_size if isinstance(enc.patch_size, int) else enc.patch_size[0]
    cases = []
    for k in range(2):
        h, w = patch * r.randint(1, 7) + r.randint(0, patch - 1), patch * r.randint(1, 7) + r.randint(0, patch - 1)
        pv = torch.randn(1, enc.num_channels, h, w)
        case = {"height": h, "width": w}
        try:
            with torch.no_grad():
                hidden = model.encoder(pixel_values=pv, interpolate_pos_encoding=True).last_hidden_state
            tensors[f"interp{k}.pixel_values"] = pv.contiguous()
            tensors[f"interp{k}.hidden"] = hidden.contiguous()
        except Exception as e:  # noqa: BLE001
            case["error"] = f"{type(e).__name__}: {e}"[:200]
        cases.append(case)
    return cases


def draw(i: int, seed: int, out: Path) -> dict:
    r = random.Random(seed * 100003 + i)
    vocab = r.choice([7, 13, 40])
    entry: dict = {"index": i}
    try:
        enc_kind, enc = encoder(r)
        dec_kind, dec = decoder(r, vocab, encoder_width(enc))
        entry.update(encoder=enc_kind, decoder=dec_kind, encoder_config=enc.to_diff_dict(), decoder_config=dec.to_diff_dict())
        cfg = VisionEncoderDecoderConfig.from_encoder_decoder_configs(enc, dec)
        cfg.decoder_start_token_id = 2
        cfg.pad_token_id = 0
        torch.manual_seed(seed * 7919 + i)
        model = VisionEncoderDecoderModel(cfg).eval()
        with torch.no_grad():
            for name, p in model.named_parameters():
                base = 1.0 if name.endswith("norm.weight") or "layernorm" in name and name.endswith("weight") else 0.0
                p.copy_(base + torch.randn_like(p) * (0.3 if p.dim() > 1 else 0.2))
        d = out / str(i)
        model.save_pretrained(d)  # before running it: ved should refuse what Python cannot run
        entry["saved"] = True
        size = enc.image_size if isinstance(enc.image_size, (list, tuple)) else [enc.image_size] * 2
        rows, steps = 2, r.randint(1, 6)
        pixel_values = torch.randn(rows, enc.num_channels, *size)
        ids = torch.randint(0, vocab, (rows, steps))
        ids[:, 0] = 2
        labels = torch.randint(0, vocab, (rows, steps))
        labels[0, -1] = -100
        with torch.no_grad():
            logits = model(pixel_values=pixel_values, decoder_input_ids=ids).logits
            # one token at a time through the cache, as generate() runs (RoBERTa's and TrOCR's positions
            # count pads differently there: create_position_ids_from_input_ids with a past length)
            encoder_outputs = model.encoder(pixel_values=pixel_values)
            past, cached = None, []
            for t in range(steps):
                step = model(encoder_outputs=encoder_outputs, decoder_input_ids=ids[:, t:t + 1], past_key_values=past, use_cache=True)
                past = step.past_key_values
                cached.append(step.logits)
            cached = torch.cat(cached, dim=1)
            loss = model(pixel_values=pixel_values, labels=labels).loss
        tensors = {"pixel_values": pixel_values.contiguous(), "logits": logits.contiguous(), "cached_logits": cached.contiguous()}
        tensors.update(gradients(model, d, pixel_values, labels))
        interpolate = interpolations(r, model, enc_kind, enc, tensors)
        save_file(tensors, str(d / "reference.safetensors"))
        json.dump({"decoder_input_ids": ids.tolist(), "labels": labels.tolist(), "loss": float(loss), "interpolate": interpolate},
                  open(d / "reference.json", "w"))
        entry["ok"] = True
    except Exception as e:  # noqa: BLE001  (Python refusing a config is a result too)
        entry["ok"] = False
        entry["error"] = f"{type(e).__name__}: {e}"[:400]
        entry["trace"] = traceback.format_exc()[-600:]
    return entry


def check_saved(out: Path) -> int:
    """For each model ved saved: `<i>.ved-saved` (the model re-saved) loads in Python with no missing,
    unexpected or mismatched weight and gives the recorded logits within 1e-4; `<i>.ved-init` (a model ved
    initialised from the same configs) loads with none either and saves the tensors Python saves (names,
    shapes, dtypes)."""
    from safetensors import safe_open

    def tensors(path: Path) -> dict:
        with safe_open(path, "pt") as f:
            return {k: (tuple(f.get_slice(k).get_shape()), f.get_slice(k).get_dtype()) for k in f.keys()}

    index = json.load(open(out / "index.json"))
    problems, python_own, checked = [], [], 0
    for e in index:
        d = out / str(e["index"])
        saved = {name: out / f'{e["index"]}.{name}' for name in ("ved-saved", "ved-init")}
        if not e["ok"] or not saved["ved-saved"].exists():
            continue
        checked += 1
        tag = f'{e["index"]} {e["encoder"]}+{e["decoder"]}'
        for name in ("ved-saved", "ved-init"):
            model, info = VisionEncoderDecoderModel.from_pretrained(saved[name], output_loading_info=True)
            bad = {k: v for k, v in info.items() if v and k != "error_msgs"}
            if bad:
                problems.append(f"{tag} {name}: {bad}")
        expected, got = tensors(d / "model.safetensors"), tensors(saved["ved-init"] / "model.safetensors")
        if expected != got:
            diff = {k: (expected.get(k), got.get(k)) for k in set(expected) | set(got) if expected.get(k) != got.get(k)}
            problems.append(f"{tag} ved-init tensors differ: {dict(list(diff.items())[:4])}")
        ref = json.load(open(d / "reference.json"))
        with safe_open(d / "reference.safetensors", "pt") as f:
            pixel_values, logits = f.get_tensor("pixel_values"), f.get_tensor("logits")
        ids = torch.tensor(ref["decoder_input_ids"])
        try:  # 5.18 cannot run some checkpoints it saved itself (TrOCR's sinusoidal table stays on the meta device)
            with torch.no_grad():
                VisionEncoderDecoderModel.from_pretrained(d).eval()(pixel_values=pixel_values, decoder_input_ids=ids)
        except Exception as e:  # noqa: BLE001
            python_own.append(f"{tag}: {type(e).__name__}: {str(e)[:80]}")
            continue
        model = VisionEncoderDecoderModel.from_pretrained(saved["ved-saved"]).eval()
        with torch.no_grad():
            again = model(pixel_values=pixel_values, decoder_input_ids=ids).logits
        if (again - logits).abs().max().item() > 1e-4:
            problems.append(f"{tag} ved-saved logits off by {(again - logits).abs().max().item():.2e}")
    print(json.dumps({"checked": checked, "problems": problems, "python_cannot_run_its_own_save": python_own}, indent=1))
    return 0 if not problems else 1


def main() -> int:
    if sys.argv[1] == "--check-saved":
        return check_saved(Path(sys.argv[2]))
    out = Path(sys.argv[1])
    n = int(sys.argv[2]) if len(sys.argv) > 2 else 100
    seed = int(sys.argv[3]) if len(sys.argv) > 3 else 0
    out.mkdir(parents=True, exist_ok=True)
    index = [draw(i, seed, out) for i in range(n)]
    json.dump(index, open(out / "index.json", "w"), indent=1)
    print(f"{sum(e['ok'] for e in index)} of {n} built; refused: {sum(not e['ok'] for e in index)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
