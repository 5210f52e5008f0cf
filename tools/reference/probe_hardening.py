#!/usr/bin/env python
"""What transformers 5.18 / torch 2.13 / Pillow do with hostile inputs (out-of-range ids and
positions, decompression bombs, unexpected checkpoint keys), for ved's hardening tests.

Writes nothing: it prints one line per case, `name: returned ...` or `name: raises Type: message`,
so that the tests' comments ("Python raises X") can be checked again:
    .venv-ref/bin/python tools/reference/probe_hardening.py

It loads the tiny checkpoints under fixtures/ (made by the other scripts in this folder).
"""

from __future__ import annotations

import io
import sys
import tempfile
import warnings
from pathlib import Path

import torch
from PIL import Image
from transformers import VisionEncoderDecoderModel

ROOT = Path(__file__).resolve().parents[2]
FIX = ROOT / "fixtures"
warnings.simplefilter("always")


def show(name, fn):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            out = fn()
            text = f"returned {out!r}"
        except Exception as err:  # noqa: BLE001 - we report what Python raises
            msg = str(err).split("\n")[0][:300]
            text = f"raises {type(err).__name__}: {msg}"
    kinds = sorted({w.category.__name__ for w in caught if "friendly" in str(w.message) or "Bomb" in w.category.__name__})
    extra = f"  [warnings: {', '.join(kinds)}]" if kinds else ""
    print(f"{name}: {text}{extra}", flush=True)


def load(path):
    model = VisionEncoderDecoderModel.from_pretrained(path)
    model.eval()
    return model


def pixels(model, batch=1):
    enc = model.config.encoder
    size = enc.image_size if isinstance(enc.image_size, int) else enc.image_size[0]
    torch.manual_seed(0)
    return torch.randn(batch, enc.num_channels, size, size)


def gen(model, **kwargs):
    with torch.no_grad():
        return model.generate(pixels(model), **kwargs).shape


def loss(model, labels):
    with torch.no_grad():
        return float(model(pixel_values=pixels(model), labels=torch.tensor([labels])).loss)


def positions(name, path):
    """Generates with no eos past the position table: how long does Python get?"""
    model = load(path)
    dec = model.config.decoder
    limit = getattr(dec, "n_positions", None) or dec.max_position_embeddings
    show(f"{name} (table {limit}): generate max_new_tokens={limit - 1} no eos", lambda: gen(model, eos_token_id=None, max_new_tokens=limit - 1, do_sample=False))
    show(f"{name} (table {limit}): generate max_new_tokens={limit} no eos", lambda: gen(model, eos_token_id=None, max_new_tokens=limit, do_sample=False))
    show(f"{name} (table {limit}): generate max_new_tokens={limit + 40} no eos", lambda: gen(model, eos_token_id=None, max_new_tokens=limit + 40, do_sample=False))
    start = model.config.decoder_start_token_id
    show(f"{name}: loss with {limit} labels", lambda: loss(model, [5] * limit))
    show(f"{name}: loss with {limit + 1} labels", lambda: loss(model, [5] * (limit + 1)))
    del start


