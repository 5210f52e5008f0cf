#!/usr/bin/env python
"""Deterministic fixtures for ved: test images, two tiny random ViT+GPT-2
VisionEncoderDecoder checkpoints (with tokenizer + image processor) and the
expected outputs of transformers 5.18.0 (PIL image-processor backend).

Run from anywhere:  .venv-ref/bin/python tools/reference/make_fixtures.py

Writes
  fixtures/images/*.png|jpg
  fixtures/models/vit-gpt2-{a,b}/          save_pretrained output + tokenizer + preprocessor
  fixtures/models/vit-gpt2-{a,b}/reference/{reference.json,reference.safetensors}
"""

from __future__ import annotations

import json
import os
import re
import shutil
import sys
import warnings
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
warnings.filterwarnings("ignore")

import numpy as np  # noqa: E402
import torch  # noqa: E402
from PIL import Image  # noqa: E402
from safetensors import safe_open  # noqa: E402
from safetensors.torch import save_file  # noqa: E402
from tokenizers import Tokenizer, decoders, models, pre_tokenizers, processors, trainers  # noqa: E402

import transformers  # noqa: E402
from transformers import (  # noqa: E402
    AutoImageProcessor,
    AutoTokenizer,
    GPT2Config,
    PreTrainedTokenizerFast,
    ViTConfig,
    VisionEncoderDecoderConfig,
    VisionEncoderDecoderModel,
)
from transformers.utils import logging as hf_logging  # noqa: E402

# Helpers shared with @ved/testing's reference generator (its python/ folder), which ships them.
sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "packages" / "testing" / "python"))
from ved_reference import dump_json, eos_quality, finish_steps, manual_greedy, set_special_tokens  # noqa: E402,F401

hf_logging.set_verbosity_error()
hf_logging.disable_progress_bar()

ROOT = Path(__file__).resolve().parents[2]
IMAGES_DIR = ROOT / "fixtures" / "images"
MODELS_DIR = ROOT / "fixtures" / "models"

EXPECTED_VERSIONS = {"transformers": "5.18.0", "torch": "2.13.0+cpu"}
MIN_MARGIN = 1e-3  # required for the recorded greedy run (processed scores, all rows and steps)
SEARCH_MARGIN = 0.01  # seed search: stricter margin on the eos-free greedy trajectory

torch.use_deterministic_algorithms(True)
torch.set_num_threads(1)

# --------------------------------------------------------------------------------------------
# 1. Images
# --------------------------------------------------------------------------------------------


def _field(w: int, h: int, rng: np.random.Generator, phase: float) -> np.ndarray:
    """Smooth 2-D pattern in [0, 1], shape (h, w)."""
    y, x = np.mgrid[0:h, 0:w].astype(np.float64)
    u, v = x / max(w - 1, 1), y / max(h - 1, 1)
    f = 0.45 * u + 0.35 * v + 0.2 * (0.5 + 0.5 * np.sin(2 * np.pi * (1.3 * u - 0.8 * v) + phase))
    return f


def _to_u8(a: np.ndarray, rng: np.random.Generator, noise: float) -> np.ndarray:
    a = a * 255.0 + rng.normal(0.0, noise, size=a.shape)
    return np.clip(np.rint(a), 0, 255).astype(np.uint8)


