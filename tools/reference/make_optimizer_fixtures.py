#!/usr/bin/env python
"""Fixtures for @ved/training's optimizers, clipping, schedules and weight-decay groups (issue 14).

  .venv-ref/bin/python tools/reference/make_optimizer_fixtures.py

Writes fixtures/optim/:
  optimizers.json / optimizers.safetensors
      torch.optim.AdamW and torch.optim.SGD (torch 2.13, CPU, float32) run for 5 steps on fixed synthetic
      parameters and gradients, with a learning rate that changes every step and two parameter groups
      (weight decay on the first, none on the second, as HF Trainer groups them). For each case:
      `<case>.<param>.init`, `<case>.<param>.grad.<k>` (gradient of step k, 1-based), and after each step
      `<case>.<param>.step.<k>` plus the optimizer state (`.exp_avg.<k>`, `.exp_avg_sq.<k>`,
      `.momentum_buffer.<k>`).
  adafactor.json / adafactor.safetensors
      transformers.optimization.Adafactor as HF Trainer builds it for optim="adafactor" (scale_parameter and
      relative_step off, the rate from the schedule), 7 steps over a 4-D, a 2-D and a 1-D parameter, with and
      without weight decay: parameters and the second-moment buffers after each step.
  clipping.json / clipping.safetensors
      torch.nn.utils.clip_grad_norm_ on fixed gradients: total norm and clipped gradients per max_norm.
  schedules.json
      transformers.get_scheduler (optimization.py) rates for every update of a 10-step run, as HF Trainer
      reads them (get_last_lr() after optimizer.step(), before lr_scheduler.step()), 12 updates: every
      LambdaLR schedule, with lr_scheduler_kwargs; and the kwargs get_scheduler refuses, with its message.
      (`make_optimizer_fixtures.py --schedules` writes this file alone.)
  targets.json
      Target texts as the Trainer tokenizes them: tokenizer(text).input_ids and
      tokenizer(text, max_length=N, truncation=True).input_ids, for tokenizers with and without special tokens.
  train/
      A tiny composed checkpoint (ViT 16px, hidden 12 + GPT-2 n_embd 16, so enc_to_dec_proj; tied LM head),
      with the tokenizer and processor of fixtures/models/vit-gpt2-a, a 6-line manifest (manifest.jsonl) of
      fixtures/images, and reference.json / changes.safetensors: HF Trainer (transformers 5.18 `Trainer.train`,
      accelerate) run for 5 updates on that manifest in manifest order (`train_sampling_strategy="sequential"`),
      the model kept in eval mode (no dropout), for two cases: SGD with momentum and weight decay, and AdamW with
      clipping, accumulation 2 (3 batches per epoch, so every second update takes the remaining batch) and a
      linear schedule with warmup. Per update: loss, grad_norm, learning_rate as log_history has them; and for
      every parameter its change over the 5 updates (final − initial). The Trainer runs with
      `model_accepts_loss_kwargs = False`: VisionEncoderDecoderModel.forward takes **kwargs, so 5.18 would pass
      `num_items_in_batch` (which its loss ignores) and skip the division of each micro-batch loss by the
      accumulation steps; ved follows the division (`training_step`'s path for models without loss kwargs).
  decay.json
      Trainer.get_decay_parameter_names on tiny VisionEncoderDecoder models of every encoder and decoder
      family: every parameter's name, shape and whether it is decayed.
"""
from __future__ import annotations

import json
import os
import random
import shutil
import sys
import warnings
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
warnings.filterwarnings("ignore")

import torch  # noqa: E402
from safetensors.torch import load_file, save_file  # noqa: E402
from transformers import (  # noqa: E402
    AutoTokenizer,
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
    get_scheduler,
)
from transformers.trainer import Trainer  # noqa: E402
from transformers.utils import logging as hf_logging  # noqa: E402

hf_logging.set_verbosity_error()
torch.set_num_threads(1)

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "fixtures" / "optim"
STEPS = 5
# One rate per step (a schedule's values: warmup, then decay), so the bias corrections meet a changing rate.
LRS = [0.0, 1e-3, 2e-3, 1.5e-3, 5e-4]
SHAPES = {"w": (6, 5), "b": (5,)}  # "w" is decayed, "b" (a bias) is not


def synthetic(seed: int):
    g = torch.Generator().manual_seed(seed)
    params = {n: torch.randn(s, generator=g) for n, s in SHAPES.items()}
    # Gradients of several magnitudes, some entries tiny, so eps and the bias corrections matter.
    grads = [{n: torch.randn(s, generator=g) * (0.1 ** (k % 3)) for n, s in SHAPES.items()} for k in range(STEPS)]
    return params, grads


OPTIMIZER_CASES = [
    ("adamw", "adamw", dict(betas=(0.9, 0.999), eps=1e-8, weight_decay=0.01)),
    ("adamw_low_beta1", "adamw", dict(betas=(0.3, 0.99), eps=1e-6, weight_decay=0.1)),
    ("adamw_no_decay", "adamw", dict(betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0)),
    ("sgd", "sgd", dict(momentum=0.0, weight_decay=0.0)),
    ("sgd_momentum", "sgd", dict(momentum=0.9, weight_decay=0.01)),
    ("sgd_nesterov", "sgd", dict(momentum=0.9, nesterov=True, weight_decay=0.0)),
    ("sgd_dampening", "sgd", dict(momentum=0.5, dampening=0.1, weight_decay=0.05)),
    ("rmsprop", "rmsprop", dict(weight_decay=0.0)),
    ("rmsprop_momentum", "rmsprop", dict(alpha=0.9, eps=1e-6, momentum=0.9, weight_decay=0.01)),
    ("rmsprop_centered", "rmsprop", dict(alpha=0.95, momentum=0.5, centered=True, weight_decay=0.05)),
    ("rmsprop_centered_small_alpha", "rmsprop", dict(alpha=0.3, centered=True, weight_decay=0.0)),
    ("adagrad", "adagrad", dict(weight_decay=0.0)),
    ("adagrad_decay", "adagrad", dict(lr_decay=0.1, eps=1e-6, weight_decay=0.01)),
]
OPTIMIZER_CLASSES = {"adamw": torch.optim.AdamW, "sgd": torch.optim.SGD, "rmsprop": torch.optim.RMSprop, "adagrad": torch.optim.Adagrad}


