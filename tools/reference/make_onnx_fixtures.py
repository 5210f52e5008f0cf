#!/usr/bin/env python
"""ONNX exports of ved's fixture models in the layout Optimum and transformers.js use,
with the ids Python generates, for ved's export loader tests (packages/backend-node/src/exports).

Run from anywhere:  .venv-ref/bin/python tools/reference/make_onnx_fixtures.py [NAME...]

For every VisionEncoderDecoder checkpoint under fixtures/models, fixtures/encoders and
fixtures/decoders (a directory whose config.json has model_type "vision-encoder-decoder"), so that
rerunning it covers families added later, it writes fixtures/onnx/<name>/:

  config.json, generation_config.json, preprocessor_config.json, tokenizer*.json   copied
  onnx/encoder_model{suffix}.onnx                pixel_values -> last_hidden_state
  onnx/decoder_model{suffix}.onnx                first step (no cache inputs)        } split layout
  onnx/decoder_with_past_model{suffix}.onnx      later steps (cache inputs)          }
  onnx/decoder_model_merged{suffix}.onnx         both, behind an If on use_cache_branch
  reference.json                                 inputs, expected ids, what each variant holds

Graphs come from `torch.onnx.export` (TorchScript exporter, opset 17, ir_version 10) of the
transformers 5.18 model itself, wrapped so the cache travels as flat tensors named as Optimum names
them: `past_key_values.{i}.key|value` -> `present.{i}.key|value` for decoder-only decoders (GPT-2:
cross-attention recomputed from encoder_hidden_states every step), and
`past_key_values.{i}.decoder|encoder.key|value` -> `present.…` for seq2seq-style decoders (BART,
TrOCR: cross-attention keys/values computed once, then fed back). The merged decoder is built from
the two exported decoders with the `onnx` package the way Optimum's `merge_decoders` does (shared
initializers hoisted to the outer graph, an If node on `use_cache_branch`); the with-past branch
passes the encoder cache through as its `present.*.encoder.*` outputs. `enc_to_dec_proj` lives in
the decoder (transformers.js feeds the encoder's last_hidden_state as encoder_hidden_states).

Expected ids: `generate(pixel_values, max_new_tokens=N)` greedy and with num_beams=3 on the torch
model. Each exported variant is also run by a small onnxruntime greedy loop here (cache names
derived from the graph, as ved does); fp32 variants must reproduce the torch ids, and for fp16
variants the onnxruntime ids are what ved must reproduce.

  NAME...                               only these checkpoints (default: see select(); --all: all)
  --check-export DIR [--against NAME]   runs an export written by `ved export` with onnxruntime and
                                        compares its greedy ids with fixtures/onnx/NAME (the Python
                                        check of ved's exporter).
"""

from __future__ import annotations

import argparse
import io
import json
import os
import re
import shutil
import sys
import warnings
from dataclasses import dataclass, field
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
warnings.filterwarnings("ignore")

import numpy as np  # noqa: E402
import onnx  # noqa: E402
import onnxruntime as ort  # noqa: E402
import torch  # noqa: E402
from onnx import helper  # noqa: E402
from safetensors.torch import load_file  # noqa: E402

import transformers  # noqa: E402
from transformers import LogitsProcessor, LogitsProcessorList, VisionEncoderDecoderModel  # noqa: E402
from transformers.cache_utils import DynamicCache, EncoderDecoderCache  # noqa: E402
from transformers.utils import logging as hf_logging  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
from make_fixtures import dump_json  # noqa: E402

hf_logging.set_verbosity_error()
hf_logging.disable_progress_bar()
torch.use_deterministic_algorithms(True)
torch.set_num_threads(1)

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "fixtures"
OUT_DIR = FIXTURES / "onnx"
SEARCH_DIRS = [FIXTURES / "models", FIXTURES / "encoders", FIXTURES / "decoders"]
ASSETS = ["config.json", "generation_config.json", "preprocessor_config.json", "tokenizer.json", "tokenizer_config.json"]

OPSET = 17
IR_VERSION = 10
NUM_BEAMS = 3
DEFAULT_MAX_NEW_TOKENS = 10
MIN_MARGIN = 1e-3

# transformers.js (src/configs.js) names the cache of these decoders `.decoder.`/`.encoder.`.
SEQ2SEQ_DECODERS = {"bart", "mbart", "marian", "trocr", "m2m_100", "blenderbot", "blenderbot-small", "pegasus", "plbart"}
SUFFIX = {"fp32": "", "fp16": "_fp16", "q8": "_quantized", "int8": "_int8", "uint8": "_uint8", "q4": "_q4"}


