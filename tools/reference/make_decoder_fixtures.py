#!/usr/bin/env python
"""Fixtures for ved's text decoders (BERT, RoBERTa, XLM-RoBERTa, BART, mBART,
TrOCR): tiny random VisionEncoderDecoder checkpoints pairing each decoder with
ViT and with a second encoder, their tokenizers, and the outputs of
transformers 5.18.0 that the golden tests compare against.

Run from anywhere:  .venv-ref/bin/python tools/reference/make_decoder_fixtures.py

Writes
  fixtures/decoders/tokenizers/{wordpiece,bpe,unigram}/   tokenizer.json + tokenizer_config.json + cases.json
  fixtures/decoders/<encoder>-<decoder>/                   save_pretrained output + tokenizer + preprocessor
  fixtures/decoders/<encoder>-<decoder>/reference/         reference.json + reference.safetensors

Models are built from configs (`VisionEncoderDecoderConfig.from_encoder_decoder_configs` +
`VisionEncoderDecoderModel(config)`), since 5.18's from_encoder_decoder_pretrained crashes for
BART/TrOCR decoders (it reads `is_decoder`/`add_cross_attention`, which their configs lack). Seeds
are searched deterministically so that every greedy decision has a clear top-2 margin, greedy and
beam results survive small logit noise (ORT vs torch), and eos stops some rows early while others
run to the length limit.
"""

from __future__ import annotations

import json
import math
import shutil
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

# make_fixtures sets the offline environment, deterministic torch and quiet logging on import.
from make_fixtures import CORPUS, TEACHER_TEXTS, dump_json, load_image  # noqa: E402
from ved_reference import manual_greedy  # noqa: E402  (packages/testing/python, put on sys.path by make_fixtures)

import numpy as np  # noqa: E402
import torch  # noqa: E402
from PIL import Image  # noqa: E402
from safetensors import safe_open  # noqa: E402
from safetensors.torch import save_file  # noqa: E402
from tokenizers import Tokenizer, models, normalizers, pre_tokenizers, trainers  # noqa: E402

import transformers  # noqa: E402
from transformers import (  # noqa: E402
    AutoImageProcessor,
    AutoTokenizer,
    BartConfig,
    BertConfig,
    BertTokenizer,
    DeiTConfig,
    DonutSwinConfig,
    GenerationConfig,
    LogitsProcessor,
    MBartConfig,
    RobertaConfig,
    RobertaTokenizer,
    TrOCRConfig,
    ViTConfig,
    VisionEncoderDecoderConfig,
    VisionEncoderDecoderModel,
    XLMRobertaConfig,
    XLMRobertaTokenizer,
)

ROOT = Path(__file__).resolve().parents[2]
IMAGES_DIR = ROOT / "fixtures" / "images"
OUT_DIR = ROOT / "fixtures" / "decoders"

# The second encoder paired with every decoder. DeiT per the issue; "vit" (a second ViT size) is
# the fallback while no DeiT encoder package exists.
SECOND_ENCODER = "deit"

SEARCH_MARGIN = 0.02  # top-2 margin required on the eos-free greedy trajectory during the seed search
MIN_MARGIN = 2e-3  # top-2 margin required on the recorded greedy run (processed scores)
NOISE = 3e-4  # logits noise that the recorded greedy/beam results must survive
NOISE_RUNS = 6

# --------------------------------------------------------------------------------------------
# 1. Tokenizers
# --------------------------------------------------------------------------------------------

EXTRA_CORPUS = [
    "Café, crème brûlée and a naïve façade near the fjord in Århus.",
    "Señor Müller's øl costs 5 € at the Straße café — déjà vu!",
    "Don't stop: it's the dog's ball, isn't it? We're sure they've gone.",
    "Numbers like 3.14, 42 and 1,000 appear on the sign (see page 7).",
]