def record_steps(tensors, name, opt, params, init, grads, lrs, keep):
    """Runs `opt` one step per rate of `lrs` with the given gradients, recording the initial parameters, each
    step's gradients, parameters and the optimizer's state buffers that `keep(key, value)` selects."""
    for n, t in init.items():
        tensors[f"{name}.{n}.init"] = t.clone()
    for k, lr in enumerate(lrs):
        for group in opt.param_groups:
            group["lr"] = lr
        for n, p in params.items():
            p.grad = grads[k][n].clone()
            tensors[f"{name}.{n}.grad.{k + 1}"] = grads[k][n].clone()
        opt.step()
        for n, p in params.items():
            tensors[f"{name}.{n}.step.{k + 1}"] = p.detach().clone()
            for key, value in opt.state[p].items():
                if keep(key, value):
                    tensors[f"{name}.{n}.{key}.{k + 1}"] = value.detach().clone()


def make_optimizers():
    tensors: dict[str, torch.Tensor] = {}
    cases = []
    for i, (name, kind, kwargs) in enumerate(OPTIMIZER_CASES):
        init, grads = synthetic(100 + i)
        params = {n: torch.nn.Parameter(t.clone()) for n, t in init.items()}
        decay = kwargs.pop("weight_decay")
        groups = [{"params": [params["w"]], "weight_decay": decay}, {"params": [params["b"]], "weight_decay": 0.0}]
        opt = OPTIMIZER_CLASSES[kind](groups, lr=LRS[0], **kwargs)
        record_steps(tensors, name, opt, params, init, grads, LRS[:STEPS], lambda key, value: key != "step" and isinstance(value, torch.Tensor))
        cases.append({"name": name, "optimizer": kind, "weight_decay": decay, **{k: (list(v) if isinstance(v, tuple) else v) for k, v in kwargs.items()}})
    save_file(tensors, OUT / "optimizers.safetensors")
    (OUT / "optimizers.json").write_text(json.dumps({"steps": STEPS, "lrs": LRS, "params": {n: list(s) for n, s in SHAPES.items()}, "decayed": ["w"], "cases": cases}, indent=1) + "\n")


ADAFACTOR_SHAPES = {"conv": (3, 2, 4, 5), "w": (6, 5), "b": (5,)}  # "b" (a bias) is not decayed
ADAFACTOR_LRS = [0.0, 1e-2, 2e-2, 1.5e-2, 5e-3, 1e-2, 3e-3]
ADAFACTOR_CASES = [("adafactor", 0.0), ("adafactor_decay", 0.01)]


def make_adafactor():
    """transformers.optimization.Adafactor as HF Trainer builds it for optim="adafactor" (trainer_optimizer.py,
    _get_adafactor: scale_parameter=False, relative_step=False, lr from the schedule, the two decay groups), over a
    4-D (conv), a 2-D and a 1-D parameter: factored second moments for the first two, a full one for the bias."""
    from transformers.optimization import Adafactor

    tensors: dict[str, torch.Tensor] = {}
    cases = []
    for i, (name, decay) in enumerate(ADAFACTOR_CASES):
        g = torch.Generator().manual_seed(300 + i)
        init = {n: torch.randn(s, generator=g) for n, s in ADAFACTOR_SHAPES.items()}
        grads = [{n: torch.randn(s, generator=g) * (0.1 ** (k % 3)) for n, s in ADAFACTOR_SHAPES.items()} for k in range(len(ADAFACTOR_LRS))]
        params = {n: torch.nn.Parameter(t.clone()) for n, t in init.items()}
        groups = [{"params": [params["conv"], params["w"]], "weight_decay": decay}, {"params": [params["b"]], "weight_decay": 0.0}]
        opt = Adafactor(groups, lr=ADAFACTOR_LRS[0], scale_parameter=False, relative_step=False)
        record_steps(tensors, name, opt, params, init, grads, ADAFACTOR_LRS, lambda key, value: key.startswith("exp_avg"))
        cases.append({"name": name, "weight_decay": decay})
    save_file(tensors, OUT / "adafactor.safetensors")
    (OUT / "adafactor.json").write_text(json.dumps({"lrs": ADAFACTOR_LRS, "params": {n: list(s) for n, s in ADAFACTOR_SHAPES.items()}, "decayed": ["conv", "w"], "cases": cases}, indent=1) + "\n")


def make_clipping():
    g = torch.Generator().manual_seed(7)
    shapes = {"a": (13, 7), "b": (7,), "c": (3, 2, 4)}
    grads = {n: torch.randn(s, generator=g) * sc for (n, s), sc in zip(shapes.items(), (0.3, 2.0, 0.01))}
    tensors = {f"grad.{n}": t.clone() for n, t in grads.items()}
    cases = []
    for max_norm in (0.5, 1.0, 100.0):
        params = {n: torch.nn.Parameter(torch.zeros_like(t)) for n, t in grads.items()}
        for n, p in params.items():
            p.grad = grads[n].clone()
        total = torch.nn.utils.clip_grad_norm_(list(params.values()), max_norm)
        for n, p in params.items():
            tensors[f"clipped.{max_norm}.{n}"] = p.grad.clone()
        cases.append({"max_norm": max_norm, "total_norm": total.item()})
    save_file(tensors, OUT / "clipping.safetensors")
    (OUT / "clipping.json").write_text(json.dumps({"shapes": {n: list(s) for n, s in shapes.items()}, "cases": cases}, indent=1) + "\n")