@dataclass
class Variant:
    """One exported set of files. `cache`: "auto" (as transformers.js names it for the decoder's
    model_type), "decoder-only" or "seq2seq"; `layout`: "merged" or "split"; `encoder`: also write
    the encoder in this dtype (otherwise the fp32 encoder is used with it)."""

    dtype: str = "fp32"
    layout: str = "merged"
    cache: str = "auto"
    encoder: bool = True


@dataclass
class Plan:
    """`pixels`: "reference" uses the checkpoint's own reference pixel_values (by path: only for the
    stable fixtures/models checkpoints); "formula" computes them (see formula_pixels), so the fixture
    stays valid when other fixture families are regenerated."""

    variants: list[Variant] = field(default_factory=lambda: [Variant()])
    max_new_tokens: int | None = None
    pixels: str = "formula"


# vit-gpt2-a: what transformers.js publishes for vit-gpt2 (merged, decoder-only names).
# vit-gpt2-b: merged with seq2seq-style names (the cross cache computed once and fed back).
# deit-bert: Optimum's split layout (seq2seq-style names), and an fp16 merged decoder (fp16 caches,
# inputs and logits) used with the fp32 encoder.
PLANS = {
    "vit-gpt2-a": Plan([Variant()], pixels="reference"),
    "vit-gpt2-b": Plan([Variant(cache="seq2seq")], pixels="reference"),
    "deit-bert": Plan([Variant(layout="split", cache="seq2seq"), Variant(dtype="fp16", encoder=False)]),
}
# Always exported when present; the other checkpoints only as needed so that every encoder family
# and every decoder family appears at least once (smallest checkpoint first), which keeps
# fixtures/onnx small. `--all` exports every checkpoint.
ALWAYS = ["vit-gpt2-a", "vit-gpt2-b"]


# --------------------------------------------------------------------------------------------
# Finding the checkpoints and their inputs
# --------------------------------------------------------------------------------------------


def find_checkpoints() -> dict[str, Path]:
    found: dict[str, Path] = {}
    for base in SEARCH_DIRS:
        if not base.is_dir():
            continue
        for cfg in sorted(base.rglob("config.json")):
            d = cfg.parent
            if "reference" in d.relative_to(base).parts:
                continue
            try:
                if json.loads(cfg.read_text()).get("model_type") != "vision-encoder-decoder":
                    continue
            except json.JSONDecodeError:
                continue
            if not ((d / "model.safetensors").exists() or (d / "model.safetensors.index.json").exists()):
                continue
            name = d.name if d.name not in found else "-".join(d.relative_to(FIXTURES).parts)
            found[name] = d
    return found


def checkpoint_digest(d: Path) -> str:
    """sha256 of the checkpoint's weights, so tests can tell when the export is older than its source."""
    import hashlib

    h = hashlib.sha256()
    for p in sorted(d.glob("model*.safetensors")):
        h.update(p.read_bytes())
    return h.hexdigest()


def checkpoint_size(d: Path) -> int:
    return sum(p.stat().st_size for p in d.glob("model*.safetensors"))


def families(d: Path) -> tuple[str, str]:
    c = json.loads((d / "config.json").read_text())
    return c["encoder"]["model_type"], c["decoder"]["model_type"]


def select(checkpoints: dict[str, Path]) -> list[str]:
    """ALWAYS, then the smallest checkpoints that add an encoder or decoder family not yet covered."""
    chosen = [n for n in ALWAYS if n in checkpoints]
    encoders = {families(checkpoints[n])[0] for n in chosen}
    decoders = {families(checkpoints[n])[1] for n in chosen}
    for name in sorted(checkpoints, key=lambda n: (checkpoint_size(checkpoints[n]), n)):
        if name in chosen:
            continue
        enc, dec = families(checkpoints[name])
        if enc not in encoders or dec not in decoders:
            chosen.append(name)
            encoders.add(enc)
            decoders.add(dec)
    return chosen


def formula_pixels(shape: list[int], seed: int) -> torch.Tensor:
    """Deterministic pixel values that TypeScript recomputes exactly (no stored tensor):
    v[i] = ((i * 7919 + seed * 104729) mod 2001) / 1000 - 1, in float32 (flat row-major index i)."""
    n = int(np.prod(shape))
    i = np.arange(n, dtype=np.int64)
    v = ((i * 7919 + seed * 104729) % 2001).astype(np.float64) / 1000.0 - 1.0
    return torch.from_numpy(v.astype(np.float32).reshape(shape))


