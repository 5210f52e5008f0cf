#!/usr/bin/env python
"""Fixtures for the weights formats ved reads besides safetensors: torch's
`pytorch_model.bin` (single and sharded), TensorFlow's `tf_model.h5` and
Flax's `flax_model.msgpack`, plus small torch files for views/dtypes and
hostile files for the security tests.

Run:  bash tools/reference/setup_checkpoint_formats.sh   (once: .venv-ref4 with transformers 4.57.6 + flax + h5py)
      .venv-ref/bin/python tools/reference/make_checkpoint_format_fixtures.py

transformers 5.18 no longer writes (or reads) TF and Flax weights, so the checkpoints are written by
transformers 4.57.6 (the last 4.x in the pip mirror) in .venv-ref4, which shares torch with .venv-ref:

* `bin/`, `bin-sharded/` and `bin-bf16/`: 4.57's `save_pretrained(safe_serialization=False)` (the
  sharded one with a small `max_shard_size`); the reference outputs are 5.18's, loading those files
  with `VisionEncoderDecoderModel.from_pretrained`.
* `flax/`: 4.57's `FlaxVisionEncoderDecoderModel.from_pretrained(pt_dir, from_pt=True).save_pretrained`;
  the reference is 4.57's `VisionEncoderDecoderModel.from_pretrained(flax_dir, from_flax=True)`.
* `tf/`: TensorFlow cannot run here (4.57 needs tf-keras, which the mirror lacks), so the h5 file is
  written with h5py in the layout Keras 2's `save_weights` gives a `TFVisionEncoderDecoderModel`
  (root attribute `layer_names`, one group per layer with attribute `weight_names`, one dataset per
  variable), with each variable's TF name and layout derived from the PyTorch module it mirrors
  (Linear → `kernel` transposed, Conv2d → `kernel` HWIO, LayerNorm → `gamma`/`beta`, Embedding →
  `embeddings`, lists as `h_._0`, BERT's head as `mlm___cls`). The reference applies 4.57's own
  `load_tf2_state_dict_in_pytorch_model` (`convert_tf_weight_name_to_pt_weight_name` + `apply_transpose`)
  to the h5's contents, the way 4.57's `VisionEncoderDecoderModel.from_pretrained(from_tf=True)` does
  (encoder and decoder loaded separately, then composed; `enc_to_dec_proj` transposed).

Writes fixtures/formats/ (see fixtures/formats/README.md).
"""

from __future__ import annotations

import copy
import io
import json
import os
import pickle
import shutil
import struct
import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "fixtures" / "formats"
VENV4 = ROOT / ".venv-ref4" / "bin" / "python"
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")

PAIRS = {
    # name: (encoder kind, decoder kind, formats)
    "vit-gpt2": ("vit", "gpt2", ["bin", "bin-sharded", "bin-bf16", "tf", "flax"]),
    "deit-trocr": ("deit", "trocr", ["bin", "bin-sharded"]),
    "swin-bert": ("swin", "bert", ["tf"]),
    "vit-bert": ("vit", "bert", ["flax"]),
}
VOCAB = 40
DECODER_INPUT_IDS = [[0, 5, 9, 3], [0, 7, 2, 11]]
LABELS = [[5, 9, 3, 1], [7, 2, -100, -100]]
MAX_NEW_TOKENS = 6
# h5py's "earliest" (what Keras 2 wrote) makes every group a B-tree + heap of ~1.5 KB; "latest" stores
# small groups compactly, keeping the fixtures small. ved reads both (tested in hdf5 unit tests).
LIBVER = os.environ.get("VED_H5_LIBVER", "latest")


def dump_json(path: Path, value) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(value, indent=1, sort_keys=True) + "\n")


# ---------------------------------------------------------------------------------------------
# Phase "legacy": runs under .venv-ref4 (transformers 4.57.6, flax, h5py)
# ---------------------------------------------------------------------------------------------


def import_transformers_4():
    # 4.57 pins huggingface_hub < 1.0; the mirror has only 1.x, whose API covers what loading
    # local files needs. Bypass the import-time version check only.
    import importlib.metadata as md

    original = md.version
    md.version = lambda name: "0.36.0" if name.replace("_", "-").lower() == "huggingface-hub" else original(name)
    try:
        import transformers
    finally:
        md.version = original
    assert transformers.__version__ == "4.57.6", transformers.__version__
    return transformers


