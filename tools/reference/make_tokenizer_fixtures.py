#!/usr/bin/env python
"""Fixtures for ved's conversion of tokenizers saved without `tokenizer.json` (the "slow" files that
transformers 4.x wrote: `vocab.json` + `merges.txt`, `vocab.txt`, `sentencepiece.bpe.model` /
`spiece.model`, with `tokenizer_config.json`, `special_tokens_map.json`, `added_tokens.json`).

Run from anywhere:  .venv-ref/bin/python tools/reference/make_tokenizer_fixtures.py

For every kind below the script trains a tiny vocabulary (byte-level BPE with `tokenizers`, WordPiece
by hand, SentencePiece Unigram / BPE with `sentencepiece`), writes it in its vocab-file form exactly as
the 4.x slow tokenizers' `save_pretrained` wrote it (no `tokenizer.json`), loads that folder with
transformers 5.18's `AutoTokenizer.from_pretrained` (which converts it to a `tokenizers` backend, as
`TokenizersBackend.convert_to_native_format` does) and records:

  fixtures/tokenizers/<kind>/                 the vocab files (the input ved converts)
  fixtures/tokenizers/index.json              the kinds and their files (for readers that cannot list directories)
  fixtures/tokenizers/<kind>/reference.json   tokenizer class, the backend tokenizer Python built
                                              (`backend_tokenizer.to_str()`, what `save_pretrained`
                                              writes as tokenizer.json), and for every corpus string
                                              `tokenizer(text).input_ids`, `decode(ids)` and
                                              `decode(ids, skip_special_tokens=True)`.

SentencePiece models are trained with a small custom normalization rule table (a few NFKC-style rules:
full-width letters, ligatures, no-break space), so that the `precompiled_charsmap` each model carries
stays a few hundred bytes while still being a real darts-clone trie; `nmt_nfkc`'s table is 240 KB.
"""

from __future__ import annotations

import io
import json
import os
import re
import shutil
import sys
import tempfile
import warnings
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
warnings.filterwarnings("ignore")

import sentencepiece as spm  # noqa: E402
from sentencepiece import sentencepiece_model_pb2  # noqa: E402
from tokenizers import Tokenizer, models, normalizers, pre_tokenizers, trainers  # noqa: E402

import transformers  # noqa: E402
from transformers import AutoTokenizer  # noqa: E402
from transformers.utils import logging as hf_logging  # noqa: E402

hf_logging.set_verbosity_error()

ROOT = Path(__file__).resolve().parents[2]
OUT_DIR = ROOT / "fixtures" / "tokenizers"

# Text the vocabularies are trained on: captions with accents, digits and a little CJK, so that the
# trained pieces cover them; emoji and most other scripts stay unknown (byte-level BPE still covers them).
TRAIN = [
    "A photo of a small cat sitting on a red mat next to the window.",
    "Two dogs are running in the park with a yellow ball.",
    "A man is riding a bicycle down a busy street in the city.",
    "The kitchen has a white table, four chairs and a large window.",
    "A group of people standing on the beach at sunset.",
    "A plate of food with rice, vegetables and a piece of chicken.",
    "An old train is stopped at the station under a cloudy sky.",
    "A woman holding an umbrella while walking in the rain.",
    "The children are playing football on the green grass.",
    "There is a clock on the wall above the door of the room.",
    "Café, crème brûlée and a naïve façade near the fjord in Århus.",
    "Señor Müller's øl costs 5 € at the Straße café — déjà vu!",
    "Don't stop: it's the dog's ball, isn't it? We're sure they've gone.",
    "Numbers like 3.14, 42 and 1,000 appear on the sign (see page 7).",
    "Invoice #2023-0042: total 1,234.56 USD, due 12/31.",
    "日本語の文章と中文字符が少しあります。",
    "東京 北京 上海 大阪",
]