def image_shape(config) -> list[int]:
    enc = config.encoder
    size = getattr(enc, "image_size", 224)
    h, w = (size, size) if isinstance(size, int) else (int(size[0]), int(size[1]))
    return [getattr(enc, "num_channels", 3), h, w]


def relpath(p: Path) -> str:
    return p.resolve().relative_to(ROOT).as_posix()


# --------------------------------------------------------------------------------------------
# Export wrappers
# --------------------------------------------------------------------------------------------


def decoder_layers(model) -> int:
    c = model.config.decoder
    for key in ("n_layer", "num_hidden_layers", "decoder_layers", "num_layers"):
        v = getattr(c, key, None)
        if isinstance(v, int):
            return v
    raise RuntimeError(f"cannot find the number of decoder layers in {type(c).__name__}")


class EncoderWrapper(torch.nn.Module):
    def __init__(self, model):
        super().__init__()
        self.encoder = model.encoder

    def forward(self, pixel_values):
        return self.encoder(pixel_values=pixel_values).last_hidden_state


class DecoderWrapper(torch.nn.Module):
    """The decoder of a VisionEncoderDecoderModel with its cache as flat tensors.

    style "decoder-only": inputs past self K/V per layer, outputs present self K/V; the cross
    keys/values are recomputed from encoder_hidden_states (the cross cache is left empty).
    style "seq2seq": the first-step graph also outputs the cross K/V; the with-past graph takes
    them back as inputs (EncoderDecoderCache marks them computed, so encoder_hidden_states is unused).
    """

    def __init__(self, model, style: str, with_past: bool):
        super().__init__()
        self.decoder = model.decoder
        self.proj = getattr(model, "enc_to_dec_proj", None)
        self.layers = decoder_layers(model)
        self.style, self.with_past = style, with_past

    def forward(self, input_ids, encoder_hidden_states, *past):
        h = encoder_hidden_states if self.proj is None else self.proj(encoder_hidden_states)
        per = 4 if self.style == "seq2seq" else 2
        if self.with_past:
            self_cache = DynamicCache([(past[i * per], past[i * per + 1]) for i in range(self.layers)])
            cross_cache = (
                DynamicCache([(past[i * per + 2], past[i * per + 3]) for i in range(self.layers)])
                if self.style == "seq2seq"
                else DynamicCache()
            )
        else:
            self_cache, cross_cache = DynamicCache(), DynamicCache()
        out = self.decoder(
            input_ids=input_ids,
            encoder_hidden_states=h,
            past_key_values=EncoderDecoderCache(self_cache, cross_cache),
            use_cache=True,
            return_dict=True,
        )
        cache = out.past_key_values
        result = [out.logits]
        for i in range(self.layers):
            result += [cache.self_attention_cache.layers[i].keys, cache.self_attention_cache.layers[i].values]
            if self.style == "seq2seq" and not self.with_past:
                result += [cache.cross_attention_cache.layers[i].keys, cache.cross_attention_cache.layers[i].values]
        return tuple(result)


def cache_names(layers: int, style: str) -> list[tuple[str, str]]:
    """(name suffix, kind) per cache tensor in wrapper order; kind is "self" or "cross"."""
    out = []
    for i in range(layers):
        if style == "seq2seq":
            out += [(f"{i}.decoder.key", "self"), (f"{i}.decoder.value", "self"), (f"{i}.encoder.key", "cross"), (f"{i}.encoder.value", "cross")]
        else:
            out += [(f"{i}.key", "self"), (f"{i}.value", "self")]
    return out


def export_to_proto(module, args, input_names, output_names, dynamic_axes) -> onnx.ModelProto:
    f = io.BytesIO()
    with torch.no_grad():
        torch.onnx.export(
            module,
            args,
            f,
            dynamo=False,
            opset_version=OPSET,
            input_names=input_names,
            output_names=output_names,
            dynamic_axes=dynamic_axes,
            do_constant_folding=True,
        )
    return onnx.load_from_string(f.getvalue())


