"""Random-weight checkpoints of real size for the large-model bench (bench/src/large.ts).

  .venv-ref/bin/python bench/make_large_models.py [--out bench/.cache] [--models trocr-large,donut-base] [--force]

trocr-large: shaped like microsoft/trocr-large-printed (ViT-large at 384, patch 16, 24 layers, 1024 wide;
TrOCR decoder, d_model 1024, 12 layers, 16 heads, ffn 4096, vocab 50265): about 558M parameters, fp32
model.safetensors over 2 GB. donut-base: shaped like naver-clova-ix/donut-base (DonutSwin-B at 2560x1920,
window 10, depths 2-2-14-2; mBART decoder, d_model 1024, 4 layers, vocab 57525).

Each directory holds what save_pretrained writes, a generation_config.json and inputs/pixel_values.bin (one
synthetic image, float32 [1, 3, H, W]). Nothing here is committed: bench/.cache is git-ignored.
"""
from __future__ import annotations

import argparse
import json
import shutil
import time
from pathlib import Path

import numpy as np
import torch
from transformers import (
    DonutSwinConfig,
    MBartConfig,
    TrOCRConfig,
    VisionEncoderDecoderConfig,
    VisionEncoderDecoderModel,
    ViTConfig,
)

SPECS = {
    "trocr-large": {
        "encoder": ViTConfig(
            hidden_size=1024, num_hidden_layers=24, num_attention_heads=16, intermediate_size=4096,
            image_size=384, patch_size=16, qkv_bias=False,
        ),
        "decoder": TrOCRConfig(
            vocab_size=50265, d_model=1024, decoder_layers=12, decoder_attention_heads=16, decoder_ffn_dim=4096,
            max_position_embeddings=512, use_learned_position_embeddings=True, layernorm_embedding=True,
            scale_embedding=False, cross_attention_hidden_size=1024, activation_function="gelu",
            init_std=0.1, is_decoder=True, add_cross_attention=True,
        ),
        "image": (384, 384),
        "specials": {"decoder_start_token_id": 2, "pad_token_id": 1, "eos_token_id": 2},
    },
    "donut-base": {
        "encoder": DonutSwinConfig(
            image_size=[2560, 1920], patch_size=4, embed_dim=128, depths=[2, 2, 14, 2], num_heads=[4, 8, 16, 32],
            window_size=10,
        ),
        "decoder": MBartConfig(
            vocab_size=57525, d_model=1024, decoder_layers=4, decoder_attention_heads=16, decoder_ffn_dim=4096,
            max_position_embeddings=1536, scale_embedding=True, add_final_layer_norm=True, init_std=0.05,
            is_decoder=True, add_cross_attention=True, is_encoder_decoder=False,
        ),
        "image": (2560, 1920),
        "specials": {"decoder_start_token_id": 0, "pad_token_id": 1, "eos_token_id": 2},
    },
}


def build(name: str, out_root: Path) -> None:
    spec = SPECS[name]
    final = out_root / name
    tmp = out_root / f".{name}.tmp"
    if tmp.exists():
        shutil.rmtree(tmp)
    tmp.mkdir(parents=True)
    t0 = time.time()
    torch.manual_seed(0)
    config = VisionEncoderDecoderConfig.from_encoder_decoder_configs(spec["encoder"], spec["decoder"])
    for key, value in spec["specials"].items():
        setattr(config, key, value)
    model = VisionEncoderDecoderModel(config=config).eval()
    model.generation_config.decoder_start_token_id = spec["specials"]["decoder_start_token_id"]
    model.generation_config.pad_token_id = spec["specials"]["pad_token_id"]
    model.generation_config.eos_token_id = spec["specials"]["eos_token_id"]
    params = sum(p.numel() for p in model.parameters())
    print(f"[make_large_models] {name}: {params / 1e6:.1f}M parameters, saving", flush=True)
    model.save_pretrained(tmp, safe_serialization=True)
    h, w = spec["image"]
    g = torch.Generator().manual_seed(1)
    pixel_values = (torch.rand(1, 3, h, w, generator=g) * 2 - 1).numpy().astype("<f4")
    (tmp / "inputs").mkdir()
    pixel_values.tofile(tmp / "inputs" / "pixel_values.bin")
    weight_bytes = sum(p.stat().st_size for p in tmp.glob("*.safetensors"))
    manifest = {
        "name": name,
        "parameters": params,
        "safetensors_bytes": weight_bytes,
        "inputs": {"file": "inputs/pixel_values.bin", "dtype": "float32", "shape": [1, 3, h, w]},
        "specials": spec["specials"],
        "build_s": round(time.time() - t0, 1),
    }
    (tmp / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n")
    if final.exists():
        shutil.rmtree(final)
    tmp.rename(final)
    print(f"[make_large_models] {name}: {weight_bytes / 2**30:.2f} GiB of safetensors in {manifest['build_s']} s -> {final}", flush=True)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", type=Path, default=Path(__file__).parent / ".cache")
    parser.add_argument("--models", default=",".join(SPECS))
    parser.add_argument("--force", action="store_true")
    args = parser.parse_args()
    for name in args.models.split(","):
        if (args.out / name / "manifest.json").exists() and not args.force:
            print(f"[make_large_models] {name}: up to date in {args.out / name}")
            continue
        build(name, args.out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