# 50 fixed strings for the decoding parity tests: unicode, accents, emoji, whitespace runs.
STRINGS = [
    "A cat is sitting on the table.",
    "Two dogs are running in the park with a yellow ball.",
    "a man riding a bicycle",
    "THE RED BUS IS DRIVING ON THE ROAD",
    "Hello , world ! How are you ?",
    "It 's a dog . Is n't it ?",
    "I 'm sure they 've gone and we 're late .",
    "don't won't can't shouldn't",
    "Café crème brûlée",
    "naïve façade coöperate",
    "Señor Müller's Straße",
    "Ångström Øresund Æsir",
    "e\u0301 combining acute vs é precomposed",
    "Ελληνικά γράμματα",
    "Русский текст здесь",
    "日本語のテキスト",
    "中文字符测试",
    "한국어 문장",
    "العربية نص",
    "עברית טקסט",
    "emoji 😀 in text",
    "family 👨‍👩‍👧‍👦 zwj",
    "flags 🇫🇷🇯🇵",
    "thumbs 👍🏽 skin tone",
    "multiple   spaces   between",
    "  leading and trailing  ",
    "tabs\tand\tnewlines\nhere",
    "line one\n\nline three",
    "non\u00a0breaking\u00a0space",
    "zero\u200bwidth\u200bspace",
    "curly “quotes” and ‘apostrophes’",
    "em — dash and en – dash…",
    "price: 5 € / £3 / ¥100 / $2.50",
    "math: x² + y² = z², ∑ ∞ ≠ ≤",
    "url https://example.com/a?b=c&d=e",
    "email someone@example.org",
    "numbers 3.14 42 1,000,000",
    "MiXeD CaSe WoRdS",
    "hyphen-ated words and under_scores",
    "parentheses (like this) [and this] {and this}",
    "#hashtag @mention",
    "a",
    ".",
    " ",
    "!!!???...",
    "ﬁ ligature ﬀ and ½ fraction",
    "tab\t\t\tstop",
    "ends with newline\n",
    "Ǆ ǅ ǆ title case digraphs",
    "mixed 😀 café 中文 and   spaces",
]
assert len(STRINGS) == 50

# eos / pad of each tokenizer kind, and the decoder start token each architecture uses in practice
# (BERT2BERT starts with [CLS], RoBERTa with <s>, BART/mBART/TrOCR with </s>).
SPECIALS = {
    "wordpiece": dict(eos="[SEP]", pad="[PAD]"),
    "bpe": dict(eos="</s>", pad="<pad>"),
    "unigram": dict(eos="</s>", pad="<pad>"),
}
START = {"bert": "[CLS]", "roberta": "<s>", "xlm-roberta": "<s>", "bart": "</s>", "mbart": "</s>", "trocr": "</s>"}


def build_wordpiece(vocab_size: int) -> BertTokenizer:
    """WordPiece like bert-base-uncased: [PAD]=0 [UNK]=1 [CLS]=2 [SEP]=3 [MASK]=4, then every character
    (word-initial and `##` continuation) and the most frequent words. Built by hand because the
    `tokenizers` WordPiece trainer breaks ties differently from run to run."""
    normalizer = normalizers.BertNormalizer(lowercase=True)
    pre = pre_tokenizers.BertPreTokenizer()
    counts: dict[str, int] = {}
    for line in CORPUS + EXTRA_CORPUS:
        for word, _ in pre.pre_tokenize_str(normalizer.normalize_str(line)):
            counts[word] = counts.get(word, 0) + 1
    chars = sorted({c for w in counts for c in w})
    vocab = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"] + chars + ["##" + c for c in chars]
    words = sorted((w for w in counts if len(w) > 1), key=lambda w: (-counts[w], w))
    vocab += words[: vocab_size - len(vocab)]
    assert len(vocab) == vocab_size, len(vocab)
    return BertTokenizer(vocab={t: i for i, t in enumerate(vocab)}, clean_up_tokenization_spaces=True, model_max_length=32)


def build_bpe(vocab_size: int) -> RobertaTokenizer:
    """Byte-level BPE like roberta-base: <s>=0 <pad>=1 </s>=2 <unk>=3 <mask>=4."""
    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size,
        special_tokens=["<s>", "<pad>", "</s>", "<unk>", "<mask>"],
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    tok.train_from_iterator(CORPUS + EXTRA_CORPUS, trainer=trainer)
    model = json.loads(tok.to_str())["model"]
    merges = [tuple(m) if isinstance(m, list) else tuple(m.split(" ")) for m in model["merges"]]
    # hub RoBERTa/BART tokenizers carry clean_up_tokenization_spaces=true, which 5.18 ignores for BPE
    return RobertaTokenizer(vocab=model["vocab"], merges=merges, clean_up_tokenization_spaces=True, model_max_length=32)


def build_unigram(vocab_size: int) -> XLMRobertaTokenizer:
    """SentencePiece-style Unigram like xlm-roberta-base: <s>=0 <pad>=1 </s>=2 <unk>=3, pieces, <mask>
    last. Pieces are every character plus the most frequent substrings of `▁word`, scored by log
    frequency; built by hand because the `tokenizers` Unigram trainer is not deterministic."""
    counts: dict[str, int] = {}
    for line in CORPUS + EXTRA_CORPUS:
        for word in line.split():
            w = "▁" + word
            for i in range(len(w)):
                for j in range(i + 1, min(len(w), i + 6) + 1):
                    counts[w[i:j]] = counts.get(w[i:j], 0) + 1
    singles = sorted(p for p in counts if len(p) == 1)
    multi = sorted((p for p in counts if len(p) > 1 and counts[p] > 1), key=lambda p: (-counts[p] * (len(p) - 1), p))
    chosen = singles + multi[: vocab_size - 5 - len(singles)]
    total = sum(counts[p] for p in chosen)
    pieces = [("<s>", 0.0), ("<pad>", 0.0), ("</s>", 0.0), ("<unk>", 0.0)]
    pieces += [(p, math.log(counts[p] / total)) for p in chosen]
    pieces.append(("<mask>", 0.0))
    assert len(pieces) == vocab_size, len(pieces)
    return XLMRobertaTokenizer(vocab=pieces, clean_up_tokenization_spaces=True, model_max_length=32)