def tidy(model: onnx.ModelProto, prefix: str) -> onnx.ModelProto:
    """Smaller, collision-free graphs: drop node names and doc strings, give intermediate values and
    exporter-made constants short names under `prefix`, and keep weights under their checkpoint
    names (the wrappers hold `encoder`/`decoder` as the model does; `proj` is `enc_to_dec_proj`)."""
    g = model.graph
    keep = {v.name for v in g.input} | {v.name for v in g.output}
    rename: dict[str, str] = {}
    counter = 0

    def fresh() -> str:
        nonlocal counter
        counter += 1
        return f"{prefix}{counter}"

    for init in g.initializer:
        if init.name.startswith(("encoder.", "decoder.")):
            continue
        if init.name.startswith("proj."):
            rename[init.name] = f"enc_to_dec_proj.{init.name[5:]}"
        elif init.name not in keep:
            rename[init.name] = fresh()
    for node in g.node:
        node.name = ""
        node.doc_string = ""
        for o in node.output:
            if o not in keep and o not in rename:
                rename[o] = fresh()
    for init in g.initializer:
        init.name = rename.get(init.name, init.name)
    for node in g.node:
        for i, x in enumerate(node.input):
            node.input[i] = rename.get(x, x)
        for i, x in enumerate(node.output):
            node.output[i] = rename.get(x, x)
    del g.value_info[:]
    g.doc_string = ""
    model.ir_version = IR_VERSION
    model.producer_name = "ved make_onnx_fixtures.py (torch.onnx.export)"
    return model


def export_encoder(model, pixel_values) -> onnx.ModelProto:
    proto = export_to_proto(
        EncoderWrapper(model).eval(),
        (pixel_values[:1],),
        ["pixel_values"],
        ["last_hidden_state"],
        {"pixel_values": {0: "batch_size"}, "last_hidden_state": {0: "batch_size", 1: "encoder_sequence_length"}},
    )
    return tidy(proto, "e")


def export_decoder(model, style: str, with_past: bool, encoder_hidden, start: int) -> onnx.ModelProto:
    layers = decoder_layers(model)
    batch = 2
    hidden = encoder_hidden[:1].expand(batch, -1, -1).contiguous()
    with torch.no_grad():
        first = DecoderWrapper(model, style, False)(torch.full((batch, 1), start, dtype=torch.long), hidden)
    heads_dims = [t.shape for t in first[1:]]
    input_names = ["input_ids", "encoder_hidden_states"]
    output_names = ["logits"]
    axes = {
        "input_ids": {0: "batch_size", 1: "decoder_sequence_length"},
        "encoder_hidden_states": {0: "batch_size", 1: "encoder_sequence_length"},
        "logits": {0: "batch_size", 1: "decoder_sequence_length"},
    }
    past = []
    names = cache_names(layers, style)
    for (suffix, kind), shape in zip(names, heads_dims):
        if with_past:
            n = f"past_key_values.{suffix}"
            input_names.append(n)
            seq = 3 if kind == "self" else shape[2]
            past.append(torch.randn(batch, shape[1], seq, shape[3]) * 0.5)
            axes[n] = {0: "batch_size", 2: "past_decoder_sequence_length" if kind == "self" else "encoder_sequence_length_out"}
        if kind == "self" or not with_past:
            n = f"present.{suffix}"
            output_names.append(n)
            seq = ("past_decoder_sequence_length + 1" if with_past else "decoder_sequence_length") if kind == "self" else "encoder_sequence_length_out"
            axes[n] = {0: "batch_size", 2: seq}
    ids = torch.tensor([[start]] * batch) if not with_past else torch.tensor([[3], [5]])
    wrapper = DecoderWrapper(model, style, with_past).eval()
    proto = export_to_proto(wrapper, (ids, hidden, *past), input_names, output_names, axes)
    return tidy(proto, "wp" if with_past else "np")


