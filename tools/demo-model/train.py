#!/usr/bin/env python
"""Trains ved's default model: a small ViT + GPT-2 VisionEncoderDecoder that
reads one line of printed text (the domain is in synth.py and README.md).

    .venv-ref/bin/python tools/demo-model/train.py [--steps N] [--threads N]
    .venv-ref/bin/python tools/demo-model/train.py --init-from packages/default-model/model \
        --seed 20261205 --steps 3000 --lr 6e-4 --warmup 100        # fine-tune a checkpoint

Every training batch is rendered from its own seed (TRAIN_SEED, batch index)
in a background worker while the model trains, so the run is reproducible and
never shows the model the same image twice. The images go through the
checkpoint's own image processor (DonutImageProcessor), so training sees
exactly what inference sees.

Besides the usual decoder loss, an auxiliary head (dropped before saving)
learns, for each column of encoder patches, which character lies under it: the
renderer knows where every glyph is. A ViT trained from scratch otherwise takes
thousands of steps before its patches carry glyph identity, time this 2-core
budget does not have.

Writes the checkpoint to tools/demo-model/out/checkpoint/ (weights stored as
float16) and the training log to tools/demo-model/out/train-log.jsonl;
export.py copies the checkpoint into packages/default-model/model/.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
import time
import warnings
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
warnings.filterwarnings("ignore")

import numpy as np  # noqa: E402
import torch  # noqa: E402
from safetensors.torch import load_file, save_file  # noqa: E402
from transformers import GenerationConfig, VisionEncoderDecoderModel  # noqa: E402
from transformers.utils import logging as hf_logging  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
import synth  # noqa: E402
from charset import (  # noqa: E402
    ALPHABET_IDS,
    BOS_ID,
    EOS_ID,
    GENERATION,
    IMAGE_SIZE,
    PAD_ID,
    PATCH_SIZE,
    SPECIALS,
    build_processor,
    build_tokenizer,
    model_config,
    processed_geometry,
)

hf_logging.set_verbosity_error()
hf_logging.disable_progress_bar()
HERE = Path(__file__).resolve().parent
OUT = HERE / "out"

TRAIN_SEED = 20240901  # training batches: default_rng([TRAIN_SEED, batch_index])
VAL_SEED = 7  # the small validation set watched during training (not the held-out set)
COLUMN_BACKGROUND = len(SPECIALS) + len(ALPHABET_IDS)  # auxiliary class "no character here"


def render_batch(
    seed: int, index: int, n: int, processor, patch=PATCH_SIZE, edge: bool = False, image_size=IMAGE_SIZE, shares=None
):
    """n images through the image processor: pixel_values [n, 3, H, W], the
    texts, and for each encoder patch column the token id of the character under
    its centre (or COLUMN_BACKGROUND), for the auxiliary column loss."""
    rng = np.random.default_rng([seed, index])
    texts, images, columns = [], [], []
    char_cols = torch.full((n, synth.MAX_CHARS + 1, 2), -1, dtype=torch.long)
    n_cols = image_size[1] // patch[1]
    for k in range(n):
        text, img, spans = synth.sample_with_spans(rng, edge, **(shares or {}))
        sx, _, left = processed_geometry(img.width, img.height, image_size)
        row = []
        for c in range(n_cols):
            x = ((c + 0.5) * patch[1] - left) / sx  # the column's centre in the rendered image
            hit = next((i for i, (a, b) in enumerate(spans) if a <= x < b), None)
            row.append(COLUMN_BACKGROUND if hit is None else ALPHABET_IDS[text[hit]])
        for i, (a, b) in enumerate(spans):
            # the patch columns under character i (at least the nearest one)
            lo, hi = (left + a * sx) / patch[1] - 0.5, (left + b * sx) / patch[1] - 0.5
            c_lo, c_hi = math.ceil(lo), math.floor(hi)
            if c_lo > c_hi:
                c_lo = c_hi = round((lo + hi) / 2)
            char_cols[k, i] = torch.tensor([max(0, min(n_cols - 1, c_lo)), max(0, min(n_cols - 1, c_hi))])
        texts.append(text)
        images.append(img)
        columns.append(row)
    pixel_values = processor(images, return_tensors="pt").pixel_values
    return pixel_values, texts, torch.tensor(columns, dtype=torch.long), char_cols


def labels_for(tokenizer, texts: list[str]) -> torch.Tensor:
    ids = [tokenizer(t, add_special_tokens=False).input_ids + [EOS_ID] for t in texts]
    labels = torch.full((len(ids), max(map(len, ids))), -100, dtype=torch.long)
    for i, row in enumerate(ids):
        labels[i, : len(row)] = torch.tensor(row)
    return labels


class Batches(torch.utils.data.Dataset):
    def __init__(self, seed: int, steps: int, batch_size: int, tokenizer, patch, image_size, shares):
        self.seed, self.steps, self.batch_size, self.tokenizer, self.patch = seed, steps, batch_size, tokenizer, patch
        self.image_size, self.shares = image_size, shares
        self.processor = build_processor(image_size)

    def __len__(self) -> int:
        return self.steps

    def __getitem__(self, index: int):
        pixel_values, texts, columns, char_cols = render_batch(
            self.seed, index, self.batch_size, self.processor, self.patch, image_size=self.image_size, shares=self.shares
        )
        return pixel_values, labels_for(self.tokenizer, texts), columns, char_cols


class ColumnHead(torch.nn.Module):
    """Training-only: from each column of encoder patch tokens (rows averaged),
    the character under that column. Not part of the saved checkpoint."""

    def __init__(self, hidden: int, grid: tuple[int, int], classes: int):
        super().__init__()
        self.rows, self.cols = grid
        self.proj = torch.nn.Linear(hidden, classes)

    def forward(self, hidden_states: torch.Tensor) -> torch.Tensor:
        b = hidden_states.shape[0]
        cols = hidden_states[:, 1:].reshape(b, self.rows, self.cols, -1).mean(1)  # drop CLS, pool rows
        return self.proj(cols)  # [B, cols, classes]


def guided_attention_loss(cross_attentions, char_cols: torch.Tensor, grid: tuple[int, int], steps: int) -> torch.Tensor:
    """Guided attention (Tachibana et al. 2017, arXiv:1710.08969), training only:
    head 0 of each decoder layer's cross-attention is pulled, at the step that
    predicts character t, towards the patches under character t. It teaches the
    decoder to read left to right from the start instead of first learning to
    ignore the image."""
    rows, cols = grid
    cc = char_cols[:, :steps]  # [B, T, 2]
    col = torch.arange(cols)
    mask = (col >= cc[..., :1]) & (col <= cc[..., 1:])  # [B, T, cols]
    target = torch.cat([torch.zeros_like(mask[..., :1]), mask.repeat(1, 1, rows)], dim=-1).float()  # + CLS, rows
    valid = target.sum(-1) > 0
    target = target / target.sum(-1, keepdim=True).clamp(min=1)
    losses = []
    for attn in cross_attentions:
        logp = torch.log(attn[:, 0].float() + 1e-6)  # [B, T, keys]
        losses.append(-(target * logp).sum(-1)[valid].mean())
    return torch.stack(losses).mean()


def sincos_init(model, grid: tuple[int, int]) -> None:
    """Starts the learned position embeddings from sine-cosine tables (2-D for
    the ViT patches as in MAE, 1-D for GPT-2): attention then tells near from
    far from the first step, which a from-scratch ViT otherwise learns slowly."""

    def table(pos: torch.Tensor, dim: int) -> torch.Tensor:
        freq = 1.0 / (10000 ** (torch.arange(dim // 2, dtype=torch.float64) / (dim // 2)))
        ang = pos[:, None].double() * freq[None]
        return torch.cat([ang.sin(), ang.cos()], dim=1).float()

    with torch.no_grad():
        pe = model.encoder.embeddings.position_embeddings  # [1, 1 + rows*cols, H]
        h = pe.shape[-1]
        rows, cols = grid
        r, c = torch.meshgrid(torch.arange(rows), torch.arange(cols), indexing="ij")
        tab = torch.cat([table(r.flatten(), h // 2), table(c.flatten(), h // 2)], dim=1)
        pe[0, 1:] = tab * 0.5
        pe[0, 0] = 0
        wpe = model.decoder.transformer.wpe.weight
        wpe.copy_(table(torch.arange(wpe.shape[0]), wpe.shape[1]) * 0.5)


def levenshtein(a: str, b: str) -> int:
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i]
        for j, cb in enumerate(b, 1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb)))
        prev = cur
    return prev[-1]


def score(preds: list[str], refs: list[str]) -> dict:
    exact = sum(p == r for p, r in zip(preds, refs)) / len(refs)
    cer = sum(levenshtein(r, p) for p, r in zip(preds, refs)) / sum(len(r) for r in refs)
    return {"exact_match": exact, "cer": cer}


@torch.no_grad()
def greedy_texts(model, tokenizer, pixel_values: torch.Tensor, batch: int = 128) -> list[str]:
    out: list[str] = []
    for s in range(0, len(pixel_values), batch):
        seq = model.generate(pixel_values=pixel_values[s : s + batch], max_new_tokens=30, num_beams=1, do_sample=False)
        out += tokenizer.batch_decode(seq, skip_special_tokens=True)
    return out


def save_checkpoint(model, tokenizer, out_dir: Path, image_size=IMAGE_SIZE) -> None:
    out_dir.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(out_dir)
    # Store the weights as float16 (halves the size); config.json keeps float32 as the compute dtype.
    st = out_dir / "model.safetensors"
    tensors = {k: v.to(torch.float16).contiguous() for k, v in load_file(st).items()}
    save_file(tensors, st, metadata={"format": "pt"})
    tokenizer.save_pretrained(out_dir)
    build_processor(image_size).save_pretrained(out_dir)
    GenerationConfig(**GENERATION).save_pretrained(out_dir)


def grow(old: VisionEncoderDecoderModel, config) -> VisionEncoderDecoderModel | None:
    """The same model with more layers on top and/or a larger input, when `config` asks for more than `old`
    has; None when it asks for the same.

    Deepening (net2net-style): every weight of `old` is kept, and each new layer's output projections (ViT's
    attention output and MLP output, `o_proj` and `fc2`; GPT-2's c_proj of self-attention, cross-attention
    and MLP) start at zero, so that the new layer adds nothing to its residual stream and the deeper model
    computes exactly what `old` did.

    A larger input with as many patches (`--image-size 48,384 --patch 48,6` from 32x256 in 32x4 strips): the
    position embeddings are kept and the patch embedding's kernel is resampled to the new patch size and
    scaled by the ratio of the patches' areas, so that an image drawn 1.5 times larger gives each strip
    about the embedding the smaller image gave it; training then learns what the finer pixels add."""
    enc_old, dec_old = old.config.encoder.num_hidden_layers, old.config.decoder.n_layer
    enc_new, dec_new = config.encoder.num_hidden_layers, config.decoder.n_layer
    patch_old, patch_new = tuple(old.config.encoder.patch_size), tuple(config.encoder.patch_size)
    grid_old = [i // p for i, p in zip(old.config.encoder.image_size, patch_old)]
    grid_new = [i // p for i, p in zip(config.encoder.image_size, patch_new)]
    if (enc_new, dec_new, patch_new, grid_new) == (enc_old, dec_old, patch_old, grid_old):
        return None
    if enc_new < enc_old or dec_new < dec_old:
        raise SystemExit(f"--encoder-layers/--decoder-layers ({enc_new}, {dec_new}) below the checkpoint's ({enc_old}, {dec_old})")
    if grid_new != grid_old:
        raise SystemExit(f"--image-size/--patch give a {grid_new} patch grid, the checkpoint has {grid_old}: keep the grid")
    new = VisionEncoderDecoderModel(config)
    state = old.state_dict()
    kernel = "encoder.embeddings.patch_embeddings.projection.weight"
    if patch_new != patch_old:
        w = state[kernel]  # [hidden, channels, ph, pw]
        scale = (patch_old[0] * patch_old[1]) / (patch_new[0] * patch_new[1])
        state[kernel] = torch.nn.functional.interpolate(w, size=patch_new, mode="bilinear", align_corners=False) * scale
        print(f"patch embedding resampled: {patch_old} -> {patch_new}", flush=True)
    missing, unexpected = new.load_state_dict(state, strict=False)
    if unexpected:
        raise SystemExit(f"unexpected weights when growing: {unexpected[:4]}")
    with torch.no_grad():
        for i in range(enc_old, enc_new):
            layer = new.encoder.layers[i]  # transformers 5's ViT: layers.N.attention.o_proj, layers.N.mlp.fc2
            for lin in (layer.attention.o_proj, layer.mlp.fc2):
                lin.weight.zero_()
                lin.bias.zero_()
        for i in range(dec_old, dec_new):
            block = new.decoder.transformer.h[i]
            for proj in (block.attn.c_proj, block.crossattention.c_proj, block.mlp.c_proj):
                proj.weight.zero_()
                proj.bias.zero_()
    if (enc_new, dec_new) != (enc_old, dec_old):
        print(f"deepened: encoder {enc_old} -> {enc_new} layers, decoder {dec_old} -> {dec_new} ({len(missing)} new tensors)", flush=True)
    return new


def int_pair(value: str) -> tuple[int, int]:
    """`--patch` and `--image-size`: "height,width"."""
    h, w = (int(x) for x in value.split(","))
    return h, w


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--steps", type=int, default=6500)
    ap.add_argument("--seed", type=int, default=TRAIN_SEED, help="training batches are default_rng([seed, batch index])")
    ap.add_argument(
        "--init-from",
        type=Path,
        default=None,
        help="start from this checkpoint's weights (same architecture) instead of from scratch: fine-tuning",
    )
    ap.add_argument("--encoder-layers", type=int, default=4, help="ViT layers (more than --init-from has: see --init-from)")
    ap.add_argument("--decoder-layers", type=int, default=2, help="GPT-2 blocks (more than --init-from has: see --init-from)")
    ap.add_argument("--batch-size", type=int, default=64)
    ap.add_argument(
        "--random-share", type=float, default=synth.RANDOM_SHARE, help="share of training lines of random characters (the domain: 0.3)"
    )
    ap.add_argument("--bold-share", type=float, default=synth.BOLD_SHARE, help="share of training lines in bold faces (the domain: 0.25)")
    ap.add_argument(
        "--generous-share",
        type=float,
        default=synth.GENEROUS_SHARE,
        help=f"share of training lines with generous padding, small in the model's input (the domain: 0.2; at most {1 - synth.TIGHT_SHARE:g})",
    )
    ap.add_argument(
        "--confusable-share",
        type=float,
        default=0.0,
        help="share of training lines made mostly of look-alike characters, a third of them 1-3 characters long "
        "(synth.CONFUSABLE; not in the domain's sets: 0)",
    )
    ap.add_argument("--lr", type=float, default=1.5e-3)
    ap.add_argument("--warmup", type=int, default=300)
    ap.add_argument(
        "--schedule",
        choices=("cosine", "constant"),
        default="cosine",
        help="the rate after warm-up: cosine (down to 1%% of --lr at the end) or constant (for --snapshot-every)",
    )
    ap.add_argument(
        "--snapshot-every",
        type=int,
        default=0,
        help="also save the raw weights every this many steps, as <--out>-step<N> (0: off); soup.py averages them",
    )
    ap.add_argument("--column-weight", type=float, default=0.5, help="weight of the auxiliary column loss (0: off)")
    ap.add_argument("--guide-weight", type=float, default=0.5, help="weight of the guided-attention loss (0: off)")
    ap.add_argument("--sincos", type=int, default=1, help="start position embeddings from sine-cosine tables (1/0)")
    ap.add_argument("--ema", type=float, default=0.998, help="decay of the weight average kept alongside (0: off)")
    ap.add_argument("--threads", type=int, default=int(os.environ.get("DEMO_THREADS", "2")))
    ap.add_argument("--eval-every", type=int, default=1000)
    ap.add_argument("--patch", type=int_pair, default=PATCH_SIZE, help="patch height,width")
    ap.add_argument(
        "--image-size",
        type=int_pair,
        default=IMAGE_SIZE,
        help="the image processor's height,width (with --init-from: as many patches as the checkpoint, see grow())",
    )
    ap.add_argument("--log", type=Path, default=OUT / "train-log.jsonl")
    ap.add_argument("--out", type=Path, default=OUT / "checkpoint")
    args = ap.parse_args()
    for name in ("random_share", "bold_share"):
        if not 0 <= getattr(args, name) <= 1:
            ap.error(f"--{name.replace('_', '-')} must be between 0 and 1")
    if not 0 <= args.confusable_share <= 1 - args.random_share:
        ap.error(f"--confusable-share must be between 0 and {1 - args.random_share:g} (1 - --random-share)")
    if not 0 <= args.generous_share <= 1 - synth.TIGHT_SHARE:
        ap.error(f"--generous-share must be between 0 and {1 - synth.TIGHT_SHARE:g} (the tight crops keep {synth.TIGHT_SHARE:g})")

    synth.check_fonts()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    t0 = time.time()
    tokenizer = build_tokenizer()
    image_size = args.image_size
    config = model_config(len(tokenizer), args.patch, args.encoder_layers, args.decoder_layers, image_size)
    if args.guide_weight > 0:
        config.decoder._attn_implementation = "eager"  # to return cross-attention weights
    model = VisionEncoderDecoderModel(config)
    if args.init_from is not None:
        # transformers renames the stored ViT keys on load, so load through from_pretrained (float32), then
        # switch the decoder to eager attention, which returns the cross-attention weights the guide loss needs.
        model = VisionEncoderDecoderModel.from_pretrained(args.init_from, dtype=torch.float32)
        grown = grow(model, config)
        if grown is not None:
            model = grown
        if guide_eager := args.guide_weight > 0:
            model.decoder.set_attn_implementation("eager")
        got = sum(p.numel() for p in model.parameters())
        want = sum(p.numel() for p in VisionEncoderDecoderModel(config).parameters())
        if got != want:
            raise SystemExit(f"{args.init_from}: {got:,} parameters, the architecture here has {want:,}")
        print(f"initialised from {args.init_from} (decoder eager attention: {guide_eager})", flush=True)
    elif args.sincos:
        sincos_init(model, (image_size[0] // args.patch[0], image_size[1] // args.patch[1]))
    for c in (model.config, model.generation_config):
        c.decoder_start_token_id, c.eos_token_id, c.pad_token_id = BOS_ID, EOS_ID, PAD_ID
    n_params = sum(p.numel() for p in model.parameters())
    print(f"parameters: {n_params:,}", flush=True)

    val_pixels, val_texts, _, _ = render_batch(VAL_SEED, 0, 512, build_processor(image_size), args.patch, image_size=image_size)

    column_head = None
    if args.column_weight > 0:
        grid = (image_size[0] // args.patch[0], image_size[1] // args.patch[1])
        column_head = ColumnHead(model.config.encoder.hidden_size, grid, COLUMN_BACKGROUND + 1)

    decay = [p for n, p in model.named_parameters() if p.ndim >= 2 and "embeddings" not in n and "wte" not in n and "wpe" not in n]
    no_decay = [p for n, p in model.named_parameters() if not any(p is q for q in decay)]
    if column_head is not None:
        decay += list(column_head.parameters())
    params = decay + no_decay
    opt = torch.optim.AdamW(
        [{"params": decay, "weight_decay": 0.05}, {"params": no_decay, "weight_decay": 0.0}], lr=args.lr, betas=(0.9, 0.98)
    )

    def lr_at(step: int) -> float:
        if step < args.warmup:
            return (step + 1) / args.warmup
        if args.schedule == "constant":
            return 1.0
        p = (step - args.warmup) / max(1, args.steps - args.warmup)
        return 0.01 + 0.99 * 0.5 * (1 + math.cos(math.pi * p))

    sched = torch.optim.lr_scheduler.LambdaLR(opt, lr_at)
    # An exponential moving average of the weights; at the end the better of it
    # and the raw weights on the validation set is saved.
    model_params = list(model.parameters())
    ema = [p.detach().clone() for p in model_params] if args.ema > 0 else None

    def swap_ema() -> None:
        with torch.no_grad():
            for p, e in zip(model_params, ema):
                tmp = p.detach().clone()
                p.copy_(e)
                e.copy_(tmp)

    def evaluate() -> dict:
        model.eval()
        m = score(greedy_texts(model, tokenizer, val_pixels), val_texts)
        if ema is not None:
            swap_ema()
            m_ema = score(greedy_texts(model, tokenizer, val_pixels), val_texts)
            swap_ema()
            m.update({f"ema_{k}": v for k, v in m_ema.items()})
        model.train()
        return m
    shares = {
        "random_share": args.random_share,
        "bold_share": args.bold_share,
        "generous_share": args.generous_share,
        "confusable_share": args.confusable_share,
    }
    loader = torch.utils.data.DataLoader(
        Batches(
            args.seed, args.steps, args.batch_size, tokenizer, args.patch, image_size, shares
        ),
        batch_size=None,
        shuffle=False,
        num_workers=1,
        prefetch_factor=4,
    )
    OUT.mkdir(parents=True, exist_ok=True)
    log = open(args.log, "w")
    model.train()
    t_train = time.time()
    running = running_aux = running_ga = 0.0
    grid = (image_size[0] // args.patch[0], image_size[1] // args.patch[1])
    guide = args.guide_weight > 0
    for step, (pixel_values, labels, columns, char_cols) in enumerate(loader):
        with torch.autocast("cpu", dtype=torch.bfloat16):
            encoded = model.encoder(pixel_values=pixel_values)
            out = model(encoder_outputs=encoded, labels=labels, output_attentions=guide)
            ce = out.loss
            loss = ce
            aux = torch.zeros(())
            if column_head is not None:
                col_logits = column_head(encoded.last_hidden_state).float()
                aux = torch.nn.functional.cross_entropy(col_logits.flatten(0, 1), columns.flatten())
                loss = loss + args.column_weight * aux
            ga = torch.zeros(())
            if guide:
                ga = guided_attention_loss(out.cross_attentions, char_cols, grid, labels.shape[1])
                loss = loss + args.guide_weight * ga
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        opt.step()
        sched.step()
        opt.zero_grad(set_to_none=True)
        if ema is not None:
            with torch.no_grad():
                torch._foreach_lerp_(ema, [p.detach() for p in model_params], 1 - min(args.ema, (1 + step) / (10 + step)))
        k = 1.0 if step == 0 else 0.02
        running += k * (ce.item() - running)
        running_aux += k * (aux.item() - running_aux)
        running_ga += k * (ga.item() - running_ga)
        if (step + 1) % 50 == 0:
            el = time.time() - t_train
            print(
                f"step {step + 1}/{args.steps} loss {running:.4f} column {running_aux:.4f} guide {running_ga:.4f} lr {sched.get_last_lr()[0]:.2e} {el:.0f}s",
                flush=True,
            )
        if args.snapshot_every and (step + 1) % args.snapshot_every == 0:
            save_checkpoint(model, tokenizer, args.out.with_name(f"{args.out.name}-step{step + 1}"), image_size)
        if (step + 1) % args.eval_every == 0 or step + 1 == args.steps:
            m = evaluate()
            rec = {"step": step + 1, "loss": running, "column_loss": running_aux, **m, "elapsed_s": time.time() - t_train}
            print(json.dumps(rec), flush=True)
            log.write(json.dumps(rec) + "\n")
            log.flush()
            if step + 1 < args.steps:
                save_checkpoint(model, tokenizer, args.out, image_size)
    use_ema = ema is not None and (m["ema_exact_match"], -m["ema_cer"]) >= (m["exact_match"], -m["cer"])
    if use_ema:
        swap_ema()
    model.eval()
    save_checkpoint(model, tokenizer, args.out, image_size)
    summary = {
        "saved": "ema" if use_ema else "raw",
        "validation": m,
        "parameters": n_params,
        "steps": args.steps,
        "seed": args.seed,
        "init_from": None if args.init_from is None else str(args.init_from),
        "lr": args.lr,
        "schedule": args.schedule,
        "batch_size": args.batch_size,
        "random_share": args.random_share,
        "bold_share": args.bold_share,
        "generous_share": args.generous_share,
        "confusable_share": args.confusable_share,
        "threads": args.threads,
        "train_seconds": time.time() - t_train,
        "total_seconds": time.time() - t0,
    }
    (OUT / "train-summary.json").write_text(json.dumps(summary, indent=2) + "\n")
    print(json.dumps(summary), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