def _rgb(w: int, h: int, seed: int, noise: float = 14.0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    chans = [_field(w, h, rng, phase) for phase in (0.0, 2.1, 4.2)]
    # make channels distinct: flip one horizontally, one vertically
    chans[1] = chans[1][:, ::-1]
    chans[2] = chans[2][::-1, :]
    return _to_u8(np.stack(chans, axis=-1), rng, noise)


def make_images() -> dict[str, Path]:
    IMAGES_DIR.mkdir(parents=True, exist_ok=True)
    out: dict[str, Path] = {}

    def save(name: str, img: Image.Image, **kw) -> None:
        p = IMAGES_DIR / name
        img.save(p, **kw)
        out[name] = p

    # names are <mode>_<width>x<height>
    save("rgb_40x30.png", Image.fromarray(_rgb(40, 30, 101), "RGB"), optimize=False)
    save("rgb_17x53.png", Image.fromarray(_rgb(17, 53, 102), "RGB"), optimize=False)
    save("rgb_64x20.png", Image.fromarray(_rgb(64, 20, 103, noise=22.0), "RGB"), optimize=False)

    rng = np.random.default_rng(104)
    gray = _to_u8(_field(25, 25, rng, 1.0), rng, 18.0)
    save("gray_25x25.png", Image.fromarray(gray, "L"), optimize=False)

    rgb = _rgb(33, 20, 105)
    rng = np.random.default_rng(106)
    y, x = np.mgrid[0:20, 0:33]
    alpha = np.clip(np.rint(255.0 * (x / 32.0) * (0.3 + 0.7 * y / 19.0) + rng.normal(0, 6, size=x.shape)), 0, 255)
    rgba = np.concatenate([rgb, alpha.astype(np.uint8)[..., None]], axis=-1)
    save("rgba_33x20.png", Image.fromarray(rgba, "RGBA"), optimize=False)

    # JPEG: PIL defaults (4:2:0 subsampling at quality 90), baseline
    save("rgb_48x36.jpg", Image.fromarray(_rgb(48, 36, 107, noise=10.0), "RGB"), quality=90)
    return out


def load_image(path: Path) -> Image.Image:
    img = Image.open(path)
    img.load()
    return img


# --------------------------------------------------------------------------------------------
# 2. Tokenizers
# --------------------------------------------------------------------------------------------

CORPUS = [
    "A photo of a small cat sitting on a red mat next to the window.",
    "Two dogs are running in the park with a yellow ball.",
    "A man is riding a bicycle down a busy street in the city.",
    "The kitchen has a white table, four chairs and a large window.",
    "A group of people standing on the beach at sunset.",
    "A plate of food with rice, vegetables and a piece of chicken.",
    "An old train is stopped at the station under a cloudy sky.",
    "A woman holding an umbrella while walking in the rain.",
    "The children are playing football on the green grass.",
    "A bird is standing on the branch of a tall tree.",
    "There is a clock on the wall above the door of the room.",
    "A red bus is driving on the road between the houses.",
    "Three horses are eating grass in a field near the mountains.",
    "A computer, a keyboard and a cup of coffee on the desk.",
    "The boat is floating on the calm water of the lake.",
    "A little girl is reading a book in the garden.",
]

TEACHER_TEXTS = [
    "A cat is sitting on the table in the kitchen.",
    "Two people are riding horses on the beach.",
    "The red train is stopped at the old station.",
    "A dog is playing with a ball in the garden.",
    "A bird on the branch of a tree near the lake.",
]

EOT, PAD = "<|endoftext|>", "<pad>"


def build_tokenizer(vocab_size: int, specials_first: bool, model_max_length: int) -> PreTrainedTokenizerFast:
    """Byte-level BPE (GPT-2 style) with exactly `vocab_size` entries incl. the 2 special tokens.

    specials_first=True : the trainer puts <|endoftext|>=0, <pad>=1 before the byte alphabet.
    specials_first=False: trained without specials, then both are appended (GPT-2 style, ids V-2, V-1).
    """
    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    tok.post_processor = processors.ByteLevel(trim_offsets=False)
    specials = [EOT, PAD]
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size if specials_first else vocab_size - len(specials),
        special_tokens=specials if specials_first else [],
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    tok.train_from_iterator(CORPUS, trainer=trainer)
    if not specials_first:
        tok.add_special_tokens(specials)
    n = tok.get_vocab_size(with_added_tokens=True)
    if n != vocab_size:
        raise RuntimeError(f"tokenizer has {n} entries, wanted {vocab_size} (corpus too small?)")
    return PreTrainedTokenizerFast(
        tokenizer_object=tok,
        bos_token=EOT,
        eos_token=EOT,
        unk_token=EOT,
        pad_token=PAD,
        model_max_length=model_max_length,
    )


# --------------------------------------------------------------------------------------------
# 3. Models
# --------------------------------------------------------------------------------------------

SPECS = {
    "vit-gpt2-a": dict(
        vit=dict(
            image_size=32,
            patch_size=8,
            hidden_size=36,
            num_attention_heads=3,
            num_hidden_layers=2,
            intermediate_size=37,
            qkv_bias=False,
            initializer_range=0.1,
        ),
        gpt2=dict(
            n_embd=36,
            n_head=3,
            n_layer=2,
            n_positions=64,
            vocab_size=300,
            initializer_range=0.3,
        ),
        specials_first=False,  # <|endoftext|>=298, <pad>=299
        processor=dict(
            do_resize=True,
            size={"height": 32, "width": 32},
            resample=2,  # BILINEAR
            do_rescale=True,
            rescale_factor=1 / 255,
            do_normalize=True,
            image_mean=[0.5, 0.5, 0.5],
            image_std=[0.5, 0.5, 0.5],
            # do_convert_rgb left unset (None): only RGB images in this model's batch
        ),
        images=["rgb_40x30.png", "rgb_17x53.png", "rgb_48x36.jpg", "rgb_64x20.png"],
        max_new_tokens=12,
        seeds=range(0, 400),
    ),
    "vit-gpt2-b": dict(
        vit=dict(
            image_size=42,
            patch_size=7,
            hidden_size=30,
            num_attention_heads=5,
            num_hidden_layers=3,
            intermediate_size=50,
            layer_norm_eps=1e-6,
            hidden_act="gelu",
            initializer_range=0.1,
        ),
        gpt2=dict(
            n_embd=45,
            n_head=5,
            n_layer=1,
            n_inner=70,
            n_positions=40,
            vocab_size=320,
            activation_function="gelu_new",
            layer_norm_epsilon=1e-6,
            initializer_range=0.3,
        ),
        specials_first=True,  # <|endoftext|>=0, <pad>=1
        processor=dict(
            do_resize=True,
            size={"height": 42, "width": 42},
            resample=3,  # BICUBIC
            do_rescale=True,
            rescale_factor=1 / 255,
            do_normalize=True,
            image_mean=[0.485, 0.456, 0.406],  # IMAGENET_DEFAULT
            image_std=[0.229, 0.224, 0.225],
            do_convert_rgb=True,
        ),
        images=["gray_25x25.png", "rgba_33x20.png", "rgb_40x30.png", "rgb_17x53.png"],
        max_new_tokens=10,
        seeds=range(1000, 1400),
    ),
}


def build_model(spec: dict, seed: int, bos: int, eos: int, pad: int) -> VisionEncoderDecoderModel:
    vit_cfg = ViTConfig(**spec["vit"])
    gpt2_cfg = GPT2Config(**spec["gpt2"], bos_token_id=bos, eos_token_id=eos, pad_token_id=pad)
    cfg = VisionEncoderDecoderConfig.from_encoder_decoder_configs(vit_cfg, gpt2_cfg)
    torch.manual_seed(seed)
    model = VisionEncoderDecoderModel(cfg)
    model.eval()
    set_special_tokens(model, bos, eos, pad)
    return model


def choose(spec: dict, pixel_values: torch.Tensor, bos: int, pad: int):
    """Search seeds for a model where eos == bos (the tokenizer's <|endoftext|>) gives staggered
    finishing; fall back to an ordinary token as eos only if no seed works."""
    steps = spec["max_new_tokens"]
    fallback = None
    best = None
    for seed in spec["seeds"]:
        model = build_model(spec, seed, bos, bos, pad)
        gen, margins = manual_greedy(model, pixel_values, bos, steps)
        if margins.min().item() <= SEARCH_MARGIN:
            continue
        q = eos_quality(gen, bos, steps)
        if q is not None and q[:3] == (True, 2, True):
            return seed, bos, None
        if q is not None and (best is None or q > best[0]):
            best = (q, seed)
        if fallback is None:
            for tok in sorted(set(gen.flatten().tolist())):
                if tok in (bos, pad):
                    continue
                q2 = eos_quality(gen, tok, steps)
                if q2 is not None and q2[:3] == (True, 2, True):
                    fallback = (seed, tok)
                    break
    if best is not None:
        return best[1], bos, None
    if fallback is not None:
        seed, tok = fallback
        note = (
            f"eos_token_id={tok} is an ordinary vocabulary token (not <|endoftext|>): no seed in the search "
            "range made <|endoftext|> stop rows at different steps."
        )
        return seed, tok, note
    raise RuntimeError("no usable seed found")


# --------------------------------------------------------------------------------------------
# 4. Reference outputs
# --------------------------------------------------------------------------------------------


def relpath(p: Path) -> str:
    return p.resolve().relative_to(ROOT).as_posix()


def build_one(name: str, spec: dict, image_paths: dict[str, Path]) -> dict:
    out_dir = MODELS_DIR / name
    if out_dir.exists():
        shutil.rmtree(out_dir)
    out_dir.mkdir(parents=True)

    # tokenizer + image processor first (the processor is needed to pick the seed)
    vocab = spec["gpt2"]["vocab_size"]
    tokenizer = build_tokenizer(vocab, spec["specials_first"], spec["gpt2"]["n_positions"])
    bos, pad = tokenizer.convert_tokens_to_ids(EOT), tokenizer.convert_tokens_to_ids(PAD)
    assert tokenizer.bos_token_id == tokenizer.eos_token_id == bos and tokenizer.pad_token_id == pad

    from transformers import ViTImageProcessorPil

    ViTImageProcessorPil(**spec["processor"]).save_pretrained(out_dir)
    images = [load_image(image_paths[n]) for n in spec["images"]]
    processor0 = AutoImageProcessor.from_pretrained(out_dir)
    pixel_values = processor0(images=images, return_tensors="pt")["pixel_values"]

    seed, eos, note = choose(spec, pixel_values, bos, pad)

    model = build_model(spec, seed, bos, eos, pad)
    model.save_pretrained(out_dir, safe_serialization=True)
    tokenizer.save_pretrained(out_dir)
    del model

    # ---------------- reload everything from disk and produce the expected values ----------------
    processor = AutoImageProcessor.from_pretrained(out_dir)
    tok = AutoTokenizer.from_pretrained(out_dir)
    model = VisionEncoderDecoderModel.from_pretrained(out_dir)
    model.eval()
    assert model.generation_config.decoder_start_token_id == bos
    assert model.generation_config.eos_token_id == eos and model.generation_config.pad_token_id == pad
    assert tok.bos_token_id == bos and tok.pad_token_id == pad
    assert len(tok) == vocab == model.config.decoder.vocab_size

    pixel_values = processor(images=[load_image(image_paths[n]) for n in spec["images"]], return_tensors="pt")[
        "pixel_values"
    ]
    assert torch.equal(pixel_values, processor0(images=images, return_tensors="pt")["pixel_values"])
    B = pixel_values.shape[0]

    teacher = []
    for text in TEACHER_TEXTS[:B]:
        ids = tok(text, add_special_tokens=False)["input_ids"]
        assert len(ids) >= 6, (text, ids)
        teacher.append([bos] + ids[:6])
    decoder_input_ids = torch.tensor(teacher, dtype=torch.long)

    with torch.no_grad():
        enc_out = model.encoder(pixel_values=pixel_values)
        first = model(pixel_values=pixel_values, decoder_input_ids=torch.full((B, 1), bos, dtype=torch.long))
        tf = model(pixel_values=pixel_values, decoder_input_ids=decoder_input_ids)
        gen = model.generate(
            pixel_values,
            max_new_tokens=spec["max_new_tokens"],
            do_sample=False,
            num_beams=1,
            return_dict_in_generate=True,
            output_scores=True,
        )
    assert torch.equal(first.encoder_last_hidden_state, enc_out.last_hidden_state)
    assert torch.allclose(tf.logits[:, 0], first.logits[:, 0], atol=1e-5)

    sequences = gen.sequences
    scores = torch.stack(gen.scores, dim=1)  # (B, steps, V)
    top2 = torch.topk(scores, 2, dim=-1).values
    margin = (top2[..., 0] - top2[..., 1]).min().item()
    if not margin > MIN_MARGIN:
        raise RuntimeError(f"{name}: top-2 margin {margin} too small")

    # generate() must agree with a plain eos-free greedy loop up to each row's eos
    free, _ = manual_greedy(model, pixel_values, bos, spec["max_new_tokens"])
    fs = finish_steps(free, eos)
    steps_run = sequences.shape[1] - 1
    for r in range(B):
        stop = fs[r] if fs[r] is not None else steps_run - 1
        assert sequences[r, 1 : stop + 2].tolist() == free[r, : stop + 1].tolist(), r
        assert all(t == pad for t in sequences[r, stop + 2 :].tolist()), r
    assert sequences.shape[1] == 1 + spec["max_new_tokens"]
    assert torch.equal(sequences[:, 1], first.logits[:, -1].argmax(-1))

    ref_dir = out_dir / "reference"
    ref_dir.mkdir()
    tensors = {
        "pixel_values": pixel_values.float().contiguous(),
        "encoder_last_hidden_state": enc_out.last_hidden_state.float().contiguous(),
        "first_step_logits": first.logits[:, -1].float().contiguous(),
        "teacher_forced_logits": tf.logits.float().contiguous(),
    }
    save_file(tensors, str(ref_dir / "reference.safetensors"), metadata={"format": "pt"})

    seqs = sequences.tolist()
    ref = {
        "images": [relpath(image_paths[n]) for n in spec["images"]],
        "processor_backend": type(processor).__name__,
        "decoder_input_ids": decoder_input_ids.tolist(),
        "greedy": {"max_new_tokens": spec["max_new_tokens"], "sequences": seqs},
        "greedy_text": tok.batch_decode(seqs, skip_special_tokens=True),
        "min_top2_margin": margin,
        "decoder_start_token_id": bos,
        "bos_token_id": bos,
        "eos_token_id": eos,
        "pad_token_id": pad,
        "greedy_finish_steps": fs,
        "seed": seed,
        "versions": {
            "transformers": transformers.__version__,
            "torch": torch.__version__,
            "tokenizers": __import__("tokenizers").__version__,
            "pillow": Image.__version__,
            "numpy": np.__version__,
        },
    }
    if note:
        ref["note"] = note
    (ref_dir / "reference.json").write_text(dump_json(ref))

    # sanity: names in the saved checkpoint
    with safe_open(str(out_dir / "model.safetensors"), "pt") as f:
        names = sorted(f.keys())
        shapes = {k: tuple(f.get_slice(k).get_shape()) for k in names}
    return dict(name=name, seed=seed, ref=ref, tensors=tensors, names=names, shapes=shapes, out_dir=out_dir)


def check_names(info: dict) -> list[str]:
    names = set(info["names"])
    problems = []
    must = [
        "encoder.embeddings.cls_token",
        "encoder.embeddings.position_embeddings",
        "encoder.embeddings.patch_embeddings.projection.weight",
        "encoder.encoder.layer.0.attention.attention.query.weight",
        "encoder.encoder.layer.0.attention.output.dense.weight",
        "encoder.encoder.layer.0.intermediate.dense.weight",
        "encoder.encoder.layer.0.output.dense.weight",
        "encoder.encoder.layer.0.layernorm_before.weight",
        "encoder.layernorm.weight",
        "decoder.transformer.wte.weight",
        "decoder.transformer.wpe.weight",
        "decoder.transformer.ln_f.weight",
        "decoder.transformer.h.0.attn.c_attn.weight",
        "decoder.transformer.h.0.crossattention.q_attn.weight",
        "decoder.transformer.h.0.crossattention.c_attn.weight",
        "decoder.transformer.h.0.ln_cross_attn.weight",
        "decoder.transformer.h.0.mlp.c_fc.weight",
    ]
    for m in must:
        if m not in names:
            problems.append(f"missing {m}")
    if "decoder.lm_head.weight" in names:
        problems.append("lm_head.weight saved (expected tied, not saved)")
    return problems


def main() -> int:
    for k, v in EXPECTED_VERSIONS.items():
        got = transformers.__version__ if k == "transformers" else torch.__version__
        if got != v:
            print(f"WARNING: {k} {got} != expected {v}", file=sys.stderr)
    try:
        import torchvision  # noqa: F401

        print("WARNING: torchvision importable; fixtures assume the PIL backend", file=sys.stderr)
    except Exception:
        pass

    image_paths = make_images()
    infos = [build_one(name, spec, image_paths) for name, spec in SPECS.items()]

    print("images:")
    for n, p in image_paths.items():
        im = load_image(p)
        print(f"  {relpath(p):40s} {im.mode:5s} {im.size[0]}x{im.size[1]}  {p.stat().st_size} B")
    for info in infos:
        ref = info["ref"]
        print(f"\n{info['name']}  seed={info['seed']}  tensors in model.safetensors: {len(info['names'])}")
        probs = check_names(info)
        print("  names:", "OK (legacy hub names)" if not probs else "; ".join(probs))
        print(
            f"  decoder_start=bos={ref['bos_token_id']} eos={ref['eos_token_id']} pad={ref['pad_token_id']}"
            f"  processor={ref['processor_backend']}  min_top2_margin={ref['min_top2_margin']:.4g}"
        )
        for k, t in info["tensors"].items():
            print(f"  {k:28s} {list(t.shape)}")
        for s, txt in zip(ref["greedy"]["sequences"], ref["greedy_text"]):
            print(f"  {s}  {txt!r}")
        if "note" in ref:
            print("  note:", ref["note"])
    total = sum(p.stat().st_size for d in (IMAGES_DIR, MODELS_DIR) for p in d.rglob("*") if p.is_file())
    print(f"\nfixtures/images + fixtures/models: {total / 1024:.1f} KiB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