def merge_decoders(no_past: onnx.ModelProto, with_past: onnx.ModelProto) -> onnx.ModelProto:
    """Optimum's merge_decoders: one graph whose If node on `use_cache_branch` runs the with-past
    decoder (then) or the first-step decoder (else). Initializers shared by content are hoisted once
    into the outer graph; outputs the with-past decoder lacks (`present.*.encoder.*`) are its past
    inputs passed through."""
    np_outputs = [o.name for o in no_past.graph.output]
    wp_outputs = {o.name for o in with_past.graph.output}
    for name in np_outputs:
        if name not in wp_outputs:
            past = name.replace("present", "past_key_values", 1)
            with_past.graph.node.append(helper.make_node("Identity", [past], [f"wp_out_{name}"]))
            with_past.graph.output.append(helper.make_tensor_value_info(f"wp_out_{name}", onnx.TensorProto.FLOAT, None))
    outer_inputs, seen = [], set()
    for m in (no_past, with_past):
        for v in m.graph.input:
            if v.name not in seen:
                seen.add(v.name)
                outer_inputs.append(v)

    # Hoist initializers, deduplicated by content; rename within each branch.
    shared: dict[tuple, str] = {}
    hoisted = []
    for m in (no_past, with_past):
        mapping = {}
        for init in m.graph.initializer:
            key = (init.data_type, tuple(init.dims), init.raw_data, tuple(init.int64_data), tuple(init.float_data), tuple(init.int32_data))
            if key not in shared:
                name = init.name if init.name not in {h.name for h in hoisted} else f"{init.name}_{len(hoisted)}"
                init.name = name
                shared[key] = name
                hoisted.append(init)
            mapping[init.name] = shared[key]
        for node in m.graph.node:
            for i, x in enumerate(node.input):
                node.input[i] = mapping.get(x, x)

    def branch(m: onnx.ModelProto, name: str, prefix: str) -> onnx.GraphProto:
        # Branch outputs get branch-local names so they never shadow the If node's outputs.
        outputs = []
        by_name = {o.name: o for o in m.graph.output}
        for out_name in np_outputs:
            src = by_name.get(out_name) or by_name[f"wp_out_{out_name}"]
            local = f"{prefix}_{out_name}"
            m.graph.node.append(helper.make_node("Identity", [src.name], [local]))
            outputs.append(helper.make_tensor_value_info(local, src.type.tensor_type.elem_type, None))
        return helper.make_graph(list(m.graph.node), name, [], outputs)

    then_branch = branch(with_past, "with_past", "then")
    else_branch = branch(no_past, "no_past", "else")
    use_cache = helper.make_tensor_value_info("use_cache_branch", onnx.TensorProto.BOOL, [1])
    if_node = helper.make_node("If", ["use_cache_branch"], np_outputs, then_branch=then_branch, else_branch=else_branch)
    graph = helper.make_graph([if_node], "merged", outer_inputs + [use_cache], list(no_past.graph.output), initializer=hoisted)
    merged = helper.make_model(graph, producer_name="ved make_onnx_fixtures.py (merge_decoders)", opset_imports=list(no_past.opset_import))
    merged.ir_version = IR_VERSION
    onnx.checker.check_model(merged)
    return merged


def to_fp16(model: onnx.ModelProto) -> onnx.ModelProto:
    from onnxruntime.transformers.float16 import convert_float_to_float16

    out = convert_float_to_float16(model, keep_io_types=False, disable_shape_infer=True)
    out.ir_version = IR_VERSION
    return out


# --------------------------------------------------------------------------------------------
# A minimal onnxruntime runner for the layout (cache names derived from the graph)
# --------------------------------------------------------------------------------------------

NP_TYPES = {"tensor(float)": np.float32, "tensor(float16)": np.float16, "tensor(int64)": np.int64, "tensor(bool)": np.bool_}


class OrtExport:
    def __init__(self, directory: Path, dtypes: dict[str, str], layout: str):
        onnx_dir = directory / "onnx"
        opts = ort.SessionOptions()
        opts.intra_op_num_threads = 1
        opts.log_severity_level = 3

        def open_(name: str):
            return ort.InferenceSession(str(onnx_dir / f"{name}{SUFFIX[dtypes.get(name, 'fp32')]}.onnx"), opts)

        self.encoder = open_("encoder_model")
        if layout == "merged":
            self.first = self.later = open_("decoder_model_merged")
        else:
            self.first, self.later = open_("decoder_model"), open_("decoder_with_past_model")
        self.layout = layout

    @staticmethod
    def _types(session):
        return {i.name: (NP_TYPES[i.type], i.shape) for i in session.get_inputs()}

    def encode(self, pixel_values: np.ndarray) -> np.ndarray:
        t = self._types(self.encoder)["pixel_values"][0]
        return self.encoder.run(["last_hidden_state"], {"pixel_values": pixel_values.astype(t)})[0]

    def greedy(self, pixel_values: np.ndarray, start: int, eos: int | None, pad: int, max_new_tokens: int, processors=None):
        """Greedy decoding as transformers' `_sample` (with `processors`, the model's logits processors,
        e.g. BART's forced eos): finished rows receive pad. Returns the sequences and the raw logits of
        every step ([B, V] float32 each)."""
        hidden = self.encode(pixel_values)
        b = hidden.shape[0]
        ids = np.full((b, 1), start, dtype=np.int64)
        cache: dict[str, np.ndarray] = {}
        unfinished = np.ones(b, dtype=bool)
        all_logits = []
        for step in range(max_new_tokens):
            session = self.first if step == 0 else self.later
            types = self._types(session)
            feeds = {"input_ids": ids[:, -1:]}
            if "encoder_hidden_states" in types:
                feeds["encoder_hidden_states"] = hidden.astype(types["encoder_hidden_states"][0])
            if "use_cache_branch" in types:
                feeds["use_cache_branch"] = np.array([step > 0])
            for name, (t, shape) in types.items():
                if name.startswith("past_key_values"):
                    if step == 0:
                        dims = [b if i == 0 else (d if isinstance(d, int) else 0) for i, d in enumerate(shape)]
                        feeds[name] = np.zeros(dims, dtype=t)
                    else:
                        feeds[name] = cache[name]
            out_names = [o.name for o in session.get_outputs()]
            outs = dict(zip(out_names, session.run(out_names, feeds)))
            for name, value in outs.items():
                if not name.startswith("present"):
                    continue
                past = name.replace("present", "past_key_values", 1)
                if ".encoder." in name and step > 0:
                    continue  # keep the first step's cross cache (Optimum's trick)
                cache[past] = value
            logits = outs["logits"][:, -1].astype(np.float32)
            all_logits.append(logits)
            scores = logits if processors is None else processors(torch.from_numpy(ids), torch.from_numpy(logits.copy())).numpy()
            nxt = scores.argmax(-1)
            if eos is not None:
                nxt = np.where(unfinished, nxt, pad)
            ids = np.concatenate([ids, nxt[:, None]], axis=1)
            if eos is not None:
                unfinished &= nxt != eos
                if not unfinished.any():
                    break
        return ids.tolist(), all_logits


