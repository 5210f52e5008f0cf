#!/usr/bin/env python
"""Random-weight models of real size for ved's benchmark (bench/README.md), with their inputs and an
ONNX export in the layout transformers.js loads.

Run from anywhere (the bench runs it on first use):
  .venv-ref/bin/python bench/make_models.py [--out bench/.cache] [--models vit-gpt2,deit-trocr] [--force]

For each model it writes <out>/<name>/ (built in a temporary directory, renamed when complete):

  config.json, generation_config.json, model.safetensors   save_pretrained (seeded random init)
  tokenizer.json, tokenizer_config.json                    a WordLevel vocabulary of the right size
  preprocessor_config.json                                 ViTImageProcessor
  onnx/encoder_model.onnx                                  pixel_values -> last_hidden_state
  onnx/decoder_model_merged.onnx                           Optimum's merged decoder (use_cache_branch)
  inputs/pixel_values.bin                                  float32 [N, 3, H, W] of N synthetic images
  manifest.json                                            sizes, greedy top-2 margins, versions

Models (sizes of the published checkpoints, weights random):
  vit-gpt2    ViT-B/16 at 224 + GPT-2 small (124M, vocab 50257, n_positions 1024), as
              nlpconnect/vit-gpt2-image-captioning; GPT-2's cache named as transformers.js names it
              (cross-attention recomputed from encoder_hidden_states at every step, as the published
              Xenova/vit-gpt2-image-captioning export does).
  deit-trocr  a DeiT-small-sized encoder (hidden 384, 12 layers, 6 heads, image 384, patch 16) + the
              TrOCR-small decoder (d_model 256, 6 layers, 8 heads, ffn 1024, vocab 64044, learned
              positions, layernorm_embedding, scale_embedding), as microsoft/trocr-small-*; the cache
              in seq2seq form (cross keys/values computed at the first step, then fed back).

The decoders are initialised with a larger `initializer_range` than the default (GPT-2 0.05, TrOCR
0.1) so that every image gets its own caption, yet small enough that the network is not chaotic: with
0.3, PyTorch's own eager and sdpa attention already differ by 0.08-1.0 in the logits, and any
quantization rewrites most ids. The bench images are the 8 of 24 synthetic candidates whose greedy
decisions have the largest top-2 margins, so ids can be compared across runtimes; the manifest records
the margins and, as a yardstick of float noise, how far PyTorch's eager and default attention differ.
The ONNX graphs are made by tools/reference/make_onnx_fixtures.py's export functions
(torch.onnx.export, opset 17, ir_version 10) and checked here with onnxruntime against torch.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import sys
import time
import warnings
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
warnings.filterwarnings("ignore")

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools" / "reference"))

import numpy as np  # noqa: E402
import onnx  # noqa: E402
import torch  # noqa: E402
from PIL import Image  # noqa: E402
from tokenizers import Tokenizer, models, pre_tokenizers  # noqa: E402

import transformers  # noqa: E402
from transformers import (  # noqa: E402
    DeiTConfig,
    GPT2Config,
    PreTrainedTokenizerFast,
    TrOCRConfig,
    ViTConfig,
    VisionEncoderDecoderConfig,
    VisionEncoderDecoderModel,
    ViTImageProcessorPil,
)
from transformers.utils import logging as hf_logging  # noqa: E402

# Export helpers shared with the ONNX fixtures (read-only reuse). Importing it sets torch to one
# deterministic thread; model creation here may use both cores.
import make_onnx_fixtures as mof  # noqa: E402

hf_logging.set_verbosity_error()
hf_logging.disable_progress_bar()
torch.set_num_threads(max(1, min(2, os.cpu_count() or 1)))

NUM_IMAGES = 8
# The bench images are the NUM_IMAGES of this many candidates whose greedy decisions have the largest
# top-2 margins (ids robust to the float differences between runtimes).
CANDIDATE_IMAGES = 24
NEW_TOKENS = 20
# Bump when the models or inputs this script makes change: the bench rebuilds caches whose
# manifest records another version.
FORMAT_VERSION = 2

SPECS: dict[str, dict] = {
    "vit-gpt2": dict(
        encoder=("vit", dict(image_size=224, patch_size=16, hidden_size=768, num_hidden_layers=12, num_attention_heads=12, intermediate_size=3072)),
        decoder=(
            "gpt2",
            dict(vocab_size=50257, n_positions=1024, n_embd=768, n_layer=12, n_head=12, initializer_range=0.05),
        ),
        # GPT-2's <|endoftext|> is bos, eos and pad (as nlpconnect/vit-gpt2-image-captioning).
        specials=dict(start=50256, bos=50256, eos=50256, pad=50256),
        tokens={50256: "<|endoftext|>"},
        image_size=224,
        seed=1,
    ),
    "deit-trocr": dict(
        encoder=(
            "deit",
            dict(image_size=384, patch_size=16, hidden_size=384, num_hidden_layers=12, num_attention_heads=6, intermediate_size=1536, qkv_bias=True),
        ),
        decoder=(
            "trocr",
            dict(
                vocab_size=64044,
                d_model=256,
                decoder_layers=6,
                decoder_attention_heads=8,
                decoder_ffn_dim=1024,
                max_position_embeddings=512,
                activation_function="relu",
                use_learned_position_embeddings=True,
                layernorm_embedding=True,
                scale_embedding=True,
                cross_attention_hidden_size=384,
                init_std=0.1,
            ),
        ),
        # RoBERTa-style specials, as microsoft/trocr-small-*: <s>=0 <pad>=1 </s>=2 <unk>=3, start = </s>.
        specials=dict(start=2, bos=0, eos=2, pad=1),
        tokens={0: "<s>", 1: "<pad>", 2: "</s>", 3: "<unk>"},
        image_size=384,
        seed=2,
    ),
}

ENCODER_CONFIGS = {"vit": ViTConfig, "deit": DeiTConfig}
DECODER_CONFIGS = {"gpt2": GPT2Config, "trocr": TrOCRConfig}


def script_digest() -> str:
    h = hashlib.sha256()
    for p in (Path(__file__), ROOT / "tools" / "reference" / "make_onnx_fixtures.py"):
        h.update(p.read_bytes())
    return h.hexdigest()[:16]


# --------------------------------------------------------------------------------------------
# Model, tokenizer, processor, inputs
# --------------------------------------------------------------------------------------------


def build_model(spec: dict) -> VisionEncoderDecoderModel:
    enc_type, enc_kw = spec["encoder"]
    dec_type, dec_kw = spec["decoder"]
    s = spec["specials"]
    enc_cfg = ENCODER_CONFIGS[enc_type](**enc_kw)
    dec_cfg = DECODER_CONFIGS[dec_type](**dec_kw, bos_token_id=s["bos"], eos_token_id=s["eos"], pad_token_id=s["pad"], decoder_start_token_id=s["start"])
    cfg = VisionEncoderDecoderConfig.from_encoder_decoder_configs(enc_cfg, dec_cfg)
    torch.manual_seed(spec["seed"])
    model = VisionEncoderDecoderModel(cfg).eval()
    for c in (model.config, model.generation_config):
        c.decoder_start_token_id = s["start"]
        c.eos_token_id = s["eos"]
        c.pad_token_id = s["pad"]
    model.generation_config.bos_token_id = s["bos"]
    return model


def build_tokenizer(spec: dict) -> PreTrainedTokenizerFast:
    """A WordLevel vocabulary with exactly vocab_size entries: the special tokens at their ids, dummy
    words elsewhere. Only its size and special ids matter to the bench."""
    vocab_size = spec["decoder"][1]["vocab_size"]
    specials = spec["tokens"]
    vocab = {specials.get(i, f"w{i}"): i for i in range(vocab_size)}
    tok = Tokenizer(models.WordLevel(vocab=vocab, unk_token=specials.get(3, specials[spec["specials"]["eos"]])))
    tok.pre_tokenizer = pre_tokenizers.WhitespaceSplit()
    names = {k: specials[spec["specials"][k]] for k in ("bos", "eos", "pad")}
    return PreTrainedTokenizerFast(
        tokenizer_object=tok,
        bos_token=names["bos"],
        eos_token=names["eos"],
        pad_token=names["pad"],
        unk_token=specials.get(3, names["eos"]),
    )


def synthetic_images(n: int, seed: int) -> list[Image.Image]:
    """Smooth colour fields with noise and a few rectangles, of varied sizes (deterministic)."""
    rng = np.random.default_rng(seed)
    images = []
    for k in range(n):
        w, h = int(rng.integers(200, 640)), int(rng.integers(150, 480))
        y, x = np.mgrid[0:h, 0:w].astype(np.float64)
        u, v = x / (w - 1), y / (h - 1)
        chans = []
        for c in range(3):
            a, b, ph = rng.uniform(-1.5, 1.5, size=3)
            chans.append(0.5 + 0.25 * np.sin(2 * np.pi * (a * u + b * v) + ph * 3) + 0.2 * (u if c == k % 3 else v))
        img = np.stack(chans, axis=-1)
        for _ in range(int(rng.integers(2, 6))):
            x0, y0 = int(rng.integers(0, w - 20)), int(rng.integers(0, h - 20))
            img[y0 : y0 + int(rng.integers(10, h // 2)), x0 : x0 + int(rng.integers(10, w // 2))] = rng.uniform(0, 1, size=3)
        img = img * 255 + rng.normal(0, 8, size=img.shape)
        images.append(Image.fromarray(np.clip(np.rint(img), 0, 255).astype(np.uint8), "RGB"))
    return images


@torch.no_grad()
def greedy_margins(model, pixel_values: torch.Tensor) -> tuple[list[list[int]], list[float]]:
    """Greedy ids of NEW_TOKENS forced tokens (min_new_tokens = max_new_tokens) and, per row, the
    smallest top-2 margin of the processed scores over its steps."""
    out = model.generate(
        pixel_values,
        max_new_tokens=NEW_TOKENS,
        min_new_tokens=NEW_TOKENS,
        do_sample=False,
        num_beams=1,
        return_dict_in_generate=True,
        output_scores=True,
    )
    scores = torch.stack(out.scores, dim=1)
    finite = torch.where(torch.isfinite(scores), scores, torch.full_like(scores, -1e30))
    top2 = torch.topk(finite, 2, dim=-1).values
    return out.sequences.tolist(), (top2[..., 0] - top2[..., 1]).min(dim=-1).values.tolist()


@torch.no_grad()
def attention_noise(directory: Path, pixel_values: torch.Tensor, sequences: list[list[int]]) -> dict:
    """Teacher-forced logits on the greedy ids with transformers' default attention and with eager
    attention: their largest difference is the float noise to expect between runtimes."""
    ids = torch.tensor(sequences)[:, :-1]
    default = VisionEncoderDecoderModel.from_pretrained(directory).eval()
    a = default(pixel_values=pixel_values, decoder_input_ids=ids).logits
    del default
    eager = VisionEncoderDecoderModel.from_pretrained(directory, attn_implementation="eager").eval()
    b = eager(pixel_values=pixel_values, decoder_input_ids=ids).logits
    return {"max_abs_logit": float(a.abs().max()), "eager_vs_default_attention_max_abs_diff": float((a - b).abs().max())}


# --------------------------------------------------------------------------------------------
# ONNX export (transformers.js layout)
# --------------------------------------------------------------------------------------------


def export_onnx(model, pixel_values: torch.Tensor, onnx_dir: Path, start: int) -> dict:
    onnx_dir.mkdir(parents=True, exist_ok=True)
    style = mof.resolve_style(model, "auto")
    t0 = time.time()
    with torch.no_grad():
        hidden = model.encoder(pixel_values=pixel_values[:1]).last_hidden_state
    encoder = mof.export_encoder(model, pixel_values[:1])
    onnx.save(encoder, str(onnx_dir / "encoder_model.onnx"))
    del encoder
    no_past = mof.export_decoder(model, style, False, hidden, start)
    with_past = mof.export_decoder(model, style, True, hidden, start)
    merged = mof.merge_decoders(no_past, with_past)
    del no_past, with_past
    onnx.save(merged, str(onnx_dir / "decoder_model_merged.onnx"))
    del merged
    return {"cache_style": style, "opset": mof.OPSET, "ir_version": mof.IR_VERSION, "export_s": round(time.time() - t0, 1)}


def check_onnx(directory: Path, pixel_values: torch.Tensor, expected: list[list[int]], spec: dict) -> dict:
    """The export's greedy ids (onnxruntime, Python) for the first two images against torch's."""
    s = spec["specials"]
    runner = mof.OrtExport(directory, {}, "merged")
    # min_new_tokens is emulated by running without eos (every row runs NEW_TOKENS steps).
    ids, _ = runner.greedy(pixel_values[:2].numpy(), s["start"], None, s["pad"], NEW_TOKENS)
    want = [row[: len(ids[0])] for row in expected[:2]]
    if ids != want:
        raise RuntimeError(f"the ONNX export's greedy ids differ from torch's:\n  onnx  {ids}\n  torch {want}")
    return {"greedy_ids_equal_torch": True, "checked_images": 2}


# --------------------------------------------------------------------------------------------


def build(name: str, out_root: Path) -> None:
    spec = SPECS[name]
    final = out_root / name
    tmp = out_root / f".{name}.tmp"
    if tmp.exists():
        shutil.rmtree(tmp)
    tmp.mkdir(parents=True)
    t0 = time.time()
    print(f"[make_models] {name}: building the model (seed {spec['seed']})", flush=True)
    model = build_model(spec)
    model.save_pretrained(tmp, safe_serialization=True)
    build_tokenizer(spec).save_pretrained(tmp)
    size = spec["image_size"]
    processor = ViTImageProcessorPil(
        do_resize=True,
        size={"height": size, "width": size},
        resample=2,
        do_rescale=True,
        rescale_factor=1 / 255,
        do_normalize=True,
        image_mean=[0.5, 0.5, 0.5],
        image_std=[0.5, 0.5, 0.5],
    )
    processor.save_pretrained(tmp)
    del model

    # Everything below works from the saved files, as the runtimes will.
    model = VisionEncoderDecoderModel.from_pretrained(tmp).eval()
    candidates = processor(images=synthetic_images(CANDIDATE_IMAGES, spec["seed"]), return_tensors="pt")["pixel_values"]
    print(f"[make_models] {name}: greedy margins of {CANDIDATE_IMAGES} candidate images", flush=True)
    _, candidate_margins = greedy_margins(model, candidates)
    chosen = sorted(sorted(range(CANDIDATE_IMAGES), key=lambda i: -candidate_margins[i])[:NUM_IMAGES])
    pixel_values = candidates[chosen].contiguous()
    (tmp / "inputs").mkdir()
    pixel_values.numpy().astype("<f4").tofile(tmp / "inputs" / "pixel_values.bin")
    sequences, margins = greedy_margins(model, pixel_values)
    margin = min(margins)
    noise = attention_noise(tmp, pixel_values, sequences)

    print(f"[make_models] {name}: ONNX export (torch.onnx.export) into onnx/", flush=True)
    export = export_onnx(model, pixel_values, tmp / "onnx", spec["specials"]["start"])
    check = check_onnx(tmp, pixel_values, sequences, spec)

    params = sum(p.numel() for p in model.parameters())
    manifest = {
        "name": name,
        "format_version": FORMAT_VERSION,
        "script_digest": script_digest(),
        "encoder": {"model_type": spec["encoder"][0], **spec["encoder"][1]},
        "decoder": {"model_type": spec["decoder"][0], **spec["decoder"][1]},
        "specials": spec["specials"],
        "parameters": params,
        "safetensors_bytes": (tmp / "model.safetensors").stat().st_size,
        "onnx_bytes": {p.name: p.stat().st_size for p in sorted((tmp / "onnx").glob("*.onnx"))},
        "inputs": {"file": "inputs/pixel_values.bin", "dtype": "float32", "shape": list(pixel_values.shape)},
        "new_tokens": NEW_TOKENS,
        "images": {"candidates": CANDIDATE_IMAGES, "chosen": chosen, "seed": spec["seed"]},
        "torch_greedy": {"sequences": sequences, "min_top2_margin": margin, "row_min_top2_margins": margins},
        "float_noise": noise,
        "onnx_export": {**export, **check},
        "versions": {"transformers": transformers.__version__, "torch": torch.__version__, "onnx": onnx.__version__, "onnxruntime": mof.ort.__version__},
        "build_s": None,
    }
    manifest["build_s"] = round(time.time() - t0, 1)
    (tmp / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n")
    if final.exists():
        shutil.rmtree(final)
    tmp.rename(final)
    print(f"[make_models] {name}: {params / 1e6:.1f}M parameters, min greedy top-2 margin {margin:.3g}, eager vs default attention {noise['eager_vs_default_attention_max_abs_diff']:.2g} (max |logit| {noise['max_abs_logit']:.3g}), {manifest['build_s']} s -> {final}", flush=True)


def is_complete(directory: Path) -> bool:
    m = directory / "manifest.json"
    if not m.exists():
        return False
    try:
        return json.loads(m.read_text()).get("format_version") == FORMAT_VERSION
    except json.JSONDecodeError:
        return False


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / ".cache")
    parser.add_argument("--models", default=",".join(SPECS), help=f"comma-separated, from {', '.join(SPECS)}")
    parser.add_argument("--force", action="store_true", help="rebuild even when complete")
    args = parser.parse_args()
    names = [n for n in args.models.split(",") if n]
    unknown = [n for n in names if n not in SPECS]
    if unknown:
        print(f"unknown model(s) {', '.join(unknown)}; known: {', '.join(SPECS)}", file=sys.stderr)
        return 2
    for name in names:
        if not args.force and is_complete(args.out / name):
            print(f"[make_models] {name}: up to date in {args.out / name}")
            continue
        build(name, args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
