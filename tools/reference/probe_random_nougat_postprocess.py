#!/usr/bin/env python
"""Random pages through Nougat's text post-processing, for a differential run of ved against Python (not
fixtures).

Draws N pages, each 1-14 pieces joined by random separators: make_nougat_postprocess_fixtures.py's
fragments; headings of every depth with arabic or roman numerals and titles up to 140 characters; lists
with " - " / " * " items and numerals (1.2, iv.x, İ, ı); reference lists of 10-24 lines with numbers,
edits, blank lines, "## References" headings and next-page tails, and blocks of 16-19 equal lines amid
"* [" lines (remove_slice_from_lines' cut-offs, an empty to_delete); tails of a random unit repeated
2-9 times with case changes; tables, arrays, footnotes, PMC "_x__2_" artifacts, equation tags, URLs, code
blocks, "**S. A. B.**" and lone periods and characters; random runs over ASCII, punctuation, Unicode
letters and digits (Greek sigma, dotted and dotless i, CJK numerals, Arabic-Indic and astral digits),
combining marks, emoji and every kind of whitespace (\\x1c-\\x1f, \\x85, U+2028, U+3000, U+FEFF...). A
third of the pages then get a few random character edits. Records post_process_single with
fix_markdown True and False (NLTK's words corpus absent, as for the fixtures).

Run:  .venv-ref/bin/python tools/reference/probe_random_nougat_postprocess.py OUT_DIR [N] [SEED]
Writes OUT_DIR/cases.json. Compared by compare_random_nougat_postprocess.mjs (node, after
pnpm --filter @ved/core build).
"""

from __future__ import annotations

import json
import os
import random
import sys
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
sys.path.insert(0, str(Path(__file__).resolve().parent))

import nltk  # noqa: E402
import transformers  # noqa: E402
from make_nougat_postprocess_fixtures import FRAGMENTS, LONG_TITLE, SEPARATORS, reference_lines  # noqa: E402
from transformers.models.nougat.tokenization_nougat import NougatTokenizer  # noqa: E402

ASCII = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
PUNCT = ".,;:!?#*-_[](){}\\$&^%@~+=/|'\"<>`"
UNICODE = "éßÜñçΣσςΑΩİıKſµÅ一二三〇十百人日本語٣٤۵０１２²½ⅫⅣ①\u0301\u0308𝐀𝐁𝟙𝟚😀👍🏽\U00020001ǅﬁ"
SPACES = " \t\n\r\x0b\x0c\x1c\x1d\x1e\x1f\x85\xa0\u1680\u2000\u2009\u200a\u2028\u2029\u202f\u205f\u3000\ufeff\u200b"
ROMAN = ["i", "ii", "iii", "iv", "v", "vi", "ix", "x", "xiv", "I", "IV", "X", "ı", "İ"]


def chars(rng: random.Random, n: int, weights=(6, 2, 2, 1)) -> str:
    pools = [ASCII, PUNCT, UNICODE, SPACES]
    return "".join(rng.choice(rng.choices(pools, weights)[0]) for _ in range(n))


def words(rng: random.Random, n: int) -> str:
    return " ".join(chars(rng, rng.randint(1, 9), (12, 1, 2, 0)) for _ in range(n))


def numeral(rng: random.Random) -> str:
    u = rng.random()
    if u < 0.4:
        return ".".join(str(rng.randint(0, 20)) for _ in range(rng.randint(1, 3))) + rng.choice(["", ".", "."])
    if u < 0.7:
        return ".".join(rng.choice(ROMAN) for _ in range(rng.randint(1, 3))) + rng.choice(["", "."])
    return rng.choice(["", "+", "1+2", "..", "٣", "𝟙", "a.", "1.a"])


def heading(rng: random.Random) -> str:
    title = rng.choice(["", words(rng, rng.randint(1, 6)), LONG_TITLE[: rng.randint(90, len(LONG_TITLE))], words(rng, rng.randint(14, 24))])
    sep = rng.choice([" ", "  ", "", ":", ". ", "\u3000"])
    return "#" * rng.randint(1, 6) + rng.choice([" ", " ", "", "  "]) + numeral(rng) + sep + title


def list_line(rng: random.Random) -> str:
    delim = rng.choice(["- ", "* "])
    items = []
    for _ in range(rng.randint(1, 6)):
        items.append(rng.choice(["", numeral(rng) + " "]) + words(rng, rng.randint(0, 4)))
    lead = rng.choice(["- ", "* ", "", "-", "x "])
    return lead + (" " + delim).join(items)