SCHEDULE_CASES = [
    # (lr_scheduler_type, lr_scheduler_kwargs): every LambdaLR schedule of get_scheduler, with and without its kwargs
    ("constant", {}), ("constant_with_warmup", {}), ("linear", {}), ("cosine", {}), ("cosine", {"num_cycles": 1.5}),
    ("cosine_with_restarts", {}), ("cosine_with_restarts", {"num_cycles": 3}),
    ("polynomial", {}), ("polynomial", {"lr_end": 1e-6, "power": 2.0}), ("polynomial", {"power": 0.5}),
    ("inverse_sqrt", {}), ("inverse_sqrt", {"timescale": 4}),
    ("cosine_with_min_lr", {"min_lr": 1e-6}), ("cosine_with_min_lr", {"min_lr_rate": 0.1, "num_cycles": 0.75}),
    ("cosine_warmup_with_min_lr", {"min_lr_rate": 0.05}), ("cosine_warmup_with_min_lr", {"min_lr": 2e-6, "warmup_lr_rate": 0.2}),
    ("warmup_stable_decay", {"num_decay_steps": 4}),
    ("warmup_stable_decay", {"num_decay_steps": 3, "num_stable_steps": 2, "warmup_type": "cosine", "decay_type": "linear", "min_lr_ratio": 0.1}),
    ("warmup_stable_decay", {"num_decay_steps": 5, "warmup_type": "1-sqrt", "decay_type": "1-sqrt", "min_lr_ratio": 0.2}),
    ("warmup_stable_decay", {"num_decay_steps": 4, "decay_type": "cosine", "num_cycles": 1.0}),
]
# Refused by get_scheduler (the message is recorded; ved must refuse too).
SCHEDULE_ERRORS = [
    ("polynomial", {"lr_end": 1e-4}), ("cosine_with_min_lr", {}), ("cosine_with_min_lr", {"min_lr": 1e-6, "min_lr_rate": 0.1}),
    ("cosine_warmup_with_min_lr", {}), ("warmup_stable_decay", {}), ("warmup_stable_decay", {"num_decay_steps": 2, "warmup_type": "exp"}),
    ("warmup_stable_decay", {"num_decay_steps": 2, "decay_type": "step"}), ("cosine", {"power": 2.0}), ("linear", {"num_cycles": 2}),
    ("reduce_lr_on_plateau", {"factor": 1.0}), ("reduce_lr_on_plateau", {"mode": "up"}), ("reduce_lr_on_plateau", {"num_cycles": 2}),
    ("greedy", {"factor": 1.0}), ("greedy", {"mode": "up"}), ("greedy", {"threshold_mode": "x"}), ("greedy", {"num_cycles": 2}),
]
# GreedyLR (greedy): the rate after each step(metric) of a metric sequence that improves, stalls, worsens and improves
# again, for settings that raise and lower the rate, smooth, cool down, warm up and reset.
GREEDY_METRICS = [5.0, 4.8, 4.6, 4.5, 4.3, 4.2, 4.1, 4.0, 4.05, 4.1, 4.0, 4.2, 4.3, 4.25, 4.4, 4.5, 4.45, 4.6,
                  3.9, 3.7, 3.5, 3.4, 3.3, 3.2, 3.25, 3.3, 3.35, 3.4, 3.45, 3.5]
GREEDY_CASES = [
    {},
    {"patience": 2, "factor": 0.5, "min_lr": 1e-6, "max_lr": 1e-3},
    {"patience": 1, "factor": 0.8, "min_lr": 1e-6, "cooldown": 2, "warmup": 1, "threshold": 0.02},
    {"patience": 1, "factor": 0.5, "min_lr": 1e-6, "smooth": True, "window_size": 3},
    {"patience": 0, "factor": 0.5, "min_lr": 2e-5, "reset_start": 2},
    {"mode": "max", "patience": 0, "factor": 0.5, "min_lr": 1e-5, "reset_start": 2, "cooldown": 1},
    {"mode": "max", "patience": 1, "factor": 0.7, "min_lr": 1e-6, "threshold": 0.01, "threshold_mode": "rel", "eps": 1e-7},
]


def make_schedules():
    out = []
    for name, kwargs in SCHEDULE_CASES:
        for warmup in (0, 3):
            opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=5e-5)
            sched = get_scheduler(name, opt, num_warmup_steps=warmup, num_training_steps=10, scheduler_specific_kwargs=dict(kwargs))
            rates = []
            for _ in range(12):
                opt.step()
                rates.append(sched.get_last_lr()[0])
                sched.step()
            case = {"type": name, "learning_rate": 5e-5, "warmup_steps": warmup, "total_steps": 10, "rates": rates}
            if kwargs:
                case["kwargs"] = kwargs
            out.append(case)
    for name, kwargs in SCHEDULE_ERRORS:
        opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=5e-5)
        try:
            get_scheduler(name, opt, num_warmup_steps=2, num_training_steps=10, scheduler_specific_kwargs=dict(kwargs))
        except (TypeError, ValueError) as e:
            out.append({"type": name, "learning_rate": 5e-5, "warmup_steps": 2, "total_steps": 10, "kwargs": kwargs, "error": f"{type(e).__name__}: {e}"})
        else:
            raise AssertionError(f"{name} {kwargs} was expected to fail")
    # ReduceLROnPlateau (reduce_lr_on_plateau): the rate after each step(metric) of a fixed metric sequence.
    metrics = [5.0, 4.9, 4.95, 4.2, 4.21, 4.22, 4.23, 3.0, 3.1, 3.2, 3.3, 3.4, 3.5, 3.6]
    for kwargs in [{}, {"patience": 1, "factor": 0.5}, {"patience": 0, "cooldown": 2, "factor": 0.3, "min_lr": 1e-5},
                   {"mode": "max", "patience": 1, "threshold": 0.1, "threshold_mode": "abs"}, {"patience": 0, "threshold": 0.05, "eps": 1e-3}]:
        opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=5e-5 if "eps" not in kwargs else 5e-3)
        sched = get_scheduler("reduce_lr_on_plateau", opt, num_warmup_steps=0, num_training_steps=10, scheduler_specific_kwargs=dict(kwargs))
        rates = []
        for m in metrics:
            sched.step(m)
            rates.append(opt.param_groups[0]["lr"])
        out.append({"type": "reduce_lr_on_plateau", "learning_rate": opt.defaults["lr"], "warmup_steps": 0, "total_steps": 10, "kwargs": kwargs, "metrics": metrics, "rates_after": rates})
    for kwargs in GREEDY_CASES:
        opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=5e-5)
        sched = get_scheduler("greedy", opt, num_warmup_steps=0, num_training_steps=10, scheduler_specific_kwargs=dict(kwargs))
        rates = []
        for m in GREEDY_METRICS:
            sched.step(m)
            rates.append(opt.param_groups[0]["lr"])
        out.append({"type": "greedy", "learning_rate": 5e-5, "warmup_steps": 0, "total_steps": 10, "kwargs": kwargs, "metrics": GREEDY_METRICS, "rates_after": rates})
    (OUT / "schedules.json").write_text(json.dumps(out, indent=1) + "\n")