# --------------------------------------------------------------------------------------------
# Reference generation
# --------------------------------------------------------------------------------------------


class Jitter(LogitsProcessor):
    """Adds uniform noise of +-scale: a decision that survives it is robust to float differences."""

    def __init__(self, scale: float, seed: int):
        self.scale, self.gen = scale, torch.Generator().manual_seed(seed)

    def __call__(self, input_ids, scores):
        return scores + (torch.rand(scores.shape, generator=self.gen) * 2 - 1) * self.scale


def special_tokens(model) -> tuple[int, int | None, int]:
    gc = model.generation_config
    start = gc.decoder_start_token_id if gc.decoder_start_token_id is not None else gc.bos_token_id
    eos = gc.eos_token_id[0] if isinstance(gc.eos_token_id, list) else gc.eos_token_id
    pad = gc.pad_token_id if gc.pad_token_id is not None else eos
    return start, eos, pad


@torch.no_grad()
def python_reference(model, pixel_values, max_new_tokens: int) -> dict:
    greedy = model.generate(pixel_values, max_new_tokens=max_new_tokens, do_sample=False, num_beams=1, return_dict_in_generate=True, output_scores=True)
    scores = torch.stack(greedy.scores, dim=1)
    finite = torch.where(torch.isfinite(scores), scores, torch.full_like(scores, -1e30))
    top2 = torch.topk(finite, 2, dim=-1).values
    margin = float((top2[..., 0] - top2[..., 1]).min())
    beam = model.generate(pixel_values, max_new_tokens=max_new_tokens, num_beams=NUM_BEAMS, do_sample=False)
    robust = all(
        torch.equal(
            model.generate(pixel_values, max_new_tokens=max_new_tokens, num_beams=NUM_BEAMS, do_sample=False, logits_processor=LogitsProcessorList([Jitter(1e-4, s)])),
            beam,
        )
        for s in range(5)
    )
    return {"greedy": greedy.sequences.tolist(), "greedy_margin": margin, "beam": beam.tolist(), "beam_robust": robust}


def load_model(path: Path):
    model = VisionEncoderDecoderModel.from_pretrained(path, attn_implementation="eager").eval()
    # 5.18 bug: from_pretrained builds modules on the meta device, and TrOCR's sinusoidal table (a plain
    # attribute, not a buffer) stays a meta tensor. Recompute it as its constructor does.
    for module in model.modules():
        table = getattr(module, "weights", None)
        if isinstance(table, torch.Tensor) and table.is_meta and hasattr(module, "get_embedding"):
            module.weights = module.get_embedding(table.shape[0], module.embedding_dim, module.padding_idx)
    return model


def logits_processors(model, max_new_tokens: int):
    """The logits processors generate() applies for this model's generation config (greedy)."""
    import copy

    gc = copy.deepcopy(model.generation_config)
    gc.max_length, gc.max_new_tokens = 1 + max_new_tokens, None
    model._prepare_special_tokens(gc, kwargs_has_attention_mask=False, device="cpu")
    return model._get_logits_processor(gc, input_ids_seq_length=1, device="cpu", model_kwargs={})