TOKENIZER_BUILDERS = {
    "wordpiece": lambda: build_wordpiece(110),
    "bpe": lambda: build_bpe(264),
    "unigram": lambda: build_unigram(120),
}


def write_tokenizer_cases(kind: str, tok) -> None:
    """Saves the tokenizer and Python's encode/decode of the 50 strings."""
    out = OUT_DIR / "tokenizers" / kind
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    tok.save_pretrained(out)
    tok = AutoTokenizer.from_pretrained(out)  # decode with exactly what a user loads
    cases = []
    for text in STRINGS:
        ids = tok(text)["input_ids"]
        cases.append(
            dict(
                text=text,
                ids=ids,
                ids_no_special=tok(text, add_special_tokens=False)["input_ids"],
                decoded=tok.decode(ids),
                decoded_skip=tok.decode(ids, skip_special_tokens=True),
            )
        )
        # explicit clean-up choices, recorded only where they change the text (null: same as decoded_skip)
        for key, flag in (("decoded_skip_cleanup", True), ("decoded_skip_no_cleanup", False)):
            text_ = tok.decode(ids, skip_special_tokens=True, clean_up_tokenization_spaces=flag)
            cases[-1][key] = None if text_ == cases[-1]["decoded_skip"] else text_
    batch = [c["ids"] for c in cases]
    assert tok.batch_decode(batch, skip_special_tokens=True) == [c["decoded_skip"] for c in cases]
    info = dict(
        kind=kind,
        tokenizer_class=type(tok).__name__,
        model=type(tok.backend_tokenizer.model).__name__,
        clean_up_tokenization_spaces=tok.clean_up_tokenization_spaces,
        vocab_size=len(tok),
        cases=cases,
    )
    (out / "cases.json").write_text(dump_json(info))


# --------------------------------------------------------------------------------------------
# 2. Models
# --------------------------------------------------------------------------------------------

VIT = dict(
    image_size=12,
    patch_size=4,
    hidden_size=20,
    num_attention_heads=2,
    num_hidden_layers=1,
    intermediate_size=16,
    initializer_range=0.1,
)
SECOND = {
    "deit": dict(
        image_size=12,
        patch_size=4,
        hidden_size=16,
        num_attention_heads=2,
        num_hidden_layers=1,
        intermediate_size=20,
        initializer_range=0.1,
    ),
    "vit": dict(
        image_size=12,
        patch_size=3,
        hidden_size=16,
        num_attention_heads=4,
        num_hidden_layers=1,
        intermediate_size=20,
        layer_norm_eps=1e-6,
        qkv_bias=False,
        initializer_range=0.1,
    ),
}
VIT_PROCESSOR = dict(
    image_processor_type="ViTImageProcessor",
    do_resize=True,
    size={"height": 12, "width": 12},
    resample=2,
    do_rescale=True,
    rescale_factor=1 / 255,
    do_normalize=True,
    image_mean=[0.5, 0.5, 0.5],
    image_std=[0.5, 0.5, 0.5],
    do_convert_rgb=True,
)
SECOND_PROCESSOR = {
    "deit": dict(
        image_processor_type="DeiTImageProcessor",
        do_resize=True,
        size={"height": 14, "width": 14},
        resample=3,
        do_center_crop=True,
        crop_size={"height": 12, "width": 12},
        do_rescale=True,
        rescale_factor=1 / 255,
        do_normalize=True,
        image_mean=[0.485, 0.456, 0.406],
        image_std=[0.229, 0.224, 0.225],
        do_convert_rgb=True,
    ),
    "vit": dict(
        image_processor_type="ViTImageProcessor",
        do_resize=True,
        size={"height": 12, "width": 12},
        resample=3,
        do_rescale=True,
        rescale_factor=1 / 255,
        do_normalize=True,
        image_mean=[0.485, 0.456, 0.406],
        image_std=[0.229, 0.224, 0.225],
        do_convert_rgb=True,
    ),
}
NOUGAT_ENCODER = dict(image_size=[24, 16], patch_size=4, num_channels=3, embed_dim=8, depths=[1, 1], num_heads=[2, 2], window_size=2,
                      initializer_range=0.1)
