#!/usr/bin/env python
"""Random training runs of HF Trainer, for a differential run of ved's Trainer against Python (not fixtures).

Draws N runs of `Trainer.train()` on the tiny composed model of fixtures/optim/train (ViT 16 px + GPT-2 with
`enc_to_dec_proj` and a tied head), each with random TrainingArguments: AdamW (`adamw_torch`, random betas and
epsilon sometimes) or SGD (momentum, dampening, nesterov), rate, weight decay, clipping (0 turns it off), batch
size, gradient accumulation, `max_steps` or fractional `num_train_epochs`, warm-up steps or ratio, every LambdaLR
schedule with random `lr_scheduler_kwargs`, label smoothing, shuffled or length-grouped epochs (seed, data_seed) or the manifest order, and in about a third of the runs evaluations every
1-3 updates (or every epoch, or ratios of the run) with checkpoints every 1-4 updates (or every epoch, or at each
new best), `load_best_model_at_end`, `metric_for_best_model` / `greater_is_better`
and an `EarlyStoppingCallback` (patience, threshold); on a random selection and order of the fixture's
six examples (dropout off), then `Trainer.evaluate()` on another random selection with a
random evaluation batch size. Records every update's loss, learning rate and gradient norm, every evaluation's
loss, where training stopped and the best model's state, and every parameter's change over the run.

Run:  .venv-ref/bin/python tools/reference/probe_random_training.py OUT_DIR [N] [SEED]
Writes OUT_DIR/index.json (the runs: arguments, examples, Python's log) and OUT_DIR/changes.safetensors.
Compared by compare_random_training.mjs (node, after pnpm build).
"""

from __future__ import annotations

import json
import math
import os
import random
import shutil
import sys
import warnings
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
warnings.filterwarnings("ignore")

import torch  # noqa: E402
from PIL import Image  # noqa: E402
from safetensors.torch import load_file, save_file  # noqa: E402
from transformers import (  # noqa: E402
    AutoImageProcessor,
    EarlyStoppingCallback,
    PreTrainedTokenizerFast,
    Trainer,
    TrainingArguments,
    VisionEncoderDecoderModel,
)
from transformers.utils import logging as hf_logging  # noqa: E402

hf_logging.set_verbosity_error()
torch.set_num_threads(1)

ROOT = Path(__file__).resolve().parents[2]
MODEL = ROOT / "fixtures" / "optim" / "train"

FUSED_QKV_BIASES = ["decoder.transformer.h.0.attn.c_attn.bias", "decoder.transformer.h.0.crossattention.c_attn.bias"]

SCHEDULES = [
    ("linear", lambda r: {}),
    ("constant", lambda r: {}),
    ("constant_with_warmup", lambda r: {}),
    ("cosine", lambda r: {} if r.random() < 0.5 else {"num_cycles": r.choice([0.25, 0.5, 1.0, 1.5])}),
    ("cosine_with_restarts", lambda r: {} if r.random() < 0.5 else {"num_cycles": r.randint(1, 4)}),
    ("polynomial", lambda r: {} if r.random() < 0.4 else {"lr_end": r.choice([1e-7, 1e-6, 1e-5]), "power": r.choice([0.5, 1.0, 2.0, 3.0])}),
    ("inverse_sqrt", lambda r: {} if r.random() < 0.5 else {"timescale": r.randint(1, 6)}),
    ("cosine_with_min_lr", lambda r: {"min_lr_rate": r.choice([0.0, 0.1, 0.5])} if r.random() < 0.5 else {"min_lr": 1e-6}),
    ("cosine_warmup_with_min_lr", lambda r: {"min_lr_rate": r.choice([0.0, 0.1])} | ({"warmup_lr_rate": r.choice([0.0, 0.2])} if r.random() < 0.5 else {})),
    ("reduce_lr_on_plateau", lambda r: {"patience": r.randint(0, 2), "factor": r.choice([0.1, 0.5]), "threshold": r.choice([1e-4, 0.02, 0.1]),
                                        "cooldown": r.randint(0, 1)}),
    ("greedy", lambda r: {"patience": r.randint(0, 2), "factor": r.choice([0.5, 0.8, 0.95]), "min_lr": r.choice([1e-5, 1e-4, 1e-3]),
                          "max_lr": r.choice([0.01, 0.05, 1.0])} | ({"smooth": True, "window_size": r.randint(1, 3)} if r.random() < 0.3 else {})
                         | ({"cooldown": r.randint(0, 1), "warmup": r.randint(0, 1)} if r.random() < 0.3 else {})
                         | ({"reset_start": r.randint(1, 3)} if r.random() < 0.3 else {})),
    ("warmup_stable_decay", lambda r: {"num_decay_steps": r.randint(0, 4), "decay_type": r.choice(["linear", "cosine", "1-sqrt"]),
                                       "warmup_type": r.choice(["linear", "cosine", "1-sqrt"]), "min_lr_ratio": r.choice([0.0, 0.1])}),
]