# The strings every kind is checked on: spaces, punctuation, digits, accents, CJK, emoji, special-token
# text and the kinds' added tokens. 40 strings.
CORPUS = [
    "A cat is sitting on the table.",
    "two dogs running in the park",
    "THE RED BUS IS DRIVING ON THE ROAD",
    "Hello , world ! How are you ?",
    "Don't stop: it's the dog's ball, isn't it?",
    "Café crème brûlée",
    "naïve façade coöperate Ångström",
    "Señor Müller's Straße — déjà vu",
    "e\u0301 combining acute vs é precomposed",
    "Numbers: 3.14, 42 and 1,000,000 (page 7)",
    "Invoice #2023-0042 total 1,234.56 USD",
    "日本語のテキスト",
    "中文字符测试 and 東京",
    "한국어 문장",
    "Ελληνικά γράμματα",
    "emoji 😀 in text",
    "family 👨‍👩‍👧‍👦 zwj",
    "thumbs 👍🏽 skin tone",
    "multiple   spaces   between",
    "  leading and trailing  ",
    "tabs\tand\tnewlines\nhere",
    "non\u00a0breaking\u00a0space",
    "ﬁ ligature ﬀ and ½ fraction",
    "ＦＵＬＬ width ＡＢＣ",
    "curly “quotes” and ‘apostrophes’",
    "price: 5 € / £3 / $2.50",
    "url https://example.com/a?b=c&d=e",
    "MiXeD CaSe WoRdS",
    "parentheses (like this) [and this]",
    "a",
    ".",
    " ",
    "!!!???...",
    "<s> a photo </s>",
    "[CLS] a photo [SEP] [MASK]",
    "a <mask> on the <pad> table",
    "<|endoftext|>The end<|endoftext|>",
    "en_XX some text fr_XX",
    "<s_docvqa><s_question>what?</s_question><s_answer>",
    "mixed 😀 café 中文 and   spaces",
]
assert len(CORPUS) == 40

# A few normalization rules in sentencepiece's TSV form (source code points → target code points).
NORMALIZATION_RULES = """\
FF21\t41
FF22\t42
FF23\t43
FF26\t46
FF2C\t4C
FF35\t55
FB01\t66 69
FB00\t66 66
A0\t20
BD\t31 2044 32
3000\t20
"""


def dump_json(obj) -> str:
    return json.dumps(obj, indent=2, ensure_ascii=False) + "\n"


def write_json(path: Path, obj, *, indent=2, sort_keys=False) -> None:
    """As 4.x's `save_pretrained` wrote its JSON files (indent 2, non-ASCII kept, trailing newline)."""
    path.write_text(json.dumps(obj, indent=indent, sort_keys=sort_keys, ensure_ascii=False) + "\n", encoding="utf-8")


def added_token(content: str, lstrip=False, rstrip=False, normalized=True, single_word=False, type_field=True) -> dict:
    """An `AddedToken` as 4.x serialised it: with `"__type"` in tokenizer_config.json, without it in
    special_tokens_map.json (`convert_added_tokens(..., add_type_field=False)`)."""
    token = {"content": content, "lstrip": lstrip, "normalized": normalized, "rstrip": rstrip, "single_word": single_word}
    return {"__type": "AddedToken", **token} if type_field else token


def map_token(content: str, **flags) -> dict:
    """An AddedToken in special_tokens_map.json."""
    return added_token(content, type_field=False, **flags)


# --------------------------------------------------------------------------------------------
# Vocabularies
# --------------------------------------------------------------------------------------------


def train_byte_level_bpe(vocab_size: int, specials_first: list[str], specials_last: list[str]) -> tuple[dict, list]:
    """Byte-level BPE (GPT-2 / RoBERTa): vocab dict and merges, specials at the front and/or the end."""
    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size - len(specials_last),
        special_tokens=specials_first,
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    tok.train_from_iterator(TRAIN, trainer=trainer)
    model = json.loads(tok.to_str())["model"]
    vocab = dict(model["vocab"])
    for s in specials_last:
        vocab[s] = len(vocab)
    merges = [m if isinstance(m, str) else " ".join(m) for m in model["merges"]]
    return vocab, merges