# Nougat's class defaults (crop_margin, align, thumbnail, pad; ImageNet mean/std) at the model's size; RGB first
# (crop_margin fails on grayscale images in 5.18).
NOUGAT_PROCESSOR = dict(image_processor_type="NougatImageProcessor", size={"height": 24, "width": 16}, do_convert_rgb=True)
IMAGES_A = ["rgb_40x30.png", "gray_25x25.png", "rgb_48x36.jpg"]
IMAGES_B = ["rgba_33x20.png", "rgb_17x53.png", "rgb_64x20.png"]

# Decoder configs. Widths: ViT 20, second encoder 16; where they differ from the decoder's,
# enc_to_dec_proj is created (or TrOCR's k/v take cross_attention_hidden_size).
DECODERS = {
    # BERT: post-LN, enc_to_dec_proj (20 -> 16)
    "vit-bert": dict(
        masked_logits=True,
        encoder="vit",
        kind="wordpiece",
        decoder=("bert", dict(hidden_size=16, num_hidden_layers=2, num_attention_heads=2, intermediate_size=16,
                              max_position_embeddings=32, initializer_range=0.3)),
    ),
    "second-bert": dict(
        encoder="second",
        kind="wordpiece",
        decoder=("bert", dict(hidden_size=16, num_hidden_layers=1, num_attention_heads=4, intermediate_size=20,
                              max_position_embeddings=24, hidden_act="gelu_new", layer_norm_eps=1e-6,
                              type_vocab_size=1, initializer_range=0.3)),
    ),
    # RoBERTa: padding-aware positions, lm_head with gelu
    "vit-roberta": dict(
        masked_logits=True,
        encoder="vit",
        kind="bpe",
        decoder=("roberta", dict(hidden_size=16, num_hidden_layers=2, num_attention_heads=2, intermediate_size=16,
                                 max_position_embeddings=34, layer_norm_eps=1e-5, initializer_range=0.3)),
    ),
    "second-roberta": dict(
        encoder="second",
        kind="bpe",
        # untied head (lm_head.decoder.* saved), no generation_config.json: tokens from the decoder config
        decoder=("roberta", dict(hidden_size=16, num_hidden_layers=1, num_attention_heads=2, intermediate_size=20,
                                 max_position_embeddings=34, type_vocab_size=1, tie_word_embeddings=False,
                                 hidden_act="relu", initializer_range=0.3)),
        generation_config_file=False,
    ),
    # XLM-RoBERTa: SentencePiece Unigram tokenizer
    "vit-xlmr": dict(
        masked_logits=True,
        encoder="vit",
        kind="unigram",
        decoder=("xlm-roberta", dict(hidden_size=20, num_hidden_layers=1, num_attention_heads=2, intermediate_size=16,
                                     max_position_embeddings=34, initializer_range=0.3)),
    ),
    "second-xlmr": dict(
        encoder="second",
        kind="unigram",
        decoder=("xlm-roberta", dict(hidden_size=16, num_hidden_layers=1, num_attention_heads=2, intermediate_size=20,
                                     max_position_embeddings=34, type_vocab_size=1, initializer_range=0.3)),
    ),
    # BART: post-LN, positions offset 2, forced_eos_token_id=2 from BartConfig
    "vit-bart": dict(
        encoder="vit",
        kind="bpe",
        decoder=("bart", dict(d_model=16, decoder_layers=2, decoder_attention_heads=2, decoder_ffn_dim=16,
                              encoder_layers=2, encoder_attention_heads=2, encoder_ffn_dim=16,
                              max_position_embeddings=24, scale_embedding=True, init_std=0.3)),
    ),
    "second-bart": dict(
        encoder="second",
        kind="bpe",
        # no generation_config.json: decoder_start/eos/pad/forced_eos come from the decoder config
        decoder=("bart", dict(d_model=16, decoder_layers=1, decoder_attention_heads=2, decoder_ffn_dim=20,
                              encoder_layers=1, encoder_attention_heads=2, encoder_ffn_dim=20,
                              max_position_embeddings=24, activation_function="gelu_new", init_std=0.3)),
        generation_config_file=False,
    ),
    # mBART: pre-LN + final layer_norm, Unigram tokenizer (as Donut pairs them)
    "vit-mbart": dict(
        encoder="vit",
        kind="unigram",
        decoder=("mbart", dict(d_model=16, decoder_layers=2, decoder_attention_heads=2, decoder_ffn_dim=16,
                               encoder_layers=2, encoder_attention_heads=2, encoder_ffn_dim=16,
                               max_position_embeddings=24, scale_embedding=True, init_std=0.3)),
    ),
    # Nougat's shape (facebook/nougat-*): DonutSwin + mBART, NougatImageProcessor (crop_margin, thumbnail at
    # reducing_gap=2.0), as a pipeline end to end
    "nougat-mbart": dict(
        encoder="nougat",
        kind="unigram",
        decoder=("mbart", dict(d_model=16, decoder_layers=1, decoder_attention_heads=2, decoder_ffn_dim=16,
                               encoder_layers=1, encoder_attention_heads=2, encoder_ffn_dim=16,
                               max_position_embeddings=24, scale_embedding=True, init_std=0.3)),
    ),
    "second-mbart": dict(
        encoder="second",
        kind="unigram",
        decoder=("mbart", dict(d_model=16, decoder_layers=1, decoder_attention_heads=2, decoder_ffn_dim=20,
                               encoder_layers=1, encoder_attention_heads=2, encoder_ffn_dim=20,
                               max_position_embeddings=24, init_std=0.3)),
        generation_config_file=False,
    ),
    # TrOCR: sinusoidal positions, k/v from the encoder width (cross_attention_hidden_size), no proj;
    # SentencePiece tokenizer as trocr-small-* checkpoints have
    "vit-trocr": dict(
        masked_logits=True,
        encoder="vit",
        kind="unigram",
        decoder=("trocr", dict(d_model=16, decoder_layers=2, decoder_attention_heads=2, decoder_ffn_dim=16,
                               max_position_embeddings=24, use_learned_position_embeddings=False,
                               layernorm_embedding=False, scale_embedding=True, cross_attention_hidden_size=20,
                               init_std=0.3)),
    ),
    # TrOCR: learned positions, layernorm_embedding, enc_to_dec_proj (16 -> 20)
    "second-trocr": dict(
        encoder="second",
        kind="bpe",
        decoder=("trocr", dict(d_model=20, decoder_layers=1, decoder_attention_heads=2, decoder_ffn_dim=24,
                               max_position_embeddings=24, activation_function="relu", init_std=0.3)),
    ),
}