def make_configs(transformers, encoder: str, decoder: str):
    t = transformers
    if encoder == "vit":
        enc = t.ViTConfig(hidden_size=12, num_hidden_layers=1, num_attention_heads=2, intermediate_size=16,
                          image_size=8, patch_size=4, num_channels=3, qkv_bias=True)
    elif encoder == "deit":
        enc = t.DeiTConfig(hidden_size=8, num_hidden_layers=1, num_attention_heads=2, intermediate_size=12,
                           image_size=8, patch_size=4, num_channels=3)
    elif encoder == "swin":
        enc = t.SwinConfig(image_size=8, patch_size=2, num_channels=3, embed_dim=4, depths=[1, 1], num_heads=[1, 2],
                           window_size=2, mlp_ratio=2.0)
    else:
        raise ValueError(encoder)
    common = dict(vocab_size=VOCAB, is_decoder=True, add_cross_attention=True, bos_token_id=0, eos_token_id=1,
                  pad_token_id=1)
    if decoder == "gpt2":
        dec = t.GPT2Config(n_embd=8, n_layer=2, n_head=2, n_positions=16, **common)
    elif decoder == "trocr":
        dec = t.TrOCRConfig(d_model=8, decoder_layers=2, decoder_attention_heads=2, decoder_ffn_dim=12,
                            max_position_embeddings=16, decoder_start_token_id=0, **common)
    elif decoder == "bert":
        dec = t.BertConfig(hidden_size=8, num_hidden_layers=2, num_attention_heads=2, intermediate_size=12,
                           max_position_embeddings=16, **common)
    else:
        raise ValueError(decoder)
    config = t.VisionEncoderDecoderConfig.from_encoder_decoder_configs(enc, dec)
    config.decoder_start_token_id = 0
    config.pad_token_id = 1
    config.eos_token_id = 1
    return config


def build_model(transformers, encoder: str, decoder: str, seed: int):
    import torch

    torch.manual_seed(seed)
    model = transformers.VisionEncoderDecoderModel(make_configs(transformers, encoder, decoder))
    # Random init leaves norms at 1 and biases at 0; redraw everything so that a swapped gamma/beta,
    # a missed transpose or a wrong bias shows in the logits.
    with torch.no_grad():
        for _, p in model.named_parameters():
            p.copy_(torch.randn_like(p) * 0.3)
    model.eval()
    model.generation_config.decoder_start_token_id = 0
    model.generation_config.eos_token_id = 1
    model.generation_config.pad_token_id = 1
    return model


def pixel_values(config, seed: int):
    import torch

    g = torch.Generator().manual_seed(seed)
    size = config.encoder.image_size
    return torch.rand((2, 3, size, size), generator=g) * 2 - 1


def outputs(model, pixels) -> dict:
    import torch

    with torch.no_grad():
        ids = torch.tensor(DECODER_INPUT_IDS)
        logits = model(pixel_values=pixels, decoder_input_ids=ids).logits
        labels = torch.tensor(LABELS)
        if model.__module__.startswith("transformers") and __import__("transformers").__version__.startswith("4."):
            # 4.57's VisionEncoderDecoderModel loss goes through ForCausalLM's loss, which shifts the
            # labels a second time; 5.18 (and ved) take the plain token-mean cross-entropy of the
            # logits for the shifted-right decoder inputs. Use 5.18's formula on 4.57's model.
            from transformers.models.vision_encoder_decoder.modeling_vision_encoder_decoder import shift_tokens_right

            shifted = shift_tokens_right(labels, model.config.pad_token_id, model.config.decoder_start_token_id)
            lg = model(pixel_values=pixels, decoder_input_ids=shifted).logits
            loss = torch.nn.functional.cross_entropy(lg.reshape(-1, lg.shape[-1]), labels.reshape(-1), ignore_index=-100)
        else:
            loss = model(pixel_values=pixels, labels=labels).loss
        greedy = model.generate(pixel_values=pixels, max_new_tokens=MAX_NEW_TOKENS, do_sample=False, num_beams=1,
                                decoder_start_token_id=0, eos_token_id=1, pad_token_id=1)
    return {
        "logits_shape": list(logits.shape),
        "logits": [float(x) for x in logits.float().flatten()],
        "loss": float(loss),
        "greedy": greedy.tolist(),
    }


def write_config_only(model, path: Path) -> None:
    path.mkdir(parents=True, exist_ok=True)
    model.config.save_pretrained(path)
    model.generation_config.save_pretrained(path)