def write_bpe_files(out: Path, vocab: dict, merges: list[str]) -> None:
    # GPT2Tokenizer.save_vocabulary (4.x): sorted keys, indent 2, "#version: 0.2" header.
    write_json(out / "vocab.json", vocab, sort_keys=True)
    (out / "merges.txt").write_text("#version: 0.2\n" + "".join(m + "\n" for m in merges), encoding="utf-8")


def wordpiece_vocab(lowercase: bool, strip_accents, chinese: bool) -> list[str]:
    """bert-base style: specials, every character (word-initial and ##), frequent words. Built by hand
    (the `tokenizers` WordPiece trainer breaks ties differently from run to run)."""
    normalizer = normalizers.BertNormalizer(lowercase=lowercase, strip_accents=strip_accents, handle_chinese_chars=chinese)
    pre = pre_tokenizers.BertPreTokenizer()
    counts: dict[str, int] = {}
    for line in TRAIN:
        for word, _ in pre.pre_tokenize_str(normalizer.normalize_str(line)):
            counts[word] = counts.get(word, 0) + 1
    chars = sorted({c for w in counts for c in w})
    vocab = ["[PAD]", "[unused0]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"] + chars + ["##" + c for c in chars]
    words = sorted((w for w in counts if len(w) > 1), key=lambda w: (-counts[w], w))
    vocab += words[:60]
    return vocab


def train_sentencepiece(out_file: Path, model_type: str, vocab_size: int, **ids) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        rules = Path(tmp) / "rules.tsv"
        rules.write_text(NORMALIZATION_RULES)
        model = io.BytesIO()
        spm.SentencePieceTrainer.train(
            sentence_iterator=iter(TRAIN * 3),
            model_writer=model,
            vocab_size=vocab_size,
            model_type=model_type,
            character_coverage=1.0,
            normalization_rule_tsv=str(rules),
            num_threads=1,
            minloglevel=2,
            **ids,
        )
    # The trainer records the rule file's (temporary) path; keep the file byte-for-byte reproducible.
    proto = sentencepiece_model_pb2.ModelProto()
    proto.ParseFromString(model.getvalue())
    proto.normalizer_spec.normalization_rule_tsv = "rules.tsv"
    out_file.write_bytes(proto.SerializeToString())


# --------------------------------------------------------------------------------------------
# Kinds: each writes a folder as a 4.x slow tokenizer left it.
# --------------------------------------------------------------------------------------------


def kind_gpt2(out: Path) -> None:
    """GPT-2: vocab.json + merges.txt, <|endoftext|> last in vocab.json; bos = eos = unk."""
    vocab, merges = train_byte_level_bpe(300, [], ["<|endoftext|>"])
    write_bpe_files(out, vocab, merges)
    eot = "<|endoftext|>"
    write_json(out / "special_tokens_map.json", {"bos_token": eot, "eos_token": eot, "unk_token": eot})
    write_json(
        out / "tokenizer_config.json",
        {"add_prefix_space": False, "bos_token": eot, "eos_token": eot, "model_max_length": 1024, "name_or_path": "gpt2", "tokenizer_class": "GPT2Tokenizer", "unk_token": eot},
    )


