#!/usr/bin/env python
"""Fixtures for ved's gradients: tiny composed VisionEncoderDecoder models (every encoder family and
every decoder family at least once, one with `enc_to_dec_proj`, tied and untied LM heads), a small
batch whose labels are padded with -100 (at the end of one row, inside the other), and what torch autograd gives in eval mode: the loss of
`VisionEncoderDecoderModel(pixel_values=..., labels=...)` and the gradient of every parameter after
`loss.backward()`.

Run from anywhere:  .venv-ref/bin/python tools/reference/make_training_fixtures.py

Writes fixtures/training/<name>/
  config.json, generation_config.json, model.safetensors   (save_pretrained output)
  reference.json         loss, token count, labels, decoder_input_ids, the names of parameters
                          without a gradient, and torch's float32-vs-float64 gradient spread
  reference.safetensors  pixel_values and "grad.<saved name>" for every parameter with a gradient

Every parameter is redrawn (seeded) before saving, so zero-initialised tensors (biases, tokens,
position tables) carry gradients through nonzero paths, and each saved tensor can be matched to its
torch parameter by value (5.18 saves legacy names that differ from the module paths).
"""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

# make_fixtures sets the offline environment, deterministic torch and quiet logging on import.
from make_fixtures import dump_json  # noqa: E402

import torch  # noqa: E402
from safetensors import safe_open  # noqa: E402
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
)

ROOT = Path(__file__).resolve().parents[2]
OUT_DIR = ROOT / "fixtures" / "training"

VOCAB = 40
BATCH = 2
LENGTH = 5

# Encoders: 8x8 images (16x16 for Swin's two stages), 1-2 layers, widths 8-16.
VIT = dict(image_size=8, patch_size=4, hidden_size=12, num_attention_heads=2, num_hidden_layers=1, intermediate_size=16)
DEIT = dict(image_size=8, patch_size=4, hidden_size=12, num_attention_heads=3, num_hidden_layers=1, intermediate_size=10, hidden_act="gelu_new")
BEIT = dict(
    image_size=8,
    patch_size=4,
    hidden_size=12,
    num_attention_heads=2,
    num_hidden_layers=2,
    intermediate_size=16,
    use_relative_position_bias=True,
    use_absolute_position_embeddings=True,
    layer_scale_init_value=0.1,
    use_mean_pooling=True,
)
SWIN = dict(image_size=8, patch_size=2, num_channels=3, embed_dim=8, depths=[2, 1], num_heads=[2, 2], window_size=2, mlp_ratio=1.5)

# Decoders: vocab 40, 1-2 layers, widths 12-16.
GPT2 = dict(vocab_size=VOCAB, n_positions=12, n_embd=12, n_layer=1, n_head=2, n_inner=16, bos_token_id=1, eos_token_id=2, pad_token_id=0)
TROCR = dict(
    vocab_size=VOCAB,
    d_model=16,
    decoder_layers=1,
    decoder_attention_heads=2,
    decoder_ffn_dim=12,
    max_position_embeddings=12,
    activation_function="relu",
    scale_embedding=True,
    layernorm_embedding=True,
    tie_word_embeddings=False,
    pad_token_id=1,
    bos_token_id=0,
    eos_token_id=2,
    decoder_start_token_id=2,
)
BERT = dict(vocab_size=VOCAB, hidden_size=16, num_hidden_layers=1, num_attention_heads=2, intermediate_size=12, max_position_embeddings=12, pad_token_id=0)
BART = dict(
    vocab_size=VOCAB,
    d_model=16,
    decoder_layers=2,
    decoder_attention_heads=2,
    decoder_ffn_dim=12,
    encoder_layers=2,  # 5.18 sizes BART's cache by encoder_layers
    encoder_attention_heads=2,
    encoder_ffn_dim=12,
    max_position_embeddings=12,
    scale_embedding=True,
    pad_token_id=1,
    bos_token_id=0,
    eos_token_id=2,
    decoder_start_token_id=2,
)
ROBERTA = dict(vocab_size=VOCAB, hidden_size=12, num_hidden_layers=1, num_attention_heads=2, intermediate_size=12, max_position_embeddings=14, pad_token_id=1, hidden_act="gelu_new")

SPECS = [
    # name, encoder config, decoder config, decoder start, pad
    ("vit-gpt2", ViTConfig(**VIT), GPT2Config(**GPT2, add_cross_attention=True), 1, 0),  # tied head
    ("deit-trocr", DeiTConfig(**DEIT), TrOCRConfig(**TROCR, cross_attention_hidden_size=12), 2, 1),  # untied head, no projection
    ("beit-bert", BeitConfig(**BEIT), BertConfig(**BERT, is_decoder=True, add_cross_attention=True), 2, 0),  # enc_to_dec_proj (12 -> 16)
    ("swin-bart", SwinConfig(**SWIN), BartConfig(**BART, is_decoder=True, add_cross_attention=True), 2, 1),
    ("donut-mbart", DonutSwinConfig(**SWIN), MBartConfig(**BART, is_decoder=True, add_cross_attention=True), 2, 1),
    ("vit-roberta", ViTConfig(**{**VIT, "qkv_bias": False, "hidden_size": 16, "num_attention_heads": 4}), RobertaConfig(**ROBERTA, is_decoder=True, add_cross_attention=True), 0, 1),
]