TINY_ENCODERS = {
    "vit": ViTConfig(image_size=16, patch_size=8, hidden_size=8, num_hidden_layers=1, num_attention_heads=2, intermediate_size=8),
    "deit": DeiTConfig(image_size=16, patch_size=8, hidden_size=8, num_hidden_layers=1, num_attention_heads=2, intermediate_size=8),
    "beit": BeitConfig(image_size=16, patch_size=8, hidden_size=8, num_hidden_layers=1, num_attention_heads=2, intermediate_size=8,
                       use_relative_position_bias=True, layer_scale_init_value=0.1),
    "swin": SwinConfig(image_size=16, patch_size=4, embed_dim=4, depths=[1, 1], num_heads=[1, 2], window_size=2),
    "donut-swin": DonutSwinConfig(image_size=16, patch_size=4, embed_dim=4, depths=[1, 1], num_heads=[1, 2], window_size=2),
}
TINY_DECODERS = {
    "gpt2": GPT2Config(n_embd=8, n_head=2, n_layer=1, n_positions=16, vocab_size=20, add_cross_attention=True),
    "bert": BertConfig(hidden_size=8, num_hidden_layers=1, num_attention_heads=2, intermediate_size=8, vocab_size=20,
                       max_position_embeddings=16, is_decoder=True, add_cross_attention=True),
    "roberta": RobertaConfig(hidden_size=8, num_hidden_layers=1, num_attention_heads=2, intermediate_size=8, vocab_size=20,
                             max_position_embeddings=18, is_decoder=True, add_cross_attention=True),
    "bart": BartConfig(d_model=8, decoder_layers=1, encoder_layers=1, decoder_attention_heads=2, encoder_attention_heads=2,
                       decoder_ffn_dim=8, encoder_ffn_dim=8, vocab_size=20, max_position_embeddings=16, is_decoder=True,
                       add_cross_attention=True),
    "mbart": MBartConfig(d_model=8, decoder_layers=1, encoder_layers=1, decoder_attention_heads=2, encoder_attention_heads=2,
                         decoder_ffn_dim=8, encoder_ffn_dim=8, vocab_size=20, max_position_embeddings=16, is_decoder=True,
                         add_cross_attention=True),
    "trocr": TrOCRConfig(d_model=8, decoder_layers=1, decoder_attention_heads=2, decoder_ffn_dim=8, vocab_size=20,
                         max_position_embeddings=16, layernorm_embedding=True),
}
DECAY_PAIRS = [("vit", "gpt2"), ("deit", "trocr"), ("beit", "bert"), ("swin", "roberta"), ("donut-swin", "bart"), ("vit", "mbart")]


def make_decay():
    out = []
    for enc, dec in DECAY_PAIRS:
        config = VisionEncoderDecoderConfig.from_encoder_decoder_configs(TINY_ENCODERS[enc], TINY_DECODERS[dec])
        model = VisionEncoderDecoderModel(config=config)
        decayed = set(Trainer.get_decay_parameter_names(None, model))
        params = [{"name": n, "shape": list(p.shape), "decay": n in decayed} for n, p in model.named_parameters()]
        out.append({"encoder": enc, "decoder": dec, "parameters": params})
    (OUT / "decay.json").write_text(json.dumps(out, indent=0) + "\n")


TARGET_TOKENIZERS = ["models/vit-gpt2-a", "decoders/vit-bert", "decoders/vit-bart", "decoders/vit-roberta", "decoders/vit-trocr"]
TARGET_TEXTS = ["hello world", "The quick brown fox jumps over the lazy dog.", "a", "  spaces  and\ttabs ", "Ünïcödé 42 €"]


def make_targets():
    out = []
    for path in TARGET_TOKENIZERS:
        tok = AutoTokenizer.from_pretrained(ROOT / "fixtures" / path)
        cases = []
        for text in TARGET_TEXTS:
            case = {"text": text, "input_ids": tok(text).input_ids}
            for n in (3, 5):
                case[f"max_length_{n}"] = tok(text, max_length=n, truncation=True).input_ids
            cases.append(case)
        out.append({"tokenizer": f"fixtures/{path}", "cases": cases})
    (OUT / "targets.json").write_text(json.dumps(out, indent=1, ensure_ascii=False) + "\n")