def kind_gpt2_added(out: Path) -> None:
    """GPT-2 with a pad token and tokens added by the user (added_tokens.json), as 4.x saved them."""
    vocab, merges = train_byte_level_bpe(300, [], ["<|endoftext|>"])
    write_bpe_files(out, vocab, merges)
    eot = "<|endoftext|>"
    n = len(vocab)
    write_json(out / "added_tokens.json", {"<pad>": n, "<s_docvqa>": n + 1, "café": n + 2})
    write_json(
        out / "special_tokens_map.json",
        {"additional_special_tokens": ["<s_docvqa>"], "bos_token": eot, "eos_token": eot, "pad_token": "<pad>", "unk_token": eot},
    )
    write_json(
        out / "tokenizer_config.json",
        {"add_prefix_space": False, "bos_token": eot, "eos_token": eot, "model_max_length": 1024, "pad_token": "<pad>", "tokenizer_class": "GPT2Tokenizer", "unk_token": eot},
    )


def kind_gpt2_bos(out: Path) -> None:
    """GPT-2 with `add_bos_token` and `add_prefix_space` (a bos-prefixing template, a leading space)."""
    vocab, merges = train_byte_level_bpe(300, [], ["<|endoftext|>"])
    write_bpe_files(out, vocab, merges)
    eot = "<|endoftext|>"
    write_json(out / "special_tokens_map.json", {"bos_token": eot, "eos_token": eot, "unk_token": eot})
    write_json(
        out / "tokenizer_config.json",
        {"add_bos_token": True, "add_prefix_space": True, "bos_token": eot, "eos_token": eot, "model_max_length": 1024, "tokenizer_class": "GPT2Tokenizer", "unk_token": eot},
    )


def kind_roberta(out: Path) -> None:
    """RoBERTa / TrOCR-base (2021): vocab.json with <s> <pad> </s> <unk> first and <mask> last; the
    mask token serialised as an AddedToken with lstrip, as 4.x wrote it."""
    vocab, merges = train_byte_level_bpe(300, ["<s>", "<pad>", "</s>", "<unk>"], ["<mask>"])
    write_bpe_files(out, vocab, merges)
    mask = added_token("<mask>", lstrip=True)
    write_json(
        out / "special_tokens_map.json",
        {"bos_token": "<s>", "cls_token": "<s>", "eos_token": "</s>", "mask_token": map_token("<mask>", lstrip=True), "pad_token": "<pad>", "sep_token": "</s>", "unk_token": "<unk>"},
    )
    write_json(
        out / "tokenizer_config.json",
        {
            "errors": "replace",
            "bos_token": added_token("<s>"),
            "eos_token": added_token("</s>"),
            "sep_token": added_token("</s>"),
            "cls_token": added_token("<s>"),
            "unk_token": added_token("<unk>"),
            "pad_token": added_token("<pad>"),
            "mask_token": mask,
            "add_prefix_space": False,
            "trim_offsets": True,
            "model_max_length": 512,
            "special_tokens_map_file": None,
            "name_or_path": "microsoft/trocr-base-handwritten",
            "tokenizer_class": "RobertaTokenizer",
        },
    )


def kind_roberta_decoder(out: Path) -> None:
    """RoBERTa saved by 4.34+: `added_tokens_decoder` in tokenizer_config.json (which then wins over
    special_tokens_map.json and added_tokens.json), one user token, clean-up on."""
    vocab, merges = train_byte_level_bpe(300, ["<s>", "<pad>", "</s>", "<unk>"], ["<mask>"])
    write_bpe_files(out, vocab, merges)
    n = len(vocab)

    def dec(content, lstrip=False, special=True, normalized=False):
        return {"content": content, "lstrip": lstrip, "normalized": normalized, "rstrip": False, "single_word": False, "special": special}

    decoder = {"0": dec("<s>"), "1": dec("<pad>"), "2": dec("</s>"), "3": dec("<unk>"), str(n - 1): dec("<mask>", lstrip=True)}
    decoder[str(n)] = dec("<s_answer>")
    decoder[str(n + 1)] = dec("photo of", special=False, normalized=True)
    write_json(out / "added_tokens.json", {"<s_answer>": n, "photo of": n + 1})
    write_json(out / "special_tokens_map.json", {"additional_special_tokens": ["<s_answer>"], "bos_token": "<s>", "eos_token": "</s>", "mask_token": "<mask>", "pad_token": "<pad>", "unk_token": "<unk>"})
    write_json(
        out / "tokenizer_config.json",
        {
            "add_prefix_space": False,
            "added_tokens_decoder": decoder,
            "additional_special_tokens": ["<s_answer>"],
            "bos_token": "<s>",
            "clean_up_tokenization_spaces": True,
            "cls_token": "<s>",
            "eos_token": "</s>",
            "errors": "replace",
            "mask_token": "<mask>",
            "model_max_length": 512,
            "pad_token": "<pad>",
            "sep_token": "</s>",
            "tokenizer_class": "RobertaTokenizer",
            "trim_offsets": True,
            "unk_token": "<unk>",
        },
    )