def redraw(model: torch.nn.Module, seed: int) -> None:
    """Every parameter redrawn: norms' weights around 1, everything else N(0, 0.3)."""
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, p in model.named_parameters():
            noise = torch.randn(p.shape, generator=g, dtype=p.dtype)
            is_norm_weight = p.dim() == 1 and ("norm" in name.lower() or name.endswith("ln_1.weight") or "ln_" in name) and name.endswith("weight")
            p.copy_(1 + 0.2 * noise if is_norm_weight else 0.3 * noise)


def batch(spec_seed: int, encoder_config, pad: int, start: int):
    g = torch.Generator().manual_seed(spec_seed)
    size = encoder_config.image_size
    pixel_values = torch.randn((BATCH, 3, size, size), generator=g)
    labels = torch.randint(3, VOCAB, (BATCH, LENGTH), generator=g)
    labels[1, 3:] = -100  # the second row is shorter
    # A masked token inside the first row (as fine-tuning masks a task prompt): the shifted decoder input
    # holds the pad id there, with scored tokens after it, so torch's nn.Embedding(padding_idx) backward
    # (no gradient from the pad lookups) shows in the word and RoBERTa's position tables.
    labels[0, 1] = -100
    labels[0, LENGTH - 1] = 2  # an eos at the end of the first row
    return pixel_values, labels


def grads_of(model: VisionEncoderDecoderModel, pixel_values, labels):
    model.zero_grad(set_to_none=True)
    out = model(pixel_values=pixel_values, labels=labels)
    out.loss.backward()
    return out.loss.detach(), {n: p.grad.detach().clone() for n, p in model.named_parameters() if p.grad is not None}


def build(index: int, name: str, enc, dec, start: int, pad: int) -> None:
    torch.manual_seed(index)
    config = VisionEncoderDecoderConfig.from_encoder_decoder_configs(enc, dec)
    config.decoder_start_token_id = start
    config.pad_token_id = pad
    model = VisionEncoderDecoderModel(config=config)
    redraw(model, 100 + index)
    model.eval()
    out = OUT_DIR / name
    if out.exists():
        shutil.rmtree(out)
    model.save_pretrained(out)
    # Reload what a user loads, and differentiate that model.
    model = VisionEncoderDecoderModel.from_pretrained(out)
    model.eval()
    pixel_values, labels = batch(200 + index, enc, pad, start)
    loss, grads = grads_of(model, pixel_values, labels)
    # torch's own float32 rounding, measured against float64: the spread any float32 implementation has.
    loss64, grads64 = grads_of(model.double(), pixel_values.double(), labels)
    spread = max(((grads[n].double() - grads64[n]).abs() / (grads64[n].abs() + 1e-6)).max().item() for n in grads)
    spread_tensor = max(((grads[n].double() - grads64[n]).abs().max() / grads64[n].abs().max()).item() for n in grads)
    model.float()

    saved = {}
    with safe_open(out / "model.safetensors", "pt") as f:
        for key in f.keys():
            saved[key] = f.get_tensor(key)
    params = dict(model.named_parameters())
    by_saved = {}
    for key, tensor in saved.items():
        if not tensor.is_floating_point():
            continue  # buffers such as DonutSwin's relative_position_index
        matches = [n for n, p in params.items() if p.shape == tensor.shape and torch.equal(p.detach(), tensor)]
        assert len(matches) == 1, (name, key, matches)
        by_saved[key] = matches[0]
    tensors = {"pixel_values": pixel_values.contiguous()}
    no_grad = []
    for key, param_name in sorted(by_saved.items()):
        if param_name in grads:
            tensors[f"grad.{key}"] = grads[param_name].contiguous()
        else:
            no_grad.append(key)
    save_file(tensors, out / "reference.safetensors")
    decoder_input_ids = model.prepare_decoder_input_ids_from_labels(labels)
    info = dict(
        loss=loss.item(),
        loss_float64=loss64.item(),
        tokens=int((labels != -100).sum()),
        labels=labels.tolist(),
        decoder_input_ids=decoder_input_ids.tolist(),
        no_grad=no_grad,
        torch_float32_gradient_spread=dict(elementwise=spread, of_tensor_max=spread_tensor),
        transformers=__import__("transformers").__version__,
        torch=torch.__version__,
    )
    (out / "reference.json").write_text(dump_json(info))
    size = sum(p.stat().st_size for p in out.iterdir())
    print(f"{name}: loss {loss.item():.6f}, {len(grads)} gradients, {len(no_grad)} without, torch fp32 spread {spread:.2e} elementwise, {spread_tensor:.2e} of max, {size / 1024:.0f} KB")


def main() -> None:
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    for index, (name, enc, dec, start, pad) in enumerate(SPECS):
        build(index, name, enc, dec, start, pad)


if __name__ == "__main__":
    main()