TRAIN_TEXTS = ["hello", "world", "a b c", "the end", "xyz", "ok then"]
TRAIN_IMAGES = ["rgb_17x53.png", "rgb_40x30.png", "rgb_48x36.jpg", "rgb_64x20.png", "rgb_17x53.png", "rgb_40x30.png"]
TRAIN_CASES = {
    "sgd": dict(optim="sgd", optim_args="momentum=0.9", learning_rate=0.5, weight_decay=0.01, max_grad_norm=0.0,
                lr_scheduler_type="constant", warmup_steps=0, gradient_accumulation_steps=1, per_device_train_batch_size=2),
    "adamw": dict(optim="adamw_torch", learning_rate=5e-3, weight_decay=0.01, max_grad_norm=0.5, lr_scheduler_type="linear",
                  warmup_steps=2, gradient_accumulation_steps=2, per_device_train_batch_size=2),
    # HF Trainer's LabelSmoother instead of the model's loss (labels popped from the inputs, so the collator also
    # gives decoder_input_ids, as DataCollatorForSeq2Seq does with prepare_decoder_input_ids_from_labels), with a
    # cosine schedule that restarts and its kwargs.
    "adamw_smooth": dict(optim="adamw_torch", learning_rate=5e-3, weight_decay=0.01, max_grad_norm=0.5, lr_scheduler_type="cosine_with_restarts",
                         lr_scheduler_kwargs={"num_cycles": 2}, warmup_steps=1, gradient_accumulation_steps=2, per_device_train_batch_size=2,
                         label_smoothing_factor=0.1),
    # transformers' Adafactor as the Trainer builds it (scale_parameter and relative_step off), with decay and clipping.
    # GPT-2's fused query/key/value biases are frozen: their key part has a zero gradient in exact arithmetic, which
    # each side holds as float noise, and Adafactor's update clipping (the root mean square of a tensor's update)
    # would carry that noise into the query and value parts (`freeze` is not a TrainingArguments field: the
    # parameters get requires_grad=False, as ved's `freeze` option does).
    # ReduceLROnPlateau: HF Trainer steps it with eval_loss after each scheduled evaluation (here every update, on
    # four examples); with patience 0 and a threshold that needs a clear improvement, the rate halves along the run.
    "adamw_plateau": dict(optim="adamw_torch", learning_rate=2e-2, weight_decay=0.0, max_grad_norm=1.0, lr_scheduler_type="reduce_lr_on_plateau",
                          lr_scheduler_kwargs={"patience": 0, "factor": 0.5, "threshold": 0.06}, warmup_steps=0, gradient_accumulation_steps=1,
                          per_device_train_batch_size=2, eval_strategy="steps", eval_steps=1, per_device_eval_batch_size=2,
                          eval_examples=[0, 1, 2, 3]),
    # load_best_model_at_end with EarlyStoppingCallback: an evaluation every update, a checkpoint every second one, a
    # rate high enough that the evaluation loss turns up. "adamw_best": an improvement of less than the threshold counts
    # as none, training stops at update 10 and the weights of update 8 (best, saved) come back. "adamw_best_unsaved":
    # the best evaluation is update 1's, which was not saved, so there is no best checkpoint to load back (the weights
    # stay those of update 3, where training stops).
    "adamw_best": dict(optim="adamw_torch", learning_rate=0.06, weight_decay=0.0, max_grad_norm=1.0, lr_scheduler_type="constant",
                       warmup_steps=0, gradient_accumulation_steps=1, per_device_train_batch_size=2, eval_strategy="steps", eval_steps=1,
                       per_device_eval_batch_size=2, eval_examples=[0, 1, 2, 3], save_strategy="steps", save_steps=2, max_steps=12,
                       load_best_model_at_end=True, metric_for_best_model="loss", early_stopping_patience=3,
                       early_stopping_threshold=0.2),
    "adamw_best_unsaved": dict(optim="adamw_torch", learning_rate=0.06, weight_decay=0.0, max_grad_norm=1.0, lr_scheduler_type="constant",
                               warmup_steps=0, gradient_accumulation_steps=1, per_device_train_batch_size=2, eval_strategy="steps",
                               eval_steps=1, per_device_eval_batch_size=2, eval_examples=[0, 1, 2, 3], save_strategy="steps", save_steps=2,
                               max_steps=12, load_best_model_at_end=True, early_stopping_patience=2),
    # The same with save_strategy="best": update 1 is saved as the best when it is evaluated, so it is loaded back.
    "adamw_save_best": dict(optim="adamw_torch", learning_rate=0.06, weight_decay=0.0, max_grad_norm=1.0, lr_scheduler_type="constant",
                            warmup_steps=0, gradient_accumulation_steps=1, per_device_train_batch_size=2, eval_strategy="steps",
                            eval_steps=1, per_device_eval_batch_size=2, eval_examples=[0, 1, 2, 3], save_strategy="best",
                            max_steps=12, load_best_model_at_end=True, early_stopping_patience=2),
    # GreedyLR: stepped with eval_loss after each evaluation like the plateau, its rate doubling after an improvement
    # and halving after a setback (patience 0).
    "adamw_greedy": dict(optim="adamw_torch", learning_rate=2e-2, weight_decay=0.0, max_grad_norm=1.0, lr_scheduler_type="greedy",
                         lr_scheduler_kwargs={"patience": 0, "factor": 0.5, "min_lr": 1e-4, "max_lr": 0.2}, warmup_steps=0,
                         gradient_accumulation_steps=1, per_device_train_batch_size=2, eval_strategy="steps", eval_steps=1,
                         per_device_eval_batch_size=2, eval_examples=[0, 1, 2, 3], max_steps=8),
    # eval_strategy / save_strategy "epoch" (DefaultFlowCallback.on_epoch_end): 6 examples in batches of 2 with
    # accumulation 2 make epochs of 2 updates (the second takes the remaining batch); the evaluations start at epoch 2
    # (eval_delay, in epochs), the loss turns up after update 4, training stops at update 8 of 16 and update 4's
    # checkpoint comes back.
    "adamw_epoch": dict(optim="adamw_torch", learning_rate=0.15, weight_decay=0.0, max_grad_norm=1.0, lr_scheduler_type="constant",
                        warmup_steps=0, gradient_accumulation_steps=2, per_device_train_batch_size=2, eval_strategy="epoch",
                        eval_delay=2, per_device_eval_batch_size=2, eval_examples=[0, 1, 2, 3], save_strategy="epoch", max_steps=-1,
                        num_train_epochs=8, load_best_model_at_end=True, early_stopping_patience=2),
    # Mixed strategies: an evaluation every epoch, a checkpoint every 3 updates, 4.5 epochs (training ends inside the
    # fifth, where on_epoch_end evaluates once more). Update 6's evaluation, a new best, comes after its checkpoint:
    # Python names checkpoint-6 the best only at the next save (update 9, whose own best evaluation comes after it).
    "adamw_epoch_mixed": dict(optim="adamw_torch", learning_rate=0.12, weight_decay=0.0, max_grad_norm=1.0, lr_scheduler_type="linear",
                              warmup_steps=0, gradient_accumulation_steps=2, per_device_train_batch_size=2, eval_strategy="epoch",
                              per_device_eval_batch_size=2, eval_examples=[0, 1, 2, 3], save_strategy="steps", save_steps=3,
                              max_steps=-1, num_train_epochs=4.5, metric_for_best_model="loss", early_stopping_patience=3),
    # eval_steps and save_steps as ratios of max_steps (TrainerState.compute_steps: ceil(8 × 0.25) = 2, ceil(8 × 0.5) = 4).
    "adamw_ratio": dict(optim="adamw_torch", learning_rate=0.06, weight_decay=0.0, max_grad_norm=1.0, lr_scheduler_type="constant",
                        warmup_steps=0, gradient_accumulation_steps=1, per_device_train_batch_size=2, eval_strategy="steps",
                        eval_steps=0.25, per_device_eval_batch_size=2, eval_examples=[0, 1, 2, 3], save_strategy="steps",
                        save_steps=0.5, max_steps=8, load_best_model_at_end=True),
    # logging_steps / logging_first_step / logging_strategy: log_history entries with the mean loss of the updates
    # since the last entry and the last update's rate and norm (8 updates: logged after 1, 3, 6; epochs of 3 updates
    # with logging_strategy "epoch" over 2.5 epochs: after 3, 6 and 8, where training stops inside the third).
    "adamw_logging": dict(optim="adamw_torch", learning_rate=5e-3, weight_decay=0.01, max_grad_norm=0.5, lr_scheduler_type="linear",
                          warmup_steps=1, gradient_accumulation_steps=1, per_device_train_batch_size=2, logging_steps=3,
                          logging_first_step=True, max_steps=8),
    "adamw_log_epoch": dict(optim="adamw_torch", learning_rate=5e-3, weight_decay=0.01, max_grad_norm=0.5, lr_scheduler_type="linear",
                            warmup_steps=1, gradient_accumulation_steps=1, per_device_train_batch_size=2, logging_strategy="epoch",
                            max_steps=-1, num_train_epochs=2.5),
    # Two evaluation sets by name (eval_dataset as a dict): each evaluated in turn and logged as eval_<name>_loss; the
    # best model and early stopping follow the second set's loss (best_metric is its loss, not the first set's).
    "adamw_eval_sets": dict(optim="adamw_torch", learning_rate=0.03, weight_decay=0.0, max_grad_norm=1.0, lr_scheduler_type="constant",
                            warmup_steps=0, gradient_accumulation_steps=1, per_device_train_batch_size=2, eval_strategy="steps", eval_steps=1,
                            per_device_eval_batch_size=2, eval_sets={"val": [0, 1, 2, 3], "held": [4, 5]}, save_strategy="steps", save_steps=2,
                            max_steps=12, load_best_model_at_end=True, metric_for_best_model="eval_held_loss", early_stopping_patience=3),
    # Shuffled epochs (train_sampling_strategy "random"): accelerate's SeedableRandomSampler draws each epoch's order
    # with torch.randperm from a generator seeded with data_seed (else seed) + epoch.
    "adamw_shuffle": dict(optim="adamw_torch", learning_rate=5e-3, weight_decay=0.01, max_grad_norm=0.5, lr_scheduler_type="linear",
                          warmup_steps=1, gradient_accumulation_steps=2, per_device_train_batch_size=2, train_sampling_strategy="random",
                          seed=5, max_steps=-1, num_train_epochs=3),
    "sgd_shuffle_data_seed": dict(optim="sgd", optim_args="momentum=0.9", learning_rate=0.3, weight_decay=0.0, max_grad_norm=1.0,
                                  lr_scheduler_type="constant", warmup_steps=0, gradient_accumulation_steps=1, per_device_train_batch_size=4,
                                  train_sampling_strategy="random", seed=3, data_seed=11, max_steps=-1, num_train_epochs=3),
    # train_sampling_strategy "group_by_length" (LengthGroupedSampler, lengths = len(labels) through an input_ids key):
    # each epoch a torch.randperm from the global generator, after the base seed each DataLoader iterator draws from
    # it — the training loader's per epoch and every evaluation's, eval_on_start's included.
    "adamw_group_by_length": dict(optim="adamw_torch", learning_rate=5e-3, weight_decay=0.01, max_grad_norm=0.5, lr_scheduler_type="linear",
                                  warmup_steps=1, gradient_accumulation_steps=1, per_device_train_batch_size=2,
                                  train_sampling_strategy="group_by_length", seed=7, max_steps=-1, num_train_epochs=3,
                                  eval_strategy="steps", eval_steps=2, eval_on_start=True, per_device_eval_batch_size=2, eval_examples=[0, 1]),
    "sgd_group_by_length_sets": dict(optim="sgd", optim_args="momentum=0.9", learning_rate=0.3, weight_decay=0.0, max_grad_norm=1.0,
                                     lr_scheduler_type="constant", warmup_steps=0, gradient_accumulation_steps=2, per_device_train_batch_size=1,
                                     train_sampling_strategy="group_by_length", seed=12, max_steps=-1, num_train_epochs=4,
                                     eval_strategy="epoch", per_device_eval_batch_size=2, eval_sets={"val": [0, 1, 2], "held": [4, 5]}),
    # torch.optim's RMSprop (centered, with momentum) and Adagrad (with lr_decay), as HF Trainer builds them from optim_args.
    "rmsprop": dict(optim="rmsprop", optim_args="momentum=0.5,centered=True,alpha=0.9", learning_rate=2e-3, weight_decay=0.01, max_grad_norm=1.0,
                    lr_scheduler_type="linear", warmup_steps=1, gradient_accumulation_steps=1, per_device_train_batch_size=2),
    "adagrad": dict(optim="adagrad", optim_args="lr_decay=0.05,eps=1e-8", learning_rate=2e-2, weight_decay=0.01, max_grad_norm=1.0,
                    lr_scheduler_type="constant", warmup_steps=0, gradient_accumulation_steps=2, per_device_train_batch_size=2),
    "adafactor": dict(optim="adafactor", learning_rate=1e-2, weight_decay=0.01, max_grad_norm=1.0, lr_scheduler_type="linear",
                      warmup_steps=1, gradient_accumulation_steps=1, per_device_train_batch_size=3,
                      freeze=["decoder.transformer.h.0.attn.c_attn.bias", "decoder.transformer.h.0.crossattention.c_attn.bias"]),
}