def write_wordpiece(out: Path, vocab: list[str], config: dict) -> None:
    (out / "vocab.txt").write_text("".join(t + "\n" for t in vocab), encoding="utf-8")
    write_json(out / "special_tokens_map.json", {"cls_token": "[CLS]", "mask_token": "[MASK]", "pad_token": "[PAD]", "sep_token": "[SEP]", "unk_token": "[UNK]"})
    write_json(out / "tokenizer_config.json", {"model_max_length": 512, "tokenizer_class": "BertTokenizer", **config})


def kind_bert_uncased(out: Path) -> None:
    """bert-base-uncased: lower-casing (accents stripped with it), Chinese characters split."""
    write_wordpiece(out, wordpiece_vocab(True, None, True), {"do_lower_case": True})


def kind_bert_cased(out: Path) -> None:
    """bert-base-cased with `tokenize_chinese_chars` off, clean-up on."""
    write_wordpiece(out, wordpiece_vocab(False, None, False), {"do_lower_case": False, "tokenize_chinese_chars": False, "clean_up_tokenization_spaces": True})


def kind_bert_accents(out: Path) -> None:
    """Lower-casing but accents kept (`strip_accents: false`); an added token from added_tokens.json."""
    vocab = wordpiece_vocab(True, False, True)
    write_wordpiece(out, vocab, {"do_lower_case": True, "strip_accents": False})
    write_json(out / "added_tokens.json", {"[NEW]": len(vocab)})


def kind_bert_model_type(out: Path) -> None:
    """No `tokenizer_class` anywhere: AutoTokenizer takes the class registered for config.json's
    model_type (a BERT checkpoint saved without tokenizer_config.json's class)."""
    vocab = wordpiece_vocab(True, None, True)
    (out / "vocab.txt").write_text("".join(t + "\n" for t in vocab), encoding="utf-8")
    write_json(out / "config.json", {"model_type": "bert", "vocab_size": len(vocab)})
    write_json(out / "tokenizer_config.json", {"do_lower_case": True, "model_max_length": 512})


def kind_xlm_roberta(out: Path) -> None:
    """XLM-RoBERTa / TrOCR-small: a SentencePiece Unigram model in sentencepiece.bpe.model with
    fairseq's id offset (<s>=0 <pad>=1 </s>=2 <unk>=3, pieces shifted by one, <mask> last)."""
    train_sentencepiece(out / "sentencepiece.bpe.model", "unigram", 180)
    mask = added_token("<mask>", lstrip=True)
    write_json(
        out / "special_tokens_map.json",
        {"bos_token": "<s>", "cls_token": "<s>", "eos_token": "</s>", "mask_token": map_token("<mask>", lstrip=True), "pad_token": "<pad>", "sep_token": "</s>", "unk_token": "<unk>"},
    )
    write_json(
        out / "tokenizer_config.json",
        {"bos_token": "<s>", "eos_token": "</s>", "sep_token": "</s>", "cls_token": "<s>", "unk_token": "<unk>", "pad_token": "<pad>", "mask_token": mask, "model_max_length": 512, "tokenizer_class": "XLMRobertaTokenizer"},
    )