DECODER_CONFIGS = {
    "bert": BertConfig,
    "roberta": RobertaConfig,
    "xlm-roberta": XLMRobertaConfig,
    "bart": BartConfig,
    "mbart": MBartConfig,
    "trocr": TrOCRConfig,
}

GREEDY_NEW_TOKENS = 10
BEAM_NEW_TOKENS = 8
NUM_BEAMS = 3
TEACHER_LEN = 5


def fixture_name(key: str) -> str:
    second = "deit" if SECOND_ENCODER == "deit" else "vitb"
    return key.replace("second", second) if key.startswith("second-") else key


def encoder_config(which: str):
    if which == "vit":
        return ViTConfig(**VIT)
    if which == "nougat":
        return DonutSwinConfig(**NOUGAT_ENCODER)
    return DeiTConfig(**SECOND["deit"]) if SECOND_ENCODER == "deit" else ViTConfig(**SECOND["vit"])


def processor_config(which: str) -> dict:
    if which == "nougat":
        return NOUGAT_PROCESSOR
    return VIT_PROCESSOR if which == "vit" else SECOND_PROCESSOR[SECOND_ENCODER]


def token_ids(tok, spec: dict) -> dict:
    names = dict(SPECIALS[spec["kind"]], start=START[spec["decoder"][0]])
    return {k: tok.convert_tokens_to_ids(v) for k, v in names.items()}


def build_model(spec: dict, tok, seed: int) -> VisionEncoderDecoderModel:
    model_type, kwargs = spec["decoder"]
    ids = token_ids(tok, spec)
    dec_kwargs = dict(kwargs, vocab_size=len(tok), pad_token_id=ids["pad"])
    if model_type == "bert":
        dec_kwargs.update(bos_token_id=ids["start"], eos_token_id=ids["eos"])
    dec_cfg = DECODER_CONFIGS[model_type](**dec_kwargs)
    cfg = VisionEncoderDecoderConfig.from_encoder_decoder_configs(encoder_config(spec["encoder"]), dec_cfg)
    torch.manual_seed(seed)
    model = VisionEncoderDecoderModel(cfg)
    model.eval()
    if spec.get("generation_config_file", True):
        # as users do for a composed model: special tokens on the top-level config and generation config
        for c in (model.config, model.generation_config):
            c.decoder_start_token_id = ids["start"]
            c.eos_token_id = ids["eos"]
            c.pad_token_id = ids["pad"]
    else:
        # generation must fall back to the decoder config (GenerationConfig.from_model_config)
        model.generation_config = GenerationConfig.from_model_config(model.config)
    return model