# --- TF: names and layouts as Keras gives a TFVisionEncoderDecoderModel --------------------------

def tf_variables(model) -> list[tuple[str, "object"]]:
    """(TF variable name, numpy array in TF layout) for every parameter, as the TF model names them."""
    import torch
    from transformers.pytorch_utils import Conv1D

    top = "tf_vision_encoder_decoder_model"
    modules = dict(model.named_modules())
    encoder_type = model.config.encoder.model_type
    out = []
    for name, param in model.named_parameters():
        if name == "decoder.lm_head.weight" or name.endswith("cls.predictions.decoder.weight"):
            continue  # tied to the input embedding; TF holds it once
        module_name, _, leaf = name.rpartition(".")
        module = modules[module_name]
        array = param.detach().numpy()
        if isinstance(module, torch.nn.Linear) and leaf == "weight":
            leaf, array = "kernel", array.T
        elif isinstance(module, torch.nn.Conv2d) and leaf == "weight":
            leaf, array = "kernel", array.transpose(2, 3, 1, 0)  # OIHW -> HWIO
        elif isinstance(module, torch.nn.LayerNorm):
            leaf = {"weight": "gamma", "bias": "beta"}[leaf]
        elif isinstance(module, torch.nn.Embedding):
            leaf = "embeddings"
        elif isinstance(module, Conv1D):
            pass  # TFConv1D keeps PyTorch's [nx, nf] layout under the name "weight"
        parts = module_name.split(".")
        side = parts[0]
        rest = parts[1:]
        if side == "encoder":
            rest = [encoder_type] + rest  # the TF main layer, named after model_type
        elif side == "decoder" and rest[:1] == ["cls"]:
            rest = ["mlm___cls"] + rest[1:]  # TFBertLMHeadModel's head scope
        # Lists are flattened as `layer_._0`
        joined = []
        for part in rest:
            if part.isdigit() and joined:
                joined[-1] = f"{joined[-1]}_._{part}"
            else:
                joined.append(part)
        tf_name = "/".join([top, side] + joined + [f"{leaf}:0"])
        out.append((tf_name, array.copy()))
    return out


def write_tf_h5(model, path: Path) -> None:
    import h5py
    import numpy as np

    variables = tf_variables(model)
    layers: dict[str, list] = {}
    for tf_name, array in variables:
        layers.setdefault(tf_name.split("/")[1], []).append((tf_name, array))
    with h5py.File(path, "w", libver=LIBVER) as f:
        f.attrs["backend"] = b"tensorflow"
        f.attrs["keras_version"] = b"2.15.0"
        f.attrs["layer_names"] = np.array([name.encode() for name in layers], dtype="S")
        for layer, weights in layers.items():
            g = f.create_group(layer)
            g.attrs["weight_names"] = np.array([n.encode() for n, _ in weights], dtype="S")
            for n, array in weights:
                g.create_dataset(n, data=array)


def load_tf_reference(transformers, model_config, path: Path):
    """4.57's from_pretrained(from_tf=True) path for VisionEncoderDecoderModel, fed the h5's variables."""
    import h5py
    from transformers.modeling_tf_pytorch_utils import load_tf2_state_dict_in_pytorch_model

    with h5py.File(path, "r") as f:
        names = []
        for layer in f.attrs["layer_names"]:
            for n in f[layer.decode()].attrs["weight_names"]:
                names.append((layer.decode(), n.decode()))
        variables = {n: f[layer][n][()] for layer, n in names}
    t = transformers
    encoder = t.AutoModel.from_config(model_config.encoder)
    decoder = t.AutoModelForCausalLM.from_config(model_config.decoder)
    # The standalone TF encoder/decoder names its variables `<model>/<rest>`; the composed one
    # `tf_vision_encoder_decoder_model/<encoder|decoder>/<rest>` (see 4.57 modeling_vision_encoder_decoder.py).
    enc_state = {"tf_model/" + "/".join(k.split("/")[2:]): v for k, v in variables.items() if k.split("/")[1] == "encoder"}
    dec_state = {"tf_model/" + "/".join(k.split("/")[2:]): v for k, v in variables.items() if k.split("/")[1] == "decoder"}
    load_tf2_state_dict_in_pytorch_model(encoder, enc_state)
    load_tf2_state_dict_in_pytorch_model(decoder, dec_state)
    model = t.VisionEncoderDecoderModel(encoder=encoder, decoder=decoder)
    model.config = model_config
    proj = {k: v for k, v in variables.items() if k.split("/")[1] == "enc_to_dec_proj"}
    if proj:
        import torch

        kernel = next(v for k, v in proj.items() if k.endswith("kernel:0"))
        bias = next(v for k, v in proj.items() if k.endswith("bias:0"))
        model.enc_to_dec_proj.weight.data = torch.from_numpy(kernel).t().contiguous()
        model.enc_to_dec_proj.bias.data = torch.from_numpy(bias)
    model.eval()
    return model