def teacher_forced_logits(model, pixel_values, sequences) -> np.ndarray:
    with torch.no_grad():
        ids = torch.tensor(sequences)[:, :-1]
        return model(pixel_values=pixel_values, decoder_input_ids=ids).logits.float().numpy()


def resolve_style(model, cache: str) -> str:
    if cache != "auto":
        return cache
    return "seq2seq" if model.config.decoder.model_type in SEQ2SEQ_DECODERS else "decoder-only"


def build_one(name: str, src: Path) -> dict:
    plan = PLANS.get(name, Plan())
    out = OUT_DIR / name
    if out.exists():
        shutil.rmtree(out)
    (out / "onnx").mkdir(parents=True)
    for asset in ASSETS:
        if (src / asset).exists():
            shutil.copyfile(src / asset, out / asset)

    model = load_model(src)
    start, eos, pad = special_tokens(model)

    ref_file = src / "reference" / "reference.safetensors"
    ref_json = src / "reference" / "reference.json"
    max_new_tokens = plan.max_new_tokens
    if plan.pixels == "reference":
        pixel_values = load_file(str(ref_file))["pixel_values"]
        pixels = {"file": relpath(ref_file), "tensor": "pixel_values"}
        if max_new_tokens is None and ref_json.exists():
            max_new_tokens = json.loads(ref_json.read_text()).get("greedy", {}).get("max_new_tokens")
    else:
        shape = [3, *image_shape(model.config)]
        for seed in range(50):
            pixel_values = formula_pixels(shape, seed)
            if python_reference(model, pixel_values, max_new_tokens or DEFAULT_MAX_NEW_TOKENS)["greedy_margin"] > MIN_MARGIN:
                break
        pixels = {"formula": "((i * 7919 + seed * 104729) mod 2001) / 1000 - 1", "seed": seed, "shape": shape}
    max_new_tokens = max_new_tokens or DEFAULT_MAX_NEW_TOKENS

    reference = python_reference(model, pixel_values, max_new_tokens)
    if reference["greedy_margin"] <= MIN_MARGIN:
        raise RuntimeError(f"{name}: greedy top-2 margin {reference['greedy_margin']} too small for a robust fixture")
    with torch.no_grad():
        encoder_hidden = model.encoder(pixel_values=pixel_values).last_hidden_state

    encoder_fp32 = export_encoder(model, pixel_values)
    variants = []
    for v in plan.variants:
        style = resolve_style(model, v.cache)
        files = {}
        if v.encoder or v.dtype == "fp32":
            enc = encoder_fp32 if v.dtype == "fp32" else to_fp16(export_encoder(model, pixel_values))
            files["encoder_model"] = enc
        no_past = export_decoder(model, style, False, encoder_hidden, start)
        with_past = export_decoder(model, style, True, encoder_hidden, start)
        if v.layout == "split":
            files["decoder_model"], files["decoder_with_past_model"] = no_past, with_past
        else:
            files["decoder_model_merged"] = merge_decoders(no_past, with_past)
        if v.dtype == "fp16":
            files = {k: (m if k == "encoder_model" else to_fp16(m)) for k, m in files.items()}
        elif v.dtype != "fp32":
            raise RuntimeError(f"dtype {v.dtype} is not produced by this script")
        written = []
        for stem, proto in files.items():
            if stem == "encoder_model" and v.dtype == "fp32" and (out / "onnx" / "encoder_model.onnx").exists():
                written.append("onnx/encoder_model.onnx")
                continue
            path = out / "onnx" / f"{stem}{SUFFIX[v.dtype]}.onnx"
            onnx.save(proto, str(path))
            written.append(f"onnx/{path.name}")
        dtypes = {k: v.dtype for k in files}
        dtypes.setdefault("encoder_model", "fp32")
        runner = OrtExport(out, dtypes, v.layout)
        ort_ids, ort_logits = runner.greedy(pixel_values.numpy(), start, eos, pad, max_new_tokens, logits_processors(model, max_new_tokens))
        tf = teacher_forced_logits(model, pixel_values, ort_ids)
        diff = max(float(np.abs(l - tf[:, t]).max()) for t, l in enumerate(ort_logits))
        entry = {
            "layout": v.layout,
            "cache_style": style,
            "dtype": dtypes,
            "files": sorted(written),
            "onnxruntime_python": {"greedy": ort_ids, "max_abs_logit_diff_vs_torch": diff},
        }
        if v.dtype == "fp32":
            if ort_ids != reference["greedy"]:
                raise RuntimeError(f"{name} {v}: onnxruntime greedy {ort_ids} != torch {reference['greedy']}")
            if diff > 1e-4:
                raise RuntimeError(f"{name} {v}: logits differ from torch by {diff}")
            entry["expected_greedy"] = "transformers"
        else:
            entry["expected_greedy"] = "onnxruntime_python"
        variants.append(entry)

    result = {
        "source": relpath(src),
        "source_sha256": checkpoint_digest(src),
        "pixel_values": pixels,
        "max_new_tokens": max_new_tokens,
        "decoder_start_token_id": start,
        "eos_token_id": eos,
        "pad_token_id": pad,
        "greedy": reference["greedy"],
        "greedy_min_top2_margin": reference["greedy_margin"],
        "beam": {"num_beams": NUM_BEAMS, "sequences": reference["beam"], "robust_to_1e-4_noise": reference["beam_robust"]},
        "variants": variants,
        "opset": OPSET,
        "ir_version": IR_VERSION,
        "versions": {"transformers": transformers.__version__, "torch": torch.__version__, "onnx": onnx.__version__, "onnxruntime": ort.__version__},
    }
    (out / "reference.json").write_text(dump_json(result))
    return result