NEAR_BLOCK = ["* [1] x", "zz* [1] x", "", "12", "x* [", " * [2]", "\u3000", "9", "A different line", "## References"]


def near_block(rng: random.Random) -> str:
    """16-19 equal short lines amid reference-like lines: remove_slice_from_lines' cut-offs, an empty to_delete."""
    unit = rng.choice(["Lorem 😀 ipsum", "Lorem ipsum dolor sit amet", words(rng, rng.randint(1, 3)), "* [3] " + words(rng, 2)])
    block = [unit + (str(rng.randint(0, 9)) if rng.random() < 0.2 else "") for _ in range(rng.randint(16, 19))]
    before = [rng.choice(NEAR_BLOCK) for _ in range(rng.randint(0, 4))]
    after = [rng.choice(NEAR_BLOCK) for _ in range(rng.randint(0, 4))]
    return "\n".join(before + block + after)


def references(rng: random.Random) -> str:
    if rng.random() < 0.25:
        return near_block(rng)
    lines = reference_lines(rng, rng.randint(10, 24), rng.randint(0, 120), vary=rng.random() < 0.6)
    if rng.random() < 0.3:
        unit = words(rng, rng.randint(2, 12))
        lines = [f"* [{k}] {unit} {rng.randint(1, 2000)}" for k in range(len(lines))]
    if rng.random() < 0.3:
        lines = [line + ("\n" if rng.random() < 0.3 else "") for line in lines]
    if rng.random() < 0.3:
        lines.insert(0, "## References")
    if rng.random() < 0.3:
        lines.insert(rng.randint(0, len(lines)), words(rng, rng.randint(1, 12)))
    tail = rng.choice(["", "\n" + words(rng, 5), str(rng.randint(1, 99)) + " " + words(rng, 4), "\n[MISSING_PAGE_POST:3]"])
    return "\n".join(lines) + tail


def repetition(rng: random.Random) -> str:
    unit = rng.choice([words(rng, rng.randint(2, 10)), chars(rng, rng.randint(5, 60)), rng.choice(FRAGMENTS)])
    unit += rng.choice(["", ". ", "\n", "! ", "? ", " "])
    reps = [unit if rng.random() < 0.8 else unit.upper() for _ in range(rng.randint(2, 9))]
    return rng.choice(["", words(rng, rng.randint(1, 8)) + rng.choice([". ", " ", "\n"])]) + "".join(reps)