def phase_legacy(work: Path) -> None:
    transformers = import_transformers_4()
    import torch

    references = {}
    for index, (pair, (encoder, decoder, formats)) in enumerate(PAIRS.items()):
        model = build_model(transformers, encoder, decoder, seed=100 + index)
        pixels = pixel_values(model.config, seed=200 + index)
        pair_dir = OUT / pair
        shutil.rmtree(pair_dir, ignore_errors=True)
        (work / pair).mkdir(parents=True, exist_ok=True)
        torch.save(pixels, work / pair / "pixels.pt")
        ref = {"pixel_values_shape": list(pixels.shape), "pixel_values": [float(x) for x in pixels.flatten()],
               "decoder_input_ids": DECODER_INPUT_IDS, "labels": LABELS, "max_new_tokens": MAX_NEW_TOKENS,
               "formats": {}}
        ref["torch_reference"] = outputs(model, pixels)
        for fmt in formats:
            target = pair_dir / fmt
            if fmt == "bin":
                model.save_pretrained(target, safe_serialization=False)
            elif fmt == "bin-sharded":
                model.save_pretrained(target, safe_serialization=False, max_shard_size="4KB")
            elif fmt == "bin-bf16":
                copy.deepcopy(model).to(torch.bfloat16).save_pretrained(target, safe_serialization=False)
            elif fmt == "flax":
                pt_dir = work / pair / "pt"
                model.save_pretrained(pt_dir, safe_serialization=False)
                flax_model = transformers.FlaxVisionEncoderDecoderModel.from_pretrained(pt_dir, from_pt=True)
                flax_model.save_pretrained(target)
                # from_pretrained(from_flax=True) builds the model on the meta device and then loads with
                # load_state_dict, which torch 2.13 leaves on meta; call the function it calls on a real model.
                from transformers.modeling_flax_pytorch_utils import load_flax_checkpoint_in_pytorch_model

                loaded = transformers.VisionEncoderDecoderModel(model.config)
                load_flax_checkpoint_in_pytorch_model(loaded, str(target / "flax_model.msgpack"))
                loaded.tie_weights()
                loaded.eval()
                ref["formats"][fmt] = {"python": "transformers 4.57.6 load_flax_checkpoint_in_pytorch_model (from_flax=True path)", **outputs(loaded, pixels)}
            elif fmt == "tf":
                write_config_only(model, target)
                write_tf_h5(model, target / "tf_model.h5")
                loaded = load_tf_reference(transformers, model.config, target / "tf_model.h5")
                ref["formats"][fmt] = {"python": "transformers 4.57.6 load_tf2_state_dict_in_pytorch_model (from_tf=True path)", **outputs(loaded, pixels)}
        references[pair] = ref
    dump_json(work / "legacy.json", references)
    write_name_cases(transformers)
    write_hostile_h5()


def write_hostile_h5() -> None:
    """A Keras-layout h5 whose one dataset claims 4 x 10^9 floats but stores none (h5py allocates late)."""
    import h5py
    import numpy as np

    d = OUT / "hostile-h5"
    d.mkdir(parents=True, exist_ok=True)
    with h5py.File(d / "huge-dataset.h5", "w", libver=LIBVER) as f:
        f.attrs["layer_names"] = np.array([b"encoder"], dtype="S")
        g = f.create_group("encoder")
        name = "tf_vision_encoder_decoder_model/encoder/vit/embeddings/cls_token:0"
        g.attrs["weight_names"] = np.array([name.encode()], dtype="S")
        g.create_dataset(name, shape=(4_000_000_000,), dtype="f4")