# --------------------------------------------------------------------------------------------
# Checking an export written by ved
# --------------------------------------------------------------------------------------------


def check_export(directory: Path, against: str) -> int:
    ref = json.loads((OUT_DIR / against / "reference.json").read_text())
    pixels = ref["pixel_values"]
    if "file" in pixels:
        pv = load_file(str(ROOT / pixels["file"]))[pixels["tensor"]]
    else:
        pv = formula_pixels(pixels["shape"], pixels["seed"])
    runner = OrtExport(directory, {}, "merged")
    model = load_model(ROOT / ref["source"])
    procs = logits_processors(model, ref["max_new_tokens"])
    ids, logits = runner.greedy(pv.numpy(), ref["decoder_start_token_id"], ref["eos_token_id"], ref["pad_token_id"], ref["max_new_tokens"], procs)
    tf = teacher_forced_logits(model, pv, ids)
    diff = max(float(np.abs(l - tf[:, t]).max()) for t, l in enumerate(logits))
    same = ids == ref["greedy"]
    print(f"{directory}: onnxruntime {ort.__version__} greedy ids {'==' if same else '!='} Python's ({against}); max |logit diff| vs torch {diff:.3g}")
    if not same:
        print(f"  got      {ids}\n  expected {ref['greedy']}")
    return 0 if same and diff < 1e-4 else 1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("names", nargs="*", help="checkpoint names (default: one per encoder and decoder family)")
    parser.add_argument("--all", action="store_true", help="export every checkpoint found")
    parser.add_argument("--check-export", type=Path, help="an export directory written by `ved export`")
    parser.add_argument("--against", default="vit-gpt2-a", help="the fixture whose reference the export is checked against")
    args = parser.parse_args()
    if args.check_export:
        return check_export(args.check_export, args.against)

    checkpoints = find_checkpoints()
    names = args.names or (list(checkpoints) if args.all else select(checkpoints))
    for name in names:
        if name not in checkpoints:
            print(f"unknown checkpoint {name!r}; found: {', '.join(checkpoints)}", file=sys.stderr)
            return 2
    if not args.names and OUT_DIR.exists():
        # A full run owns fixtures/onnx: exports of checkpoints no longer chosen (or gone) are removed.
        for stale in sorted(p for p in OUT_DIR.iterdir() if p.is_dir() and p.name not in names):
            print(f"removing fixtures/onnx/{stale.name} (not exported by this run)")
            shutil.rmtree(stale)
    for name in names:
        r = build_one(name, checkpoints[name])
        size = sum(p.stat().st_size for p in (OUT_DIR / name).rglob("*") if p.is_file())
        print(f"{name}  ({r['source']}, {size / 1024:.0f} KiB)  greedy margin {r['greedy_min_top2_margin']:.3g}  beam robust: {r['beam']['robust_to_1e-4_noise']}")
        for v in r["variants"]:
            print(f"  {v['layout']:6s} {v['cache_style']:12s} {v['dtype']}  {', '.join(v['files'])}")
            print(f"    onnxruntime greedy {'== torch' if v['onnxruntime_python']['greedy'] == r['greedy'] else '!= torch'}; max |logit diff| {v['onnxruntime_python']['max_abs_logit_diff_vs_torch']:.3g}")
    total = sum(p.stat().st_size for p in OUT_DIR.rglob("*") if p.is_file())
    print(f"fixtures/onnx: {total / 1024:.0f} KiB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