def draw(r: random.Random) -> tuple[dict, list[int], list[int]]:
    kind = r.random()
    sgd = kind < 0.25
    args: dict = {}
    if 0.25 <= kind < 0.35:
        parts = [f"alpha={r.choice([0.5, 0.9, 0.99])}"] + ([f"momentum={r.choice([0.5, 0.9])}"] if r.random() < 0.5 else [])
        parts += ["centered=True"] if r.random() < 0.4 else []
        parts += [f"eps={r.choice([1e-8, 1e-6])}"] if r.random() < 0.3 else []
        args.update(optim="rmsprop", optim_args=",".join(parts), learning_rate=r.choice([1e-4, 1e-3, 5e-3]))
    elif 0.35 <= kind < 0.42:
        parts = ([f"lr_decay={r.choice([0.0, 0.01, 0.1])}"] if r.random() < 0.6 else []) + ([f"eps={r.choice([1e-10, 1e-8])}"] if r.random() < 0.3 else [])
        args.update(optim="adagrad", learning_rate=r.choice([1e-3, 1e-2, 3e-2]), **({"optim_args": ",".join(parts)} if parts else {}))
    elif kind > 0.8:
        # Adafactor; GPT-2's fused query/key/value biases are frozen (compare_random_training.mjs freezes them too):
        # their key part's zero gradient is float noise that Adafactor's update clipping spreads over the tensor.
        args.update(optim="adafactor", learning_rate=r.choice([1e-3, 1e-2, 3e-2]))
    elif sgd:
        parts = [f"momentum={r.choice([0.0, 0.5, 0.9])}"]
        if r.random() < 0.3:
            parts.append(f"dampening={r.choice([0.0, 0.1])}")
        if r.random() < 0.3 and "momentum=0.0" not in parts[0]:
            parts.append("nesterov=True")
            parts = [p for p in parts if not p.startswith("dampening")]
        args.update(optim="sgd", optim_args=",".join(parts), learning_rate=r.choice([0.01, 0.05, 0.1, 0.3]))
    else:
        args.update(optim="adamw_torch", learning_rate=r.choice([1e-4, 1e-3, 5e-3, 2e-2]))
        if r.random() < 0.3:
            args.update(adam_beta1=r.choice([0.0, 0.8, 0.95]), adam_beta2=r.choice([0.9, 0.98, 0.9999]), adam_epsilon=r.choice([1e-6, 1e-8]))
    args["weight_decay"] = r.choice([0.0, 0.0, 0.01, 0.1])
    args["max_grad_norm"] = r.choice([0.0, 0.1, 0.5, 1.0, 10.0])
    args["per_device_train_batch_size"] = r.randint(1, 4)
    args["gradient_accumulation_steps"] = r.randint(1, 3)
    if r.random() < 0.5:
        args["max_steps"] = r.randint(1, 7)
    else:
        args["num_train_epochs"] = r.choice([0.5, 1.0, 1.5, 2.0, 2.7])
    args["warmup_steps"] = r.choice([0, 0, 1, 2, 3, 0.1, 0.3, 0.5])
    name, kwargs = r.choice(SCHEDULES)
    args["lr_scheduler_type"] = name
    kw = kwargs(r)
    if kw:
        args["lr_scheduler_kwargs"] = kw
    if name in ("reduce_lr_on_plateau", "greedy"):
        args.update(eval_strategy="steps", eval_steps=r.randint(1, 3)) if r.random() < 0.7 else args.update(eval_strategy="epoch")
    if r.random() < 0.4:
        args["label_smoothing_factor"] = r.choice([0.05, 0.1, 0.3])
    if r.random() < 0.35:
        # The best model and early stopping (evaluations and checkpoints every few updates).
        args.update(eval_strategy="steps", eval_steps=r.randint(1, 3), save_strategy="steps", save_steps=r.randint(1, 4))
        # Longer runs at higher rates, so that the evaluation loss turns up and the best update is not the last.
        args.pop("num_train_epochs", None)
        args["max_steps"] = r.randint(3, 12)
        if r.random() < 0.5:
            # At most 0.06: above it (Adafactor at 0.3) runs turn chaotic within ten updates, and float32 noise
            # grows into different trajectories in any two implementations.
            args["learning_rate"] = min(args["learning_rate"] * r.choice([3, 10]), 0.06)
        if r.random() < 0.6:
            args["load_best_model_at_end"] = True
        if r.random() < 0.5 or "load_best_model_at_end" not in args:
            args["metric_for_best_model"] = r.choice(["loss", "eval_loss"])
        if r.random() < 0.2:
            args["greater_is_better"] = r.choice([True, False])
        if r.random() < 0.2:
            args["eval_delay"] = r.randint(1, 4)
        if r.random() < 0.2:
            args["eval_on_start"] = True
        if r.random() < 0.7:
            args["early_stopping_patience"] = r.randint(1, 3)
            if r.random() < 0.5:
                args["early_stopping_threshold"] = r.choice([0.0, 0.01, 0.1, 0.5])
        if r.random() < 0.4:
            # Epoch strategies (DefaultFlowCallback.on_epoch_end), mixed with step checkpoints or "best" at times;
            # eval_delay then counts epochs. Combinations Python refuses (load_best_model_at_end with unequal
            # strategies) are drawn too: ved must refuse them.
            args["eval_strategy"] = "epoch"
            del args["eval_steps"]
            save = r.choice(["epoch", "epoch", "steps", "best"])
            args["save_strategy"] = save
            if save != "steps":
                del args["save_steps"]
            if "eval_delay" in args:
                args["eval_delay"] = r.choice([0.5, 1, 1.5, 2])
        elif r.random() < 0.25:
            # eval_steps / save_steps as ratios of max_steps (TrainerState.compute_steps).
            args["eval_steps"] = r.choice([0.1, 0.2, 0.25, 0.5])
            args["save_steps"] = r.choice([0.2, 0.25, 0.5, 2])
    args["per_device_eval_batch_size"] = r.randint(1, 4)
    if r.random() < 0.5:
        # Shuffled epochs: accelerate's SeedableRandomSampler, torch.randperm seeded with data_seed (else seed) + epoch;
        # or a fifth of them length-grouped (LengthGroupedSampler: the global generator, seeded with seed, after the
        # DataLoader base seeds; the evaluation set grouped by a generator seeded with data_seed or seed).
        grouped = r.random() < 0.2
        args.update(train_sampling_strategy="group_by_length" if grouped else "random", seed=r.randint(0, 2**32 - 1 if grouped else 10**6))
        if r.random() < 0.4:
            args["data_seed"] = r.choice([0, 7, r.randint(0, 2**32 - 1 if grouped else 2**40)])
    train = r.sample(range(6), r.randint(1, 6))
    evaluate = r.sample(range(6), r.randint(1, 6))
    return args, train, evaluate