def make_training():
    from PIL import Image
    from transformers import AutoImageProcessor, EarlyStoppingCallback, PreTrainedTokenizerFast, Trainer as HfTrainer, TrainingArguments

    out = OUT / "train"
    src = ROOT / "fixtures" / "models" / "vit-gpt2-a"
    out.mkdir(parents=True, exist_ok=True)
    torch.manual_seed(0)
    encoder = ViTConfig(image_size=16, patch_size=8, hidden_size=12, num_hidden_layers=1, num_attention_heads=2, intermediate_size=16,
                        initializer_range=0.2)
    decoder = GPT2Config(n_embd=16, n_head=2, n_layer=1, n_positions=32, vocab_size=300, initializer_range=0.2, bos_token_id=298,
                         eos_token_id=298, pad_token_id=299, add_cross_attention=True, is_decoder=True)
    config = VisionEncoderDecoderConfig.from_encoder_decoder_configs(encoder, decoder)
    config.decoder_start_token_id = 298
    config.pad_token_id = 299
    config.eos_token_id = 298
    model = VisionEncoderDecoderModel(config=config)
    model.save_pretrained(out)
    processor = AutoImageProcessor.from_pretrained(src)
    processor.size = {"height": 16, "width": 16}
    processor.save_pretrained(out)
    tokenizer = PreTrainedTokenizerFast.from_pretrained(src)
    tokenizer.save_pretrained(out)
    for extra in ("special_tokens_map.json", "chat_template.jinja"):
        (out / extra).unlink(missing_ok=True)
    lines = [json.dumps({"image": f"../../images/{img}", "text": text}) for img, text in zip(TRAIN_IMAGES, TRAIN_TEXTS)]
    (out / "manifest.jsonl").write_text("\n".join(lines) + "\n")

    processor = AutoImageProcessor.from_pretrained(out)
    tokenizer = PreTrainedTokenizerFast.from_pretrained(out)
    examples = [
        {"pixel_values": processor(Image.open(ROOT / "fixtures" / "images" / img), return_tensors="pt").pixel_values[0],
         "labels": tokenizer(text).input_ids}
        for img, text in zip(TRAIN_IMAGES, TRAIN_TEXTS)
    ]

    def collate(batch):
        width = max(len(e["labels"]) for e in batch)
        labels = torch.tensor([e["labels"] + [-100] * (width - len(e["labels"])) for e in batch])
        return {"pixel_values": torch.stack([e["pixel_values"] for e in batch]), "labels": labels}

    def collate_with_inputs(batch):
        out = collate(batch)
        out["decoder_input_ids"] = VisionEncoderDecoderModel.prepare_decoder_input_ids_from_labels(model, out["labels"])
        return out

    # The length-grouped orders as the sampler drew them, each with the number of evaluation sets evaluated before
    # it (each took a DataLoader base seed from the same global generator).
    import transformers.trainer_pt_utils as trainer_pt_utils
    from transformers import TrainerCallback

    drawn_orders: list[tuple[int, list[int]]] = []
    evaluated = [0]
    grouped_indices = trainer_pt_utils.get_length_grouped_indices

    def recording_grouped_indices(*a, **k):
        order = grouped_indices(*a, **k)
        if k.get("generator") is None:  # the training sampler's (the evaluation sets' have a generator of their own)
            drawn_orders.append((evaluated[0], list(order)))
        return order

    trainer_pt_utils.get_length_grouped_indices = recording_grouped_indices

    class CountEvaluations(TrainerCallback):
        def on_evaluate(self, args, state, control, **kwargs):
            evaluated[0] += 1

    reference = {"texts": TRAIN_TEXTS, "images": TRAIN_IMAGES, "max_steps": STEPS, "cases": {}}
    changes: dict[str, torch.Tensor] = {}
    for name, kwargs in TRAIN_CASES.items():
        kwargs = dict(kwargs)
        freeze = kwargs.pop("freeze", [])
        eval_examples = kwargs.pop("eval_examples", None)
        eval_sets = kwargs.pop("eval_sets", None)
        patience = kwargs.pop("early_stopping_patience", None)
        threshold = kwargs.pop("early_stopping_threshold", 0.0)
        model = VisionEncoderDecoderModel.from_pretrained(out)
        for n, p in model.named_parameters():
            if n in freeze:
                p.requires_grad_(False)
        model.train = lambda mode=True, m=model: m  # keep eval mode (dropout off) while HF Trainer trains
        initial_saved = load_file(str(out / "model.safetensors"))
        args = TrainingArguments(output_dir=str(out / f".run-{name}"), report_to=[], use_cpu=True, dataloader_num_workers=0,
                                 **({"max_steps": STEPS, "save_strategy": "no", "logging_steps": 1, "seed": 0,
                                     "train_sampling_strategy": "sequential"} | kwargs))
        smoothing = kwargs.get("label_smoothing_factor", 0) != 0
        # LengthGroupedSampler reads each example's length from its input_ids (no processing_class): the labels'. The
        # evaluation sets are length-grouped too (_get_eval_sampler, a generator seeded with data_seed or seed).
        grouped = args.train_sampling_strategy == "group_by_length"
        train_examples = [dict(e, input_ids=e["labels"]) for e in examples] if grouped else examples
        trainer = HfTrainer(model=model, args=args, train_dataset=train_examples, data_collator=collate_with_inputs if smoothing else collate,
                            eval_dataset={n: [train_examples[k] for k in ks] for n, ks in eval_sets.items()} if eval_sets is not None
                            else None if eval_examples is None else [train_examples[k] for k in eval_examples],
                            callbacks=([] if patience is None else [EarlyStoppingCallback(patience, threshold)]) + [CountEvaluations()])
        drawn_orders.clear()
        evaluated[0] = 0
        trainer.model_accepts_loss_kwargs = False
        trainer.train()
        logs = [e for e in trainer.state.log_history if "loss" in e]
        reference["cases"][name] = {
            "args": kwargs | ({"freeze": freeze} if freeze else {}) | ({"eval_sets": eval_sets} if eval_sets else {})
                    | ({"early_stopping_patience": patience, "early_stopping_threshold": threshold} if patience is not None else {}),
            # With logging arguments the log_history's training entries (each a mean over its window), else every update.
            ("logged" if any(k.startswith("logging_") for k in kwargs) else "steps"): [
                {"step": e["step"], "loss": e["loss"], "grad_norm": float(e["grad_norm"]), "learning_rate": e["learning_rate"], "epoch": e["epoch"]}
                for e in logs],
            **({"eval_examples": eval_examples, "eval_losses": [e["eval_loss"] for e in trainer.state.log_history if "eval_loss" in e]} if eval_examples else {}),
            **({"eval_steps_at": [e["step"] for e in trainer.state.log_history if "eval_loss" in e]} if eval_examples else {}),
            # The length-grouped order of each epoch and the evaluation sets evaluated before it; the lengths.
            **({"orders": [o for _, o in drawn_orders], "evaluations_before": [n for n, _ in drawn_orders],
                "lengths": [len(e["labels"]) for e in examples]} if grouped else {}),
            # Named sets: every evaluation in log order, as [update, set, loss].
            **({"eval_log": [[e["step"], n, e[f"eval_{n}_loss"]] for e in trainer.state.log_history for n in eval_sets if f"eval_{n}_loss" in e]}
               if eval_sets else {}),
            **({"global_step": trainer.state.global_step, "best_metric": trainer.state.best_metric, "best_global_step": trainer.state.best_global_step,
                "best_model_step": None if trainer.state.best_model_checkpoint is None else int(trainer.state.best_model_checkpoint.rsplit("-", 1)[1])}
               if args.metric_for_best_model is not None else {}),
            **({"saved_steps": sorted(int(d.name.rsplit("-", 1)[1]) for d in (out / f".run-{name}").glob("checkpoint-*"))}
               if args.save_strategy != "no" else {}),
        }
        # Changes under the checkpoint's names (transformers 5 renames ViT's modules in memory: encoder.layers.0.…
        # holds encoder.encoder.layer.0.…), from the saved weights. With a best checkpoint, its weights: Python's
        # `_load_best_model` loads them with `load_state_dict(strict=False)` under the checkpoint's names, which skips
        # the renamed encoder layers (they keep the last update's values, a transformers 5.18 defect); ved loads
        # them all, as `from_pretrained(best_model_checkpoint)` does.
        if trainer.state.best_model_checkpoint is not None and args.load_best_model_at_end:
            final = load_file(str(Path(trainer.state.best_model_checkpoint) / "model.safetensors"))
        else:
            model.save_pretrained(out / f".run-{name}" / "final")
            final = load_file(str(out / f".run-{name}" / "final" / "model.safetensors"))
        for n, value in final.items():
            changes[f"{name}.{n}"] = (value - initial_saved[n]).contiguous()
        shutil.rmtree(out / f".run-{name}", ignore_errors=True)
    save_file(changes, out / "changes.safetensors")
    (out / "reference.json").write_text(json.dumps(reference, indent=1) + "\n")