def main():
    gpt2 = load(FIX / "models" / "vit-gpt2-a")  # vocab 300, n_positions 64
    print("VisionEncoderDecoderConfig max_position_embeddings:", getattr(gpt2.config, "max_position_embeddings", None))
    show("decoder_start_token_id=1000000", lambda: gen(gpt2, decoder_start_token_id=1000000, max_new_tokens=3))
    show("decoder_start_token_id=300 (== vocab)", lambda: gen(gpt2, decoder_start_token_id=300, max_new_tokens=3))
    show("decoder_start_token_id=-3", lambda: gen(gpt2, decoder_start_token_id=-3, max_new_tokens=3))
    show("bos_token_id=-3 decoder_start None", lambda: gen(gpt2, decoder_start_token_id=None, bos_token_id=-3, max_new_tokens=3))
    show("forced_bos_token_id=1000", lambda: gen(gpt2, forced_bos_token_id=1000, max_new_tokens=3))
    show("forced_bos_token_id=-3", lambda: gen(gpt2, forced_bos_token_id=-3, max_new_tokens=3))
    show("forced_eos_token_id=1000 max_new_tokens=3", lambda: gen(gpt2, forced_eos_token_id=1000, eos_token_id=None, max_new_tokens=3))
    show("forced_eos_token_id=-3 max_new_tokens=3", lambda: gen(gpt2, forced_eos_token_id=-3, eos_token_id=None, max_new_tokens=3))
    show("eos_token_id=1000", lambda: gen(gpt2, eos_token_id=1000, max_new_tokens=3))
    show("eos_token_id=-3", lambda: gen(gpt2, eos_token_id=-3, max_new_tokens=3))
    show("pad_token_id=1000 eos=298", lambda: gen(gpt2, pad_token_id=1000, max_new_tokens=3))
    show("pad_token_id=-3", lambda: gen(gpt2, pad_token_id=-3, max_new_tokens=3))
    show("bad_words_ids=[[1000]]", lambda: gen(gpt2, bad_words_ids=[[1000]], max_new_tokens=3))
    show("bad_words_ids=[[5, 1000]]", lambda: gen(gpt2, bad_words_ids=[[5, 1000]], max_new_tokens=3))
    show("bad_words_ids=[[-1]]", lambda: gen(gpt2, bad_words_ids=[[-1]], max_new_tokens=3))
    show("sequence_bias={(1000,): 1.0}", lambda: gen(gpt2, sequence_bias={(1000,): 1.0}, max_new_tokens=3))
    show("sequence_bias={(5, 1000): 1.0}", lambda: gen(gpt2, sequence_bias={(5, 1000): 1.0}, max_new_tokens=3))
    show("sequence_bias={(-1,): 1.0}", lambda: gen(gpt2, sequence_bias={(-1,): 1.0}, max_new_tokens=3))
    show("suppress_tokens=[1000]", lambda: gen(gpt2, suppress_tokens=[1000], max_new_tokens=3))
    show("suppress_tokens=[-1]", lambda: gen(gpt2, suppress_tokens=[-1], max_new_tokens=3))
    show("begin_suppress_tokens=[1000]", lambda: gen(gpt2, begin_suppress_tokens=[1000], max_new_tokens=3))
    show("begin_suppress_tokens=[-1]", lambda: gen(gpt2, begin_suppress_tokens=[-1], max_new_tokens=3))
    show("decoder_input_ids=[[298, 1000]]", lambda: gen(gpt2, decoder_input_ids=torch.tensor([[298, 1000]]), max_new_tokens=3))
    show("decoder_input_ids=[[298, -2]]", lambda: gen(gpt2, decoder_input_ids=torch.tensor([[298, -2]]), max_new_tokens=3))
    show("labels=[1000, 5, 2]", lambda: loss(gpt2, [1000, 5, 2]))
    show("labels=[5, 5, 1000] (last label only in the loss target)", lambda: loss(gpt2, [5, 5, 1000]))
    show("labels=[5, 5, 300] (== vocab, last)", lambda: loss(gpt2, [5, 5, 300]))
    show("labels=[-5, 5, 2]", lambda: loss(gpt2, [-5, 5, 2]))
    show("labels=[5, 5, -5] (last)", lambda: loss(gpt2, [5, 5, -5]))
    show("labels=[-100, 5, 2]", lambda: loss(gpt2, [-100, 5, 2]))

    positions("gpt2", FIX / "models" / "vit-gpt2-a")
    for name in ["vit-bert", "vit-roberta", "vit-bart", "vit-mbart", "vit-trocr", "deit-trocr"]:
        positions(name, FIX / "decoders" / name)

    # Unexpected checkpoint keys: a config with fewer decoder layers than the checkpoint.
    import json
    import shutil

    with tempfile.TemporaryDirectory() as tmp:
        dst = Path(tmp) / "m"
        shutil.copytree(FIX / "models" / "vit-gpt2-a", dst)
        cfg = json.loads((dst / "config.json").read_text())
        cfg["decoder"]["n_layer"] = 1
        (dst / "config.json").write_text(json.dumps(cfg))
        from transformers.utils import logging

        logging.set_verbosity_warning()
        show(
            "unexpected keys (n_layer 2 -> 1) output_loading_info",
            lambda: sorted(VisionEncoderDecoderModel.from_pretrained(dst, output_loading_info=True)[1]["unexpected_keys"])[:3],
        )

    # PIL's decompression bomb limits, from the header.
    def png(width, height):
        buf = io.BytesIO()
        Image.new("L", (1, 1)).save(buf, format="PNG")
        data = bytearray(buf.getvalue())
        data[16:20] = width.to_bytes(4, "big")
        data[20:24] = height.to_bytes(4, "big")
        import zlib

        data[29:33] = zlib.crc32(bytes(data[12:29])).to_bytes(4, "big")
        return bytes(data)

    print("PIL MAX_IMAGE_PIXELS:", Image.MAX_IMAGE_PIXELS)
    show("PIL open 16000x16000 (256e6 px)", lambda: Image.open(io.BytesIO(png(16000, 16000))).size)
    show("PIL open 20000x20000 (400e6 px)", lambda: Image.open(io.BytesIO(png(20000, 20000))).size)
    show("PIL open 13378x13378 (178 970 884 px)", lambda: Image.open(io.BytesIO(png(13378, 13378))).size)
    bad = bytearray(png(4, 4))
    bad[30] ^= 0xFF
    show("PIL open PNG with a bad IHDR CRC", lambda: Image.open(io.BytesIO(bytes(bad))).size)

    # Ids past the tokenizer's vocabulary (a model's vocab_size padded beyond it): the Rust library's
    # TokenizerImpl::decode drops ids that id_to_token does not know.
    from transformers import AutoTokenizer

    for kind in ("bert-uncased", "gpt2", "xlm-roberta"):
        tok = AutoTokenizer.from_pretrained(FIX / "tokenizers" / kind)
        past = len(tok) + 3
        show(f"{kind} decode([5, {past}, 6])", lambda: tok.decode([5, past, 6]))
        show(f"{kind} decode([{past}])", lambda: tok.decode([past]))
        show(f"{kind} decode([5, {past}, 6], skip_special_tokens=True)", lambda: tok.decode([5, past, 6], skip_special_tokens=True))


if __name__ == "__main__":
    sys.exit(main())