def write_name_cases(transformers) -> None:
    """4.57's convert_tf_weight_name_to_pt_weight_name on tricky names, for ved's unit tests."""
    from transformers.modeling_tf_pytorch_utils import convert_tf_weight_name_to_pt_weight_name

    cases = [
        ("tf_bert_model/bert/embeddings/word_embeddings/weight:0", "", [40, 8]),
        ("tf_bert_model/bert/embeddings/LayerNorm/gamma:0", "", [8]),
        ("tf_bert_model/bert/embeddings/LayerNorm/beta:0", "bert.", [8]),
        ("tf_bert_lm_head_model/mlm___cls/predictions/transform/dense/kernel:0", "", [8, 8]),
        ("tf_bert_lm_head_model/bert/encoder/layer_._11/attention/self/query/kernel:0", "", [8, 8]),
        ("m/a___b/c___d/e/kernel:0", "", [2, 3]),
        ("m/x/conv/kernel:0", "", [3, 3, 4, 5]),
        ("m/x/conv1d/kernel:0", "", [3, 4, 5]),
        ("m/x/dw/depthwise_kernel:0", "", [3, 3, 4, 1]),
        ("m/x/pw/pointwise_kernel:0", "", [1, 1, 4, 5]),
        ("m/transformer/emb_projs_._0/w:0", "", [4, 6]),
        ("m/vit/embeddings/cls_token:0", "vit.", [1, 1, 8]),
        ("m/swin/encoder/layers_._0/blocks_._0/attention/self/relative_position_bias_table:0", "swin.", [9, 1]),
        ("single:0", "", [3]),
        ("m//double//slash/kernel:0", "", [2, 2]),
        ("m/a/embeddings:0", "a.", [4, 2]),
    ]
    out = []
    for name, prefix, shape in cases:
        pt, transpose = convert_tf_weight_name_to_pt_weight_name(name, start_prefix_to_remove=prefix, tf_weight_shape=shape)
        out.append({"tf_name": name, "start_prefix_to_remove": prefix, "shape": shape, "pt_name": pt, "transpose": transpose.value})
    dump_json(OUT / "tf_name_cases.json", out)


# ---------------------------------------------------------------------------------------------
# Phase "current": runs under .venv-ref (transformers 5.18, torch 2.13)
# ---------------------------------------------------------------------------------------------


def phase_current(work: Path) -> None:
    import torch
    import transformers

    references = json.loads((work / "legacy.json").read_text())
    for pair, ref in references.items():
        pixels = torch.load(work / pair / "pixels.pt")
        for fmt in PAIRS[pair][2]:
            if not fmt.startswith("bin"):
                continue
            kwargs = {"dtype": torch.float32} if fmt == "bin-bf16" else {}
            model = transformers.VisionEncoderDecoderModel.from_pretrained(OUT / pair / fmt, **kwargs).eval()
            ref["formats"][fmt] = {"python": f"transformers {transformers.__version__} from_pretrained", **outputs(model, pixels)}
        del ref["torch_reference"]
        dump_json(OUT / pair / "reference.json", ref)
    make_torch_unit_files()
    make_hostile_files()


# --- small torch files: views, shared storages, dtypes, deflated, legacy -------------------------