def gen_tokens(model) -> dict:
    gc = model.generation_config
    start = gc.decoder_start_token_id if gc.decoder_start_token_id is not None else gc.bos_token_id
    return dict(start=start, eos=gc.eos_token_id, pad=gc.pad_token_id, forced_eos=gc.forced_eos_token_id)


def seed_quality(gen: torch.Tensor, eos: int, specials: set[int], steps: int) -> tuple:
    """How useful a greedy trajectory is as a fixture (tuples compare lexicographically):
    >= 1 row never emits eos and >= 1 row stops by step steps-2 (then gets pad), at distinct steps
    and not at step 0, and few special tokens (e.g. [UNK]) among the generated text."""
    stops = [row.index(eos) if eos in row else None for row in gen.tolist()]
    stopped = [s for s in stops if s is not None]
    staggered = 0 < len(stopped) < len(stops) and min(stopped) <= steps - 2
    body = [t for row, s in zip(gen.tolist(), stops) for t in (row if s is None else row[:s])]
    special_frac = sum(t in specials for t in body) / max(len(body), 1)
    return (
        staggered,
        staggered and len(set(stopped)) == len(stopped),
        staggered and min(stopped) >= 1,
        special_frac <= 0.3,
        len(set(body)) >= 4,
        -special_frac,
    )


class Noise(LogitsProcessor):
    """Adds uniform noise to the processed scores: the result must not depend on float noise."""

    def __init__(self, seed: int, eps: float):
        self.g = torch.Generator().manual_seed(seed)
        self.eps = eps

    def __call__(self, input_ids, scores):
        noise = (torch.rand(scores.shape, generator=self.g) * 2 - 1) * self.eps
        return torch.where(torch.isfinite(scores), scores + noise, scores)


@torch.no_grad()
def robust(model, pixel_values, **kw) -> tuple[bool, torch.Tensor]:
    ref = model.generate(pixel_values, **kw)
    for s in range(NOISE_RUNS):
        out = model.generate(pixel_values, logits_processor=[Noise(s, NOISE)], **kw)
        if not torch.equal(out, ref):
            return False, ref
    return True, ref


def choose_seed(spec: dict, tok, pixel_values: torch.Tensor, base: int) -> int:
    """The first seed whose fixture is fully useful (see seed_quality), else the best of the search:
    200 seeds, extended to 800 while no row stops early with eos."""
    specials = set(tok.all_special_ids)
    best = None
    for seed in range(base, base + 800):
        if seed - base >= 200 and best is not None and best[0][0]:
            break
        model = build_model(spec, tok, seed)
        t = gen_tokens(model)
        gen, margins = manual_greedy(model, pixel_values, t["start"], GREEDY_NEW_TOKENS)
        if margins.min().item() <= SEARCH_MARGIN:
            continue
        q = seed_quality(gen, t["eos"], specials, GREEDY_NEW_TOKENS)
        if best is not None and q <= best[0]:
            continue
        ok, _ = robust(model, pixel_values, num_beams=NUM_BEAMS, max_new_tokens=BEAM_NEW_TOKENS, do_sample=False)
        if not ok:
            continue
        best = (q, seed)
        if all(q[:5]):
            break
    if best is None:
        raise RuntimeError("no usable seed")
    print(f"  seed {best[1]}: quality {best[0]}")
    return best[1]