def main() -> None:
    out_dir = Path(sys.argv[1])
    n = int(sys.argv[2]) if len(sys.argv) > 2 else 50
    seed = int(sys.argv[3]) if len(sys.argv) > 3 else 0
    out_dir.mkdir(parents=True, exist_ok=True)
    r = random.Random(seed)
    processor = AutoImageProcessor.from_pretrained(MODEL)
    tokenizer = PreTrainedTokenizerFast.from_pretrained(MODEL)
    lines = [json.loads(line) for line in (MODEL / "manifest.jsonl").read_text().splitlines()]
    examples = [
        {"pixel_values": processor(Image.open((MODEL / line["image"]).resolve()), return_tensors="pt").pixel_values[0],
         "labels": tokenizer(line["text"]).input_ids}
        for line in lines
    ]
    template = VisionEncoderDecoderModel.from_pretrained(MODEL)
    initial = load_file(str(MODEL / "model.safetensors"))

    def collate(batch):
        width = max(len(e["labels"]) for e in batch)
        labels = torch.tensor([e["labels"] + [-100] * (width - len(e["labels"])) for e in batch])
        out = {"pixel_values": torch.stack([e["pixel_values"] for e in batch]), "labels": labels}
        # With label smoothing HF Trainer pops the labels: the decoder inputs come from the collator, as
        # DataCollatorForSeq2Seq gives them (prepare_decoder_input_ids_from_labels).
        out["decoder_input_ids"] = template.prepare_decoder_input_ids_from_labels(labels)
        return out

    runs, changes = [], {}
    for i in range(n):
        args, train, evaluate = draw(r)
        model = VisionEncoderDecoderModel.from_pretrained(MODEL)
        model.train = lambda mode=True, m=model: m  # dropout off while HF Trainer trains
        if args["optim"] == "adafactor":
            for k, p in model.named_parameters():
                if k in FUSED_QKV_BIASES:
                    p.requires_grad_(False)
        run_dir = out_dir / f".run-{i}"
        entry = {"id": i, "args": args, "train": train, "eval": evaluate}
        targs_kwargs = {k: v for k, v in args.items() if not k.startswith("early_stopping")}
        callbacks = []
        if "early_stopping_patience" in args:
            callbacks.append(EarlyStoppingCallback(args["early_stopping_patience"], args.get("early_stopping_threshold", 0.0)))
        try:
            targs = TrainingArguments(output_dir=str(run_dir), logging_steps=1, report_to=[], use_cpu=True, dataloader_num_workers=0,
                                      **({"save_strategy": "no", "seed": 0, "train_sampling_strategy": "sequential"} | targs_kwargs))
            # LengthGroupedSampler reads each example's length from its input_ids (no processing_class): the labels'.
            grouped = args.get("train_sampling_strategy") == "group_by_length"
            pick = (lambda k: dict(examples[k], input_ids=examples[k]["labels"])) if grouped else (lambda k: examples[k])
            trainer = Trainer(model=model, args=targs, train_dataset=[pick(k) for k in train], eval_dataset=[pick(k) for k in evaluate],
                              data_collator=collate, callbacks=callbacks)
            trainer.model_accepts_loss_kwargs = False
            trainer.train()
            state = trainer.state
            in_loop = [e["eval_loss"] for e in state.log_history if "eval_loss" in e]
            entry_eval_steps = [e["step"] for e in state.log_history if "eval_loss" in e]
            entry_saved = sorted(int(d.name.rsplit("-", 1)[1]) for d in run_dir.glob("checkpoint-*"))
            best_dir = state.best_model_checkpoint if targs.load_best_model_at_end else None
            evaluator = trainer
            if best_dir is not None:
                # transformers 5.18's `_load_best_model` loads the checkpoint with load_state_dict(strict=False) under
                # its file names, which skips the modules transformers 5 renames in memory (ViT's encoder layers):
                # they keep the last update's weights. ved loads the whole best checkpoint, as from_pretrained does.
                best = VisionEncoderDecoderModel.from_pretrained(best_dir)
                best.train = lambda mode=True, m=best: m
                evaluator = Trainer(model=best, args=targs, eval_dataset=[pick(k) for k in evaluate], data_collator=collate)
            metrics = evaluator.evaluate()
            # The final weights under the checkpoint's names (transformers 5 renames ViT's modules in memory).
            if best_dir is not None:
                final = load_file(str(Path(best_dir) / "model.safetensors"))
            else:
                model.save_pretrained(run_dir / "final")
                final = load_file(str(run_dir / "final" / "model.safetensors"))
        except Exception as e:  # Python's refusal: ved must refuse too
            entry["error"] = f"{type(e).__name__}: {str(e)[:300]}"
            runs.append(entry)
            shutil.rmtree(run_dir, ignore_errors=True)
            continue
        shutil.rmtree(run_dir, ignore_errors=True)
        logs = [e for e in state.log_history if "loss" in e]
        entry["steps"] = [{"step": e["step"], "loss": e["loss"], "grad_norm": None if e.get("grad_norm") is None else float(e["grad_norm"]),
                           "learning_rate": e["learning_rate"]} for e in logs]
        entry["eval_loss"] = metrics["eval_loss"]
        entry["evals"] = in_loop + [metrics["eval_loss"]]
        entry["eval_steps_at"] = entry_eval_steps
        entry["saved_steps"] = entry_saved
        entry["global_step"] = state.global_step
        entry["best_metric"] = state.best_metric
        entry["best_global_step"] = state.best_global_step
        entry["best_model_step"] = None if state.best_model_checkpoint is None else int(state.best_model_checkpoint.rsplit("-", 1)[1])
        entry["max_steps"] = state.max_steps
        for k, value in final.items():
            changes[f"{i}.{k}"] = (value - initial[k]).contiguous()
        runs.append(entry)
        if not all(math.isfinite(s["loss"]) for s in entry["steps"]):
            entry["non_finite"] = True
    (out_dir / "index.json").write_text(json.dumps({"seed": seed, "model": str(MODEL), "runs": runs}, indent=1) + "\n")
    save_file(changes, str(out_dir / "changes.safetensors"))
    errs = sum("error" in e for e in runs)
    print(f"{n} runs, {n - errs} trained, {errs} refused by Python")


if __name__ == "__main__":
    main()