def kind_xlm_roberta_bpe(out: Path) -> None:
    """A SentencePiece *BPE* model under XLMRobertaTokenizer (TrOCR-small's kind of file): 5.18 reads its
    pieces and scores into the class's Unigram model."""
    train_sentencepiece(out / "sentencepiece.bpe.model", "bpe", 180)
    write_json(out / "special_tokens_map.json", {"bos_token": "<s>", "cls_token": "<s>", "eos_token": "</s>", "mask_token": map_token("<mask>", lstrip=True), "pad_token": "<pad>", "sep_token": "</s>", "unk_token": "<unk>"})
    write_json(out / "tokenizer_config.json", {"model_max_length": 512, "tokenizer_class": "XLMRobertaTokenizer"})


def kind_donut(out: Path) -> None:
    """Donut: XLMRobertaTokenizer plus task tokens in added_tokens.json, listed as additional special
    tokens (some) in special_tokens_map.json."""
    train_sentencepiece(out / "sentencepiece.bpe.model", "unigram", 180)
    n = 180 + 1  # fairseq offset: 180 pieces, <mask> appended
    tokens = ["<s_docvqa>", "<s_question>", "</s_question>", "<s_answer>", "</s_answer>", "<sep/>"]
    write_json(out / "added_tokens.json", {t: n + i for i, t in enumerate(tokens)})
    write_json(
        out / "special_tokens_map.json",
        {"additional_special_tokens": tokens[:4], "bos_token": "<s>", "cls_token": "<s>", "eos_token": "</s>", "mask_token": map_token("<mask>", lstrip=True), "pad_token": "<pad>", "sep_token": "</s>", "unk_token": "<unk>"},
    )
    write_json(out / "tokenizer_config.json", {"model_max_length": 1000000000000000019884624838656, "tokenizer_class": "XLMRobertaTokenizer", "sp_model_kwargs": {}})


def kind_mbart(out: Path) -> None:
    """mBART-large-cc25: language codes appended after the pieces, `</s> en_XX` suffix."""
    train_sentencepiece(out / "sentencepiece.bpe.model", "unigram", 180)
    write_json(out / "special_tokens_map.json", {"bos_token": "<s>", "cls_token": "<s>", "eos_token": "</s>", "mask_token": map_token("<mask>", lstrip=True), "pad_token": "<pad>", "sep_token": "</s>", "unk_token": "<unk>"})
    write_json(out / "tokenizer_config.json", {"model_max_length": 1024, "tokenizer_class": "MBartTokenizer", "src_lang": None, "tgt_lang": None})


def kind_mbart50(out: Path) -> None:
    """mBART-50: 52 language codes, `en_XX` prefix, source language from the config."""
    train_sentencepiece(out / "sentencepiece.bpe.model", "unigram", 180)
    write_json(out / "special_tokens_map.json", {"bos_token": "<s>", "cls_token": "<s>", "eos_token": "</s>", "mask_token": map_token("<mask>", lstrip=True), "pad_token": "<pad>", "sep_token": "</s>", "unk_token": "<unk>"})
    write_json(out / "tokenizer_config.json", {"model_max_length": 1024, "tokenizer_class": "MBart50Tokenizer", "src_lang": "fr_XX", "tgt_lang": "en_XX"})


def kind_t5(out: Path) -> None:
    """T5: spiece.model with <pad>=0 </s>=1 <unk>=2 and the <extra_id_*> sentinels appended."""
    train_sentencepiece(out / "spiece.model", "unigram", 160, pad_id=0, eos_id=1, unk_id=2, bos_id=-1)
    extra = [f"<extra_id_{i}>" for i in range(5)]
    write_json(out / "special_tokens_map.json", {"additional_special_tokens": extra, "eos_token": "</s>", "pad_token": "<pad>", "unk_token": "<unk>"})
    write_json(out / "tokenizer_config.json", {"additional_special_tokens": extra, "eos_token": "</s>", "extra_ids": 5, "model_max_length": 512, "pad_token": "<pad>", "tokenizer_class": "T5Tokenizer", "unk_token": "<unk>"})