def build_one(key: str, spec: dict, tokenizers: dict) -> dict:
    name = fixture_name(key)
    out_dir = OUT_DIR / name
    if out_dir.exists():
        shutil.rmtree(out_dir)
    out_dir.mkdir(parents=True)
    tok = tokenizers[spec["kind"]]
    images = IMAGES_A if spec["encoder"] == "vit" else IMAGES_B
    image_paths = [IMAGES_DIR / n for n in images]

    proc_cfg = dict(processor_config(spec["encoder"]))
    (out_dir / "preprocessor_config.json").write_text(json.dumps(proc_cfg, indent=2) + "\n")
    processor0 = AutoImageProcessor.from_pretrained(out_dir)
    pixel_values = processor0(images=[load_image(p) for p in image_paths], return_tensors="pt")["pixel_values"]

    base = sum(ord(c) for c in key) * 1000
    seed = choose_seed(spec, tok, pixel_values, base)
    model = build_model(spec, tok, seed)
    model.save_pretrained(out_dir, safe_serialization=True)
    if not spec.get("generation_config_file", True):
        (out_dir / "generation_config.json").unlink()
    tok.save_pretrained(out_dir)
    del model

    # ---------------- reload from disk and record the expected values ----------------
    processor = AutoImageProcessor.from_pretrained(out_dir)
    tok = AutoTokenizer.from_pretrained(out_dir)
    model = VisionEncoderDecoderModel.from_pretrained(out_dir)
    model.eval()
    notes = []
    dec_cfg = model.config.decoder
    if dec_cfg.model_type == "trocr" and not dec_cfg.use_learned_position_embeddings:
        # 5.18 bug: from_pretrained builds modules on the meta device, and the sinusoidal table (a plain
        # attribute, not a buffer) stays a meta tensor, so the first forward raises "Cannot copy out of
        # meta tensor". Recompute it exactly as the constructor does.
        pos = model.decoder.model.decoder.embed_positions
        if pos.weights.is_meta:
            pos.weights = pos.get_embedding(pos.weights.shape[0], pos.embedding_dim, pos.padding_idx)
            notes.append("sinusoidal table recomputed after from_pretrained (5.18 leaves it on the meta device)")
    t = gen_tokens(model)
    if spec["decoder"][0] in ("bart", "mbart"):
        assert t["forced_eos"] == 2, t  # BartConfig/MBartConfig default, flows into generation
    pixel_values = processor(images=[load_image(p) for p in image_paths], return_tensors="pt")["pixel_values"]
    B = pixel_values.shape[0]

    teacher = []
    for text in TEACHER_TEXTS[:B]:
        ids = tok(text, add_special_tokens=False)["input_ids"]
        assert len(ids) >= TEACHER_LEN - 1, (text, ids)
        teacher.append([t["start"]] + ids[: TEACHER_LEN - 1])
    decoder_input_ids = torch.tensor(teacher, dtype=torch.long)
    # padding inside the decoder inputs of images 0 and 1: row 0 right-padded, row 1 with a pad in the middle
    masked_ids = decoder_input_ids[:2].clone()
    mask = torch.ones_like(masked_ids)
    masked_ids[0, -2:] = t["pad"]
    mask[0, -2:] = 0
    masked_ids[1, 2] = t["pad"]
    mask[1, 2] = 0
    with torch.no_grad():
        enc_two = model.encoder(pixel_values=pixel_values[:2])

    with torch.no_grad():
        enc_out = model.encoder(pixel_values=pixel_values)
        first = model(pixel_values=pixel_values, decoder_input_ids=torch.full((B, 1), t["start"], dtype=torch.long))
        tf = model(pixel_values=pixel_values, decoder_input_ids=decoder_input_ids)
        tfm = model(pixel_values=pixel_values[:2], decoder_input_ids=masked_ids, decoder_attention_mask=mask)
        greedy = model.generate(
            pixel_values,
            max_new_tokens=GREEDY_NEW_TOKENS,
            do_sample=False,
            num_beams=1,
            return_dict_in_generate=True,
            output_scores=True,
        )
    assert torch.allclose(tf.logits[:, 0], first.logits[:, 0], atol=1e-5)
    # the same padded inputs fed one token at a time with a cache: padding-aware positions then count
    # only the new token, so after a pad they differ from the one-pass logits
    # (RobertaEmbeddings.create_position_ids_from_input_ids)
    incremental = []
    with torch.no_grad():
        past = None
        for i in range(masked_ids.shape[1]):
            out = model(
                encoder_outputs=enc_two,
                decoder_input_ids=masked_ids[:, i : i + 1],
                decoder_attention_mask=mask[:, : i + 1],
                past_key_values=past,
                use_cache=True,
            )
            past = out.past_key_values
            incremental.append(out.logits[:, -1])
    incremental = torch.stack(incremental, dim=1)

    scores = torch.stack(greedy.scores, dim=1)
    top2 = torch.topk(scores, 2, dim=-1).values
    margin = (top2[..., 0] - top2[..., 1]).min().item()
    if not margin > MIN_MARGIN:
        raise RuntimeError(f"{name}: greedy top-2 margin {margin} too small")
    ok_g, greedy_seqs = robust(model, pixel_values, max_new_tokens=GREEDY_NEW_TOKENS, do_sample=False, num_beams=1)
    assert ok_g and torch.equal(greedy_seqs, greedy.sequences), name
    ok_b, beam_seqs = robust(model, pixel_values, max_new_tokens=BEAM_NEW_TOKENS, do_sample=False, num_beams=NUM_BEAMS)
    if not ok_b:
        raise RuntimeError(f"{name}: beam search result is not robust to logit noise")
    # cached generation (what ved does) agrees with uncached recomputation for these rows
    with torch.no_grad():
        uncached = model.generate(pixel_values, max_new_tokens=GREEDY_NEW_TOKENS, do_sample=False, use_cache=False)
    finish = [row.index(t["eos"]) if t["eos"] in row else None for row in greedy.sequences[:, 1:].tolist()]

    ref_dir = out_dir / "reference"
    ref_dir.mkdir()
    tensors = {
        "pixel_values": pixel_values.float().contiguous(),
        "first_step_logits": first.logits[:, -1].float().contiguous(),
        "teacher_forced_logits": tf.logits.float().contiguous(),
    }
    if spec.get("masked_logits", False):
        tensors["teacher_forced_masked_logits"] = tfm.logits.float().contiguous()
        if not torch.allclose(incremental, tfm.logits, atol=1e-5):
            # padding-aware positions: the cached path differs from one pass (only then recorded)
            tensors["incremental_masked_logits"] = incremental.float().contiguous()
    if dec_cfg.model_type == "trocr" and not dec_cfg.use_learned_position_embeddings:
        # the table Python computes, for a direct check of ved's sinusoidal positions
        tensors["sinusoidal_positions"] = model.decoder.model.decoder.embed_positions.weights.float().contiguous()
    save_file(tensors, str(ref_dir / "reference.safetensors"), metadata={"format": "pt"})

    g = greedy.sequences.tolist()
    b = beam_seqs.tolist()
    ref = {
        "images": [p.resolve().relative_to(ROOT).as_posix() for p in image_paths],
        "processor_backend": type(processor).__name__,
        "encoder_model_type": model.config.encoder.model_type,
        "decoder_model_type": dec_cfg.model_type,
        "has_enc_to_dec_proj": hasattr(model, "enc_to_dec_proj"),
        "generation_config_file": spec.get("generation_config_file", True),
        "tokenizer_kind": spec["kind"],
        "decoder_input_ids": decoder_input_ids.tolist(),
        "masked": (
            {"decoder_input_ids": masked_ids.tolist(), "decoder_attention_mask": mask.tolist()}
            if "teacher_forced_masked_logits" in tensors
            else None
        ),
        "greedy": {"max_new_tokens": GREEDY_NEW_TOKENS, "sequences": g},
        "greedy_text": tok.batch_decode(g, skip_special_tokens=True),
        "greedy_finish_steps": finish,
        "greedy_uncached_equal": torch.equal(uncached, greedy.sequences),
        "beam": {"num_beams": NUM_BEAMS, "max_new_tokens": BEAM_NEW_TOKENS, "sequences": b},
        "beam_text": tok.batch_decode(b, skip_special_tokens=True),
        "min_top2_margin": margin,
        "noise_robustness": {"eps": NOISE, "runs": NOISE_RUNS},
        "decoder_start_token_id": t["start"],
        "eos_token_id": t["eos"],
        "pad_token_id": t["pad"],
        "forced_eos_token_id": t["forced_eos"],
        "seed": seed,
        "notes": notes,
        "versions": {
            "transformers": transformers.__version__,
            "torch": torch.__version__,
            "tokenizers": __import__("tokenizers").__version__,
            "pillow": Image.__version__,
            "numpy": np.__version__,
        },
    }
    (ref_dir / "reference.json").write_text(dump_json(ref))
    with safe_open(str(out_dir / "model.safetensors"), "pt") as f:
        n_tensors = len(list(f.keys()))
    return dict(name=name, ref=ref, n_tensors=n_tensors, out_dir=out_dir)