def make_randperm():
    """torch.randperm(n, generator=torch.Generator().manual_seed(seed)) for 1,000 (n, seed) pairs: the order HF Trainer's
    SeedableRandomSampler visits a shuffled dataset in. Each permutation as its first and last 8 elements and
    sum(i * p[i]), which any other permutation changes."""
    r = random.Random(20261207)
    cases = []
    for k in range(1000):
        n = r.choice([1, 2, 3, 4, 5, 6, 7, 8, 10, 16, 31, 64, 100, 257, 1000, 4999]) if k % 4 else r.randint(1, 700)
        seed = r.choice([0, 1, 42, 43, 2**31 - 1, 2**31, 2**32 - 1, 2**32, 2**32 + 5, 2**40 + 7, 2**53 - 1]) if k % 3 == 0 else r.randint(0, 10**6)
        perm = torch.randperm(n, generator=torch.Generator().manual_seed(seed)).tolist()
        cases.append({"n": n, "seed": seed, "head": perm[:8], "tail": perm[-8:], "weighted": sum(i * p for i, p in enumerate(perm))})
    (OUT / "randperm.json").write_text(json.dumps({"torch": torch.__version__, "cases": cases}, separators=(",", ":")) + "\n")


def make_length_grouped():
    """get_length_grouped_indices(lengths, batch_size, generator=g) (LengthGroupedSampler's order) for 200 random cases:
    the generator seeded and then advanced by a number of DataLoader base seeds (64-bit random_() draws), as the
    global generator stands at an epoch's start. Lengths with many ties (Python's stable sort keeps their drawn
    order) and sets large enough for several mega-batches. Each order as its first and last 8 elements and
    sum(i * p[i])."""
    from transformers.trainer_pt_utils import get_length_grouped_indices

    r = random.Random(20261208)
    cases = []
    for k in range(200):
        n = r.choice([1, 2, 3, 5, 8, 17, 40, 64, 100, 257, 500]) if k % 3 else r.randint(1, 300)
        spread = r.choice([1, 3, 10, 100])
        lengths = [r.randint(0, spread) for _ in range(n)]
        batch = r.choice([1, 2, 3, 4, 8, 16, 32])
        seed, draws = r.randint(0, 2**32 - 1), r.choice([0, 1, 2, 3, 7])
        g = torch.Generator().manual_seed(seed)
        for _ in range(draws):
            torch.empty((), dtype=torch.int64).random_(generator=g)
        order = get_length_grouped_indices(lengths, batch, generator=g)
        cases.append({"seed": seed, "draws": draws, "batch": batch, "lengths": lengths, "head": order[:8], "tail": order[-8:],
                      "weighted": sum(i * p for i, p in enumerate(order))})
    (OUT / "length-grouped.json").write_text(json.dumps({"torch": torch.__version__, "cases": cases}, separators=(",", ":")) + "\n")


if __name__ == "__main__":
    OUT.mkdir(parents=True, exist_ok=True)
    if sys.argv[1:] == ["--length-grouped"]:  # only length-grouped.json
        make_length_grouped()
        sys.exit(0)
    if sys.argv[1:] == ["--randperm"]:  # only randperm.json
        make_randperm()
        sys.exit(0)
    if sys.argv[1:] == ["--schedules"]:  # only schedules.json
        make_schedules()
        sys.exit(0)
    if sys.argv[1:] == ["--adafactor"]:  # only adafactor.*
        make_adafactor()
        sys.exit(0)
    if sys.argv[1:] == ["--optimizers"]:  # only optimizers.*
        make_optimizers()
        sys.exit(0)
    if sys.argv[1:] == ["--train"]:  # only train/ (the HF Trainer cases)
        make_training()
        sys.exit(0)
    make_optimizers()
    make_adafactor()
    make_clipping()
    make_schedules()
    make_decay()
    make_targets()
    make_training()
    make_randperm()
    make_length_grouped()
    print("wrote", ", ".join(sorted(p.name for p in OUT.iterdir())))