KINDS = {
    "gpt2": kind_gpt2,
    "gpt2-added": kind_gpt2_added,
    "gpt2-bos": kind_gpt2_bos,
    "roberta": kind_roberta,
    "roberta-decoder": kind_roberta_decoder,
    "bert-uncased": kind_bert_uncased,
    "bert-cased": kind_bert_cased,
    "bert-accents": kind_bert_accents,
    "bert-model-type": kind_bert_model_type,
    "xlm-roberta": kind_xlm_roberta,
    "xlm-roberta-bpe": kind_xlm_roberta_bpe,
    "donut": kind_donut,
    "mbart": kind_mbart,
    "mbart50": kind_mbart50,
    "t5": kind_t5,
}


def reference(out: Path) -> dict:
    """What transformers 5.18 does with the folder."""
    assert not (out / "tokenizer.json").exists()
    tok = AutoTokenizer.from_pretrained(str(out))
    cases = []
    for text in CORPUS:
        ids = tok(text).input_ids
        cases.append(dict(text=text, ids=ids, decoded=tok.decode(ids), decoded_skip=tok.decode(ids, skip_special_tokens=True)))
    with tempfile.TemporaryDirectory() as tmp:
        tok.save_pretrained(tmp)
        saved = json.loads((Path(tmp) / "tokenizer.json").read_text(encoding="utf-8"))
    return dict(
        transformers=transformers.__version__,
        tokenizer_class=type(tok).__name__,
        model=type(tok.backend_tokenizer.model).__name__,
        vocab_size=len(tok),
        clean_up_tokenization_spaces=tok.clean_up_tokenization_spaces,
        tokenizer_json=saved,
        cases=cases,
    )


def reference_json(ref: dict) -> str:
    """reference.json: the cases one per line, the (large) tokenizer.json on one line."""
    head = {k: v for k, v in ref.items() if k not in ("tokenizer_json", "cases")}
    lines = [f"  {json.dumps(k)}: {json.dumps(v, ensure_ascii=False)}," for k, v in head.items()]
    lines.append(f'  "tokenizer_json": {json.dumps(ref["tokenizer_json"], ensure_ascii=False)},')
    cases = ",\n".join(f"    {json.dumps(c, ensure_ascii=False)}" for c in ref["cases"])
    text = "{\n" + "\n".join(lines) + '\n  "cases": [\n' + cases + "\n  ]\n}\n"
    assert json.loads(text) == json.loads(json.dumps(ref))
    return text


def main() -> int:
    if transformers.__version__ != "5.18.0":
        print(f"expected transformers 5.18.0, found {transformers.__version__}", file=sys.stderr)
        return 1
    only = set(sys.argv[1:])
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    for name, make in KINDS.items():
        if only and name not in only:
            continue
        out = OUT_DIR / name
        if out.exists():
            shutil.rmtree(out)
        out.mkdir(parents=True)
        make(out)
        ref = reference(out)
        (out / "reference.json").write_text(reference_json(ref), encoding="utf-8")
        size = sum(f.stat().st_size for f in out.iterdir())
        print(f"{name:16} {ref['tokenizer_class']:20} {ref['model']:9} vocab {ref['vocab_size']:4}  {size / 1024:.1f} KiB")
    # The kinds and their files, for readers that cannot list directories (the browser tests).
    kinds = sorted(p.name for p in OUT_DIR.iterdir() if (p / "reference.json").exists())
    index = {k: sorted(f.name for f in (OUT_DIR / k).iterdir() if f.name != "reference.json") for k in kinds}
    (OUT_DIR / "index.json").write_text(json.dumps({"generator": "tools/reference/make_tokenizer_fixtures.py", "kinds": index}, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