def main() -> int:
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    tokenizers = {}
    for kind, make in TOKENIZER_BUILDERS.items():
        tok = make()
        write_tokenizer_cases(kind, tok)
        tokenizers[kind] = AutoTokenizer.from_pretrained(OUT_DIR / "tokenizers" / kind)
        print(f"tokenizer {kind}: {type(tokenizers[kind]).__name__}, {len(tokenizers[kind])} entries")
    only = set(sys.argv[1:])
    for key, spec in DECODERS.items():
        if only and fixture_name(key) not in only:
            continue
        info = build_one(key, spec, tokenizers)
        ref = info["ref"]
        size = sum(p.stat().st_size for p in info["out_dir"].rglob("*") if p.is_file())
        print(
            f"\n{info['name']}  seed={ref['seed']} tensors={info['n_tensors']} size={size / 1024:.0f} KiB "
            f"proj={ref['has_enc_to_dec_proj']} margin={ref['min_top2_margin']:.3g} "
            f"start={ref['decoder_start_token_id']} eos={ref['eos_token_id']} pad={ref['pad_token_id']} "
            f"forced_eos={ref['forced_eos_token_id']} uncached_equal={ref['greedy_uncached_equal']}"
        )
        for s, txt in zip(ref["greedy"]["sequences"], ref["greedy_text"]):
            print(f"  greedy {s}  {txt!r}")
        for s, txt in zip(ref["beam"]["sequences"], ref["beam_text"]):
            print(f"  beam   {s}  {txt!r}")
    total = sum(p.stat().st_size for p in OUT_DIR.rglob("*") if p.is_file())
    print(f"\nfixtures/decoders: {total / 1024:.0f} KiB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