def structure(rng: random.Random) -> str:
    a, c = chars(rng, 1, (6, 0, 1, 0)), chars(rng, rng.randint(1, 4), (6, 0, 0, 0))
    s = rng.choice(SPACES[:20] + ".,()")
    options = [
        lambda: f"{s}_{a}__{c}_{rng.choice(SPACES[:20] + '.,:()')}",
        lambda: f"{rng.choice(' .,1٣')}_{a}_{rng.choice(' .,;2')}",
        lambda: f"\nFootnote {rng.randint(1, 9)}{rng.choice(['', ' x'])}: {rng.choice(['thanks', 'footnotetext', 'other'])}:"
        + rng.choice(["", " ", " ** ", "\n"]) + words(rng, 3) + rng.choice(["", "\n\n", "\n"]),
        lambda: f"[FOOTNOTE:{rng.choice(['1', '', 'a]'])}]{words(rng, 2)}[ENDFOOTNOTE]",
        lambda: f"* [{rng.choice(['1', '12', '٣', 'x'])}]{rng.choice(['[]', '', '[] '])}{words(rng, 3)}",
        lambda: f"* [{rng.randint(1, 99)}]" + "".join(rng.choice([" ", ""]) + rng.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZ") + "." * rng.randint(1, 2) for _ in range(rng.randint(6, 14))) + words(rng, 2),
        lambda: "(" + numeral(rng) + rng.choice(["", "a", "B"]) + ") \\[" + words(rng, 2) + "\\]" + rng.choice(["", " x"]),
        lambda: "\\[" + words(rng, 2) + "\\] (" + numeral(rng) + rng.choice(["", "a"]) + ")" + rng.choice(["", " \\[y\\]", " \\[z"]),
        lambda: f"{rng.choice(['http', 'https', 'ftp', 'htp'])}://{words(rng, 1)}.{words(rng, 1)}{rng.choice(['', '/', '/p?q=1&r', '#x', '.', '-'])}{chars(rng, rng.randint(0, 6), (6, 3, 1, 0))}",
        lambda: "```" + rng.choice(["", " ", "\n", "\u3000"]) + words(rng, 3) + rng.choice(["", "\n", " "]) + "```",
        lambda: rng.choice(["\\bm{", "{\\\\bm ", "\\mbox{\\boldmath$", "\\mbox{ \\boldmath$", "\\. "]) + words(rng, 1) + rng.choice(["$}", "}", ""]),
        lambda: "\\begin{tabular}{" + "".join(rng.choice("clr |") for _ in range(rng.randint(0, 4))) + "}"
        + rng.choice(["", " ", "  & \\\\ ", " & & ", "\n\n"]) + "\\end{tabular}",
        lambda: rng.choice(["\\begin{table} \\begin{tabular}", "\\end{tabular} \\end{table}", "\\end{table} Tab", "\\begin{array}[]{", words(rng, 2) + " \\begin{tab"]),
        lambda: "\\begin{tabular}{c}" * rng.randint(14, 17) + rng.choice(["", "\n"]),
        lambda: "&" * rng.randint(395, 405),
        lambda: "**S. A. B.**" + "\n" * rng.randint(1, 3),
        lambda: rng.choice([".", ". ", ".\u3000", " .", "\n.\n", a, a + "\n\n", "\n\n" + a]),
        lambda: rng.choice(["Figure", "Table", "**", "\\begin", "#", "[MISSING_PAGE_POST]", "[MISSING_PAGE_EMPTY:2]", "\n* [leftmargin=*]\n"]),
    ]
    return rng.choice(options)()


def random_page(rng: random.Random) -> str:
    parts = []
    for _ in range(rng.randint(1, 14)):
        u = rng.random()
        if u < 0.18:
            parts.append(rng.choice(FRAGMENTS))
        elif u < 0.3:
            parts.append(heading(rng))
        elif u < 0.4:
            parts.append(list_line(rng))
        elif u < 0.47:
            parts.append(references(rng))
        elif u < 0.57:
            parts.append(repetition(rng))
        elif u < 0.8:
            parts.append(structure(rng))
        elif u < 0.9:
            parts.append(words(rng, rng.randint(1, 20)))
        else:
            parts.append(chars(rng, rng.randint(1, 40)))
        parts.append(rng.choice(SEPARATORS + ["\n", "\n", ". ", rng.choice(SPACES)]))
    text = "".join(parts)
    if rng.random() < 0.33:
        cps = list(text)
        for _ in range(rng.randint(1, 6)):
            i = rng.randint(0, len(cps))
            op = rng.random()
            if op < 0.4:
                cps.insert(i, chars(rng, 1, (3, 3, 2, 3)))
            elif op < 0.7 and i < len(cps):
                del cps[i]
            elif i < len(cps):
                j = min(len(cps), i + rng.randint(1, 30))
                cps[i:i] = cps[i:j] * rng.randint(1, 4)
        text = "".join(cps)
    if rng.random() < 0.1:
        text = rng.choice(["", " ", "\n", "#", "A", "a", ",", "\n\n", "x\n"]) + text[: rng.randint(0, 3)]
    return text


def main() -> int:
    if len(sys.argv) < 2:
        sys.exit("usage: probe_random_nougat_postprocess.py OUT_DIR [N] [SEED]")
    out_dir = Path(sys.argv[1])
    n = int(sys.argv[2]) if len(sys.argv) > 2 else 5000
    seed = int(sys.argv[3]) if len(sys.argv) > 3 else 1
    try:
        nltk.corpus.words.words()
        sys.exit("NLTK's words corpus is installed; ved ports the branch taken without it.")
    except LookupError:
        pass
    tok = NougatTokenizer()
    rng = random.Random(seed)
    cases = []
    start = time.time()
    for i in range(n):
        text = random_page(rng)
        case = dict(id=i, input=text)
        try:
            case["markdown"] = tok.post_process_single(text, fix_markdown=True)
            case["plain"] = tok.post_process_single(text, fix_markdown=False)
        except Exception as e:  # noqa: BLE001 - recorded for the comparison
            case["error"] = f"{type(e).__name__}: {e}"
        cases.append(case)
    out_dir.mkdir(parents=True, exist_ok=True)
    doc = dict(generator="tools/reference/probe_random_nougat_postprocess.py", transformers=transformers.__version__, seed=seed, cases=cases)
    (out_dir / "cases.json").write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    errors = sum("error" in c for c in cases)
    print(f"{n} pages (seed {seed}) in {time.time() - start:.1f}s, {errors} raised; wrote {out_dir / 'cases.json'}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