def make_torch_unit_files() -> None:
    import collections

    import torch
    from torch._weights_only_unpickler import _get_allowed_globals

    d = OUT / "torch"
    shutil.rmtree(d, ignore_errors=True)
    d.mkdir(parents=True)
    g = torch.Generator().manual_seed(7)
    base = torch.randn(4, 6, generator=g)
    state = collections.OrderedDict()
    state["contiguous"] = base
    state["transposed"] = base.t()  # non-contiguous view, shares base's storage
    state["sliced"] = base[1:3, 2:5]  # storage offset + strides
    state["expanded"] = torch.randn(1, 3, generator=g).expand(4, 3)  # stride 0
    state["scalar"] = torch.tensor(3.5)
    state["empty"] = torch.zeros(0, 5)
    state["f64"] = torch.randn(3, 2, generator=g, dtype=torch.float64)
    state["f16"] = torch.randn(5, generator=g).half()
    state["bf16"] = torch.randn(2, 3, generator=g).bfloat16()
    state["bf16_view"] = state["bf16"].t()
    state["i64"] = torch.tensor([-3, 0, 2**40, 7], dtype=torch.int64)
    state["i32"] = torch.tensor([[-5, 6], [7, 2**30]], dtype=torch.int32)
    state["i16"] = torch.tensor([-300, 300], dtype=torch.int16)
    state["i8"] = torch.tensor([-100, 100], dtype=torch.int8)
    state["u8"] = torch.tensor([0, 255, 17], dtype=torch.uint8)
    state["bool"] = torch.tensor([True, False, True])
    state["parameter"] = torch.nn.Parameter(torch.randn(2, 2, generator=g))
    state._metadata = collections.OrderedDict({"": {"version": 1}})
    torch.save(state, d / "views.bin")
    expected = []
    for name, t in state.items():
        t = t.detach()
        entry = {"name": name, "dtype": str(t.dtype).replace("torch.", ""), "shape": list(t.shape), "contiguous": t.is_contiguous()}
        if t.dtype in (torch.int64, torch.int32):
            entry["values"] = [str(int(x)) for x in t.flatten()]
        else:
            entry["values"] = [float(x) for x in t.float().flatten()]
        expected.append(entry)
    dump_json(d / "views.json", expected)
    # The same archive with every entry deflated (torch.load reads it too).
    with zipfile.ZipFile(d / "views.bin") as src, zipfile.ZipFile(d / "views-deflated.bin", "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            dst.writestr(info.filename, src.read(info.filename))
    # The same tensors as a big-endian machine saves them: every storage byte-swapped, byteorder "big".
    big_state = copy.deepcopy(state)
    swapped = set()
    with torch.no_grad():
        for t in big_state.values():
            storage = t.untyped_storage()
            if storage.data_ptr() in swapped or storage.nbytes() == 0:
                continue
            swapped.add(storage.data_ptr())
            u8 = torch.empty(0, dtype=torch.uint8).set_(storage)
            u8.copy_(u8.view(-1, t.element_size()).flip(1).reshape(-1))
    torch.save(big_state, d / "big.bin")
    with zipfile.ZipFile(d / "big.bin") as src, zipfile.ZipFile(d / "views-big-endian.bin", "w", zipfile.ZIP_STORED) as dst:
        for info in src.infolist():
            data = b"big" if info.filename.endswith("/byteorder") else src.read(info.filename)
            dst.writestr(info.filename, data)
    (d / "big.bin").unlink()
    for name in ("views.bin", "views-deflated.bin", "views-big-endian.bin"):
        loaded = torch.load(d / name, weights_only=True)
        assert all(torch.equal(loaded[k], state[k]) for k in state), name
    # torch's legacy (pre-1.6) format.
    torch.save({"w": torch.ones(2)}, d / "legacy.bin", _use_new_zipfile_serialization=False)
    dump_json(d / "allowed_globals.json", sorted(_get_allowed_globals()))


# --- hostile files ---------------------------------------------------------------------------

MARKER = "/tmp/ved-exploit-marker"


class Reduce:
    """An object whose unpickling calls `fn(*args)`: what an exploit pickle does."""

    def __init__(self, fn, args):
        self.fn, self.args = fn, args

    def __reduce__(self):
        return self.fn, self.args


def torch_zip(pickle_bytes: bytes, extra: dict[str, bytes] | None = None, prefix: str = "archive/") -> bytes:
    """A zip shaped like torch's: <prefix>data.pkl, byteorder, data/<key>."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_STORED) as z:
        z.writestr(prefix + "data.pkl", pickle_bytes)
        z.writestr(prefix + "byteorder", b"little")
        z.writestr(prefix + "version", b"3\n")
        for name, data in (extra or {}).items():
            z.writestr(prefix + name, data)
    return buf.getvalue()


def raw_zip(entries: list[tuple[str, bytes]]) -> bytes:
    """A stored zip written byte by byte, so that names are exactly as given (zipfile rewrites some)."""
    out = bytearray()
    central = bytearray()
    import zlib

    for name, data in entries:
        n = name.encode()
        crc = zlib.crc32(data)
        offset = len(out)
        out += struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, 0, 0, 0, 0, crc, len(data), len(data), len(n), 0) + n + data
        central += struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 20, 20, 0, 0, 0, 0, crc, len(data), len(data),
                               len(n), 0, 0, 0, 0, 0, offset) + n
    cd_offset = len(out)
    out += central
    out += struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, len(entries), len(entries), len(central), cd_offset, 0)
    return bytes(out)


def op_pickle(*parts: bytes) -> bytes:
    return b"\x80\x02" + b"".join(parts) + b"."


def make_hostile_files() -> None:
    import os as os_module
    import copyreg
    import subprocess as sp
    import zlib

    import torch

    d = OUT / "hostile"
    shutil.rmtree(d, ignore_errors=True)
    d.mkdir(parents=True)
    touch = f"touch {MARKER}"
    files: dict[str, bytes] = {}
    # Pickles made by Python's own pickle (protocol 2, as torch.save writes).
    files["posix-system-reduce.bin"] = torch_zip(pickle.dumps(Reduce(os_module.system, (touch,)), protocol=2))
    files["builtins-eval.bin"] = torch_zip(pickle.dumps(Reduce(eval, (f"__import__('os').system({touch!r})",)), protocol=2))
    files["builtins-exec.bin"] = torch_zip(pickle.dumps(Reduce(exec, (f"import os; os.system({touch!r})",)), protocol=2))
    files["subprocess-popen.bin"] = torch_zip(pickle.dumps(Reduce(sp.Popen, (["touch", MARKER],)), protocol=2))
    files["os-system-global.bin"] = torch_zip(b"\x80\x02cos\nsystem\nX" + struct.pack("<I", len(touch)) + touch.encode() + b"\x85R.")
    # Protocol 4 writes STACK_GLOBAL (after FRAME); this one has STACK_GLOBAL alone.
    files["stack-global.bin"] = torch_zip(op_pickle(b"X\x05\x00\x00\x00posixX\x06\x00\x00\x00system\x93",
                                                    b"X" + struct.pack("<I", len(touch)) + touch.encode(), b"\x85R"))
    files["protocol4.bin"] = torch_zip(pickle.dumps(Reduce(os_module.system, (touch,)), protocol=4))
    files["inst.bin"] = torch_zip(b"(X" + struct.pack("<I", len(touch)) + touch.encode() + b"ios\nsystem\n.")
    files["obj.bin"] = torch_zip(op_pickle(b"(ccollections\nOrderedDict\n", b"o"))
    files["build-on-list.bin"] = torch_zip(op_pickle(b"]}X\x09\x00\x00\x00__class__ccollections\nOrderedDict\nsb"))
    files["build-on-tuple.bin"] = torch_zip(op_pickle(b")}b"))
    files["append-to-dict.bin"] = torch_zip(op_pickle(b"}Na"))
    files["persid-not-storage.bin"] = torch_zip(op_pickle(b"X\x06\x00\x00\x00systemX\x01\x00\x00\x00x\x86Q"))
    copyreg.add_extension("posix", "system", 240)
    try:
        files["ext1.bin"] = torch_zip(pickle.dumps(Reduce(os_module.system, (touch,)), protocol=2))
    finally:
        copyreg.remove_extension("posix", "system", 240)
    files["ext2.bin"] = torch_zip(op_pickle(b"\x83\xf0\x01X\x01\x00\x00\x00x\x85R"))
    files["memo-unset.bin"] = torch_zip(op_pickle(b"h\x05"))
    files["memo-huge-index.bin"] = torch_zip(op_pickle(b"}r\xff\xff\xff\xffj\xff\xff\xff\xff"))  # a dict, not a state dict
    files["memo-cycle.bin"] = torch_zip(op_pickle(b"]q\x00h\x00a"))  # a list holding itself
    files["memo-reduce-string.bin"] = torch_zip(op_pickle(b"X\x0c\x00\x00\x00posix.systemq\x00h\x00)R"))  # calls a str
    # Storages claiming terabytes, views reaching past their storage.
    st = b"X\x07\x00\x00\x00storagectorch\nFloatStorage\nX\x01\x00\x00\x000X\x03\x00\x00\x00cpu"
    big = b"\x8a\x06" + (2**40).to_bytes(6, "little")
    files["storage-terabytes.bin"] = torch_zip(op_pickle(b"}X\x01\x00\x00\x00wctorch._utils\n_rebuild_tensor_v2\n((", st, big,
                                                         b"tQK\x00", big, b"\x85K\x01\x85\x89ccollections\nOrderedDict\n)RtRs"),
                                               {"data/0": b"\0" * 16})
    files["view-past-storage.bin"] = torch_zip(op_pickle(b"}X\x01\x00\x00\x00wctorch._utils\n_rebuild_tensor_v2\n((", st, b"K\x04",
                                                         b"tQK\x00\x8a\x03\x00\x00\x10\x8a\x03\x00\x00\x10\x86K\x01K\x01\x86\x89ccollections\nOrderedDict\n)RtRs"),
                                               {"data/0": b"\0" * 16})
    # Zip-level attacks.
    good = torch_zip(pickle.dumps({}, protocol=2))
    files["zip-dotdot.bin"] = raw_zip([("archive/data.pkl", op_pickle(b"}")), ("archive/version", b"3\n"), ("archive/../../evil", b"x")])
    files["zip-absolute.bin"] = raw_zip([("archive/data.pkl", op_pickle(b"}")), ("archive/version", b"3\n"), ("/tmp/evil", b"x")])
    files["truncated.bin"] = good[: len(good) // 2]
    files["not-a-zip.bin"] = b"this is not a checkpoint" * 4
    # A deflated data.pkl that declares 4 GiB - 1 (compressing 1 MiB of zeros): refused before inflating.
    bomb = bytearray(torch_zip(b"\0" * 64))
    payload = zlib.compressobj(9, zlib.DEFLATED, -15)
    comp = payload.compress(b"\0" * (1 << 20)) + payload.flush()
    name = b"archive/data.pkl"
    crc = zlib.crc32(b"\0" * (1 << 20))
    local = struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, 0, 8, 0, 0, crc, len(comp), 0xFFFFFFFE, len(name), 0) + name + comp
    central = struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 20, 20, 0, 8, 0, 0, crc, len(comp), 0xFFFFFFFE, len(name),
                          0, 0, 0, 0, 0, 0) + name
    files["zip-bomb.bin"] = local + central + struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, 1, 1, len(central), len(local), 0)
    # A deflated data.pkl whose stream inflates past its declared size.
    small = op_pickle(b"}")
    comp2 = zlib.compressobj(9, zlib.DEFLATED, -15)
    comp2 = comp2.compress(small + b"\0" * 5000) + comp2.flush()
    crc2 = zlib.crc32(small + b"\0" * 5000)
    local2 = struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, 0, 8, 0, 0, crc2, len(comp2), len(small), len(name), 0) + name + comp2
    central2 = struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 20, 20, 0, 8, 0, 0, crc2, len(comp2), len(small), len(name),
                           0, 0, 0, 0, 0, 0) + name
    files["deflate-overlong.bin"] = local2 + central2 + struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, 1, 1, len(central2), len(local2), 0)

    verdicts = {}
    for fname, data in files.items():
        (d / fname).write_bytes(data)
        try:
            torch.load(d / fname, weights_only=True)
            verdict = "loaded"
        except Exception as e:  # noqa: BLE001
            verdict = f"refused: {type(e).__name__}: {str(e).splitlines()[0][:160]}"
        verdicts[fname] = verdict
    # Each exploit pickle really runs its payload under an unrestricted pickle.load (checked in a child
    # process; the marker is removed again).
    exploits = ["posix-system-reduce.bin", "builtins-eval.bin", "builtins-exec.bin", "subprocess-popen.bin",
                "os-system-global.bin", "protocol4.bin", "inst.bin"]
    for fname in exploits:
        with zipfile.ZipFile(d / fname) as z:
            blob = z.read("archive/data.pkl")
        Path(MARKER).unlink(missing_ok=True)
        subprocess.run([sys.executable, "-c", "import pickle,sys,time; pickle.loads(sys.stdin.buffer.read()); time.sleep(0.2)"],
                       input=blob, check=False, capture_output=True)
        assert Path(MARKER).exists(), f"{fname}: the payload did not run under plain pickle"
        Path(MARKER).unlink()
    dump_json(d / "torch_verdicts.json", {"marker": MARKER, "exploits": exploits, "torch_load_weights_only": verdicts})


def main() -> None:
    import tempfile

    if len(sys.argv) > 1 and sys.argv[1] == "--torch-units-only":  # fixtures/formats/torch alone
        make_torch_unit_files()
        return
    if len(sys.argv) > 1 and sys.argv[1] == "--hostile-h5-only":  # fixtures/formats/hostile-h5 alone (.venv-ref4)
        write_hostile_h5()
        return
    if len(sys.argv) > 1 and sys.argv[1] == "--phase-legacy":
        phase_legacy(Path(sys.argv[2]))
        return
    if not VENV4.exists():
        sys.exit("run tools/reference/setup_checkpoint_formats.sh first (creates .venv-ref4)")
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run([str(VENV4), __file__, "--phase-legacy", tmp], check=True)
        phase_current(Path(tmp))
    total = sum(p.stat().st_size for p in OUT.rglob("*") if p.is_file())
    print(f"fixtures/formats: {total / 1024:.0f} KiB")


if __name__ == "__main__":
    main()
