#!/usr/bin/env python
"""Nougat's text post-processing (transformers 5.18 NougatTokenizer.post_process_single) on chosen and
seeded random pages, for ved's golden test (packages/core/src/processing/nougat-post-process.test.ts).

Hand-written cases exercise every rule of post_process_single and its helpers (long and numeral-only
headings, a hallucinated last title, repeated tails, repeated and hallucinated reference lists,
"* [12][]" brackets, over-long references, PMC math artifacts, footnotes, list normalisation, tables,
"**S. A. B.**" lines, lone periods and characters, markdown_compatible's equation tags, bold math, URLs
and code blocks), with Unicode whitespace, case-changing and astral characters; then seeded random
compositions of those fragments. Each input is post-processed with fix_markdown True and False, and
Levenshtein.ratio is recorded on pairs of strings. The tokenizer is built without a checkpoint
(NougatTokenizer() has a built-in 5-token vocabulary; post-processing never tokenizes). NLTK's words
corpus must NOT be installed: ved ports the branch Python takes without it (LookupError: append a
space); the script refuses to run if it is. Every regular-expression rule must change at least one case.

Run:  .venv-ref/bin/python tools/reference/make_nougat_postprocess_fixtures.py [--random 150] [--seed 20261208]
Writes fixtures/text/nougat-post-process.json.
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import random
import re
import sys
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

import Levenshtein  # noqa: E402
import nltk  # noqa: E402
import transformers  # noqa: E402
from transformers.models.nougat import tokenization_nougat as tn  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "fixtures" / "text" / "nougat-post-process.json"


def reference_lines(rng: random.Random | None, count: int, start: int = 1, vary: bool = False) -> list[str]:
    """Reference lines that differ only in their numbers (and, with vary, a character or two)."""
    out = []
    for k in range(start, start + count):
        year = 1990 + (k * 7) % 30
        line = f"* [{k}] Smith, J. and Doe, A. Deep learning of page structure. Journal of Vision, {k % 9 + 1}({k}):{k * 11}, {year}."
        if vary and rng is not None and rng.random() < 0.5:
            i = rng.randrange(len(line))
            line = line[:i] + rng.choice("xyzéΣ𝐀 ") + line[i + 1 :]
        out.append(line)
    return out


LONG_TITLE = "A Remarkably Long Section Title That Goes On And On Well Past One Hundred Characters Of Heading Text Here"
REPEAT = "The model keeps writing this very same sentence. "


def hand_cases() -> list[tuple[str, str]]:
    refs = reference_lines(None, 20)
    cases = [
        ("empty", ""),
        ("whitespace only", " \t\n\u3000\x85\x1c\n "),
        ("one capital", "A"),
        ("one capital newline", "A\n"),
        ("one comma", ","),
        ("one lowercase", "a"),
        ("ends with period", "A sentence."),
        ("ends with brace", "$x^{2}$ and \\textbf{y}"),
        ("plain words", "Plain words without an ending"),
        # too long section titles
        ("long title", f"# 1. {LONG_TITLE}\nBody text follows."),
        ("long title inside", f"Intro line.\n## 2.3 {LONG_TITLE}\nMore text."),
        ("long title no space number", f"Intro.\n### 12:{LONG_TITLE}"),
        ("long title 99 chars", "Intro.\n# " + "x" * 99 + "\nEnd"),
        ("long title unicode", "Intro.\n# 3 " + "é𝐀" * 55 + "\nEnd"),
        # numeral-only headings
        ("numeral headings", "# 1.2\n\nText after a numeral heading.\n## iv.\n   \nMore.\n# \nLast.\n#### 3.1.4   \n\n\nEnd."),
        ("roman heading unicode spaces", "## xiv.\u3000\u2009\n\u00a0\nBody\n"),
        ("heading plus sign", "# 1+2\nbody"),
        # hallucinated title at the end
        ("hallucinated title", "Some text on the page.\n## Conclusion"),
        ("hallucinated title hashes", "Some text.\n####### Another"),
        ("title alone", "## Only Title"),
        ("title no space", "Some text.\n##Conclusion"),
        # repetitions
        ("repetition", "Intro sentence. " + REPEAT * 8),
        ("repetition no punctuation", "start " + "abcdefghij klmnopqrst uvwxyz0123 " * 6),
        ("repetition mixed case", "Begin. " + "Repeat THIS line of text please now. repeat this LINE of text please now. " * 3),
        ("repetition dotted I", "İİİ Start. " + "İstanbul is a city on two continents, İ. " * 5),
        ("repetition astral", "Lead. " + "𝐀𝐁𝐂 astral letters repeat here 😀. " * 6),
        ("repetition newline", "Head\n" + "Row of a table that repeats itself again\n" * 7),
        ("repetition short", "xy" * 29),
        ("repetition exact 60", "0123456789abcdefghijklmnopqrst" * 2),
        ("repetition final sigma", "Αρχή. " + "ΟΔΟΣ ΚΑΙ ΛΟΓΟΣ ΣΤΟΝ ΚΟΣΜΟΣ ΤΟΥ ΑΝΘΡΩΠΟΥ. " * 4),
        # references
        ("references repeated", "## References\n" + "\n".join(refs) + "\n"),
        ("references after text", "Some text before.\nAnother line of the body text here.\n\n" + "\n".join(refs) + "\nNext page content"),
        ("references with heading and tail", "Body.\n\n## References\n\n" + "\n".join(refs) + "\n\nFigure 3: a caption"),
        ("references numbered break", "Body.\n* [0] Real first reference, a book about something else entirely.\n" + "\n".join(reference_lines(None, 18, 1))),
        ("references with blank lines", "Intro.\n" + "\n\n".join(reference_lines(None, 17, 3)) + "\n\nOutro."),
        ("references varied", "Preface.\n" + "\n".join(reference_lines(random.Random(5), 22, 1, vary=True))),
        ("references two blocks", "A.\n" + "\n".join(refs[:17]) + "\nSomething completely different in between these two.\nAnd more.\nAnd more again here.\nStill more.\n" + "\n".join(reference_lines(None, 17, 40))),
        ("references missing page", "Text.\n[MISSING_PAGE_POST:4]\n" + "\n".join(refs)),
        ("references heading then missing", "Body.\n## References\n\n[MISSING_PAGE_POST:12]\nafter"),
        ("references heading then missing plain", "Body.\n## References\n[MISSING_PAGE_POST]"),
        ("references cut next page", "Start.\n" + "\n".join(refs) + "12 Next page begins with a number"),
        ("references unicode numbers", "Intro.\n" + "\n".join(r.replace("1", "١") for r in refs)),
        ("references short lines", "\n".join(["ab"] * 20)),
        ("references long lines", "\n".join(["z" * 210] * 20)),
        # a to_delete that ends empty: Python's str.replace("", ...) then puts the marker around every character
        ("references empty to_delete", "* [1] x\n\u3000\nLorem 😀 ipsum\nx* [\n" + "\n".join(["Lorem 😀 ipsum"] * 16) + "\n * [2]\n"),
        ("missing page lines", "\n".join(["[MISSING_PAGE_EMPTY:1]"] * 20)),
        # reference fixes
        ("empty brackets", "* [12][]Smith, J. A paper.\n* [13][] Doe\n* [x][]no"),
        ("long reference", "* [3] A. B. C. D. E. F. G. H. I. J. K. and more\n* [4] A. B. C. rest\nkeep"),
        ("long reference spaces", "* [5]A.B.C.D.E.F.G.H.I.J.\nnext"),
        # single characters
        ("lone char start", "x\n\nBody text."),
        ("lone char end", "Body text\n\ny"),
        ("lone char end newline", "Body text\n\nq\n"),
        ("lone digit unicode", "٣\n\nBody"),
        # pmc artifacts
        ("pmc subscript", "value (_x__2_) and ._a__bc_: done"),
        ("pmc symbol", "the 1_b_; and  _c_ and 3_d_4"),
        ("pmc unicode space", "a\u2003_x__12_\u3000and\x85_q_\x1c"),
        # footnotes
        ("footnote thanks", "Text.\nFootnote 1: thanks: We thank everyone.\n\nNext paragraph."),
        ("footnote footnotetext", "Text.\nFootnote 2: footnotetext: ** Note at the end"),
        ("footnote inline", "Start [FOOTNOTE:1]The note[ENDFOOTNOTE] end [FOOTNOTE:]x[ENDFOOTNOTE]"),
        # lists
        ("list dashes", "- first item - second item - third item"),
        ("list stars numbered", "Intro\n* 1. one * 2. two * 2.1 nested * 2.1.3 deeper"),
        ("list roman", "* i. alpha * ii. beta * iv.v gamma * IX. delta"),
        ("list dotless i", "* ı. alpha * İ.v beta * x.ı gamma"),
        ("list empty items", "- a - - b -  c"),
        ("list mixed delimiters", "* a - b - c * d"),
        ("list last line", "Para.\n- a b - c d"),
        ("list unicode strip", "- \u3000first item\u2009- \x85second item\x1c"),
        ("list no match", "-no space - here\n*bold* - item"),
        # tables
        ("table spacing", "\\begin{table} \\begin{tabular}{l l} a & b \\\\ \\end{tabular} \\end{table} Table 1: caption"),
        ("table after text", "Some text \\begin{tabular}{cc} a & b \\end{tabular} more \\begin{tabular}{c} c \\end{tabular}"),
        ("table empty ll", "Before \\begin{tabular}{l l}  & \\\\ \\end{tabular} after"),
        ("table empty two newlines", "\\begin{tabular}{}\n\n\\end{tabular}\nText"),
        ("table empty columns", "A\n\\begin{tabular}{ccc} & & \\\\ \\end{tabular}\nB\n\\begin{tabular}{l r}   \\end{tabular}"),
        ("table runaway", "Keep this.\n" + "\\begin{tabular}{c}" * 16 + "\nKeep that."),
        ("table many ampersands", "x\n" + "&" * 401 + "\ny"),
        ("table multicolumn", "x\n" + "\\multicolumn{1}{c}{a}" * 61 + "\ny"),
        ("array brackets", "$\\begin{array}[]{cc} a & b \\end{array}$"),
        # S.A.B.
        ("sab lines", "Title\n**S. A. B.**\n**S. A. B.**\n\n**S. A. B.**\nBody"),
        # headings, periods, newlines
        ("empty headings", "Text\n#\n## [\n### 1\n#### é\n# ab\nEnd"),
        ("lone periods", "Text\n.\n.  \n. x\nEnd"),
        ("many newlines", "a\n\n\n\nb\n\n\n\n\n\nc"),
        ("leftmargin", "Items:\n* [leftmargin=*]\n* one\n* [leftmargin=*]\n* [leftmargin=*]\n"),
        ("starts with bold", "**Bold** start"),
        ("starts with begin", "\\begin{equation} x \\end{equation} tail"),
        ("last line figure", "Text.\nFigure 1: A plot"),
        ("last line table", "Text\nTable 2"),
        # markdown_compatible
        ("equation tag before", "(1) \\[x = 1\\]\n(2.3a) \\[y\\]\n(4) \\[z\\] trailing"),
        ("equation tag after", "\\[E = mc^2\\] (5)\n\\[a\\] (6b)"),
        ("equation tag between", "\\[a\\] (7) \\[b\\]"),
        ("multi line dots", "a\\. b\\. c"),
        ("bold math", "\\bm{v} and {\\\\bm w} and \\mbox{\\boldmath$z$} and \\mbox{ \\boldmath$q$}"),
        ("urls", "See https://example.org/path?q=1&r=2#frag. Or ftp://files.example.com/a_b-c, or http://x.y.z/é!"),
        ("url unicode", "Visit https://例え.テスト/パス and http://a.b"),
        ("code block", "Algorithm:\n```  \n  step 1\n  step 2\n```\nand ```x```"),
        # unicode and astral
        ("unicode text", "Ünïcödé — 日本語の文章。 一二三 ΑΣ ὈΔΥΣΣΕΎΣ"),
        ("unicode whitespace strip", "\u3000\x85\x1c\x1d\x1e\x1f\u2028 Text \u2029\ufeff"),
        ("astral", "𝐀𝐁𝐂 math 😀 𝟙𝟚𝟛"),
        ("astral heading", "# 𝟙\nBody\n## 😀"),
        ("carriage returns", "Line one\r\n# 1.\r\nLine two.\r"),
    ]
    return cases


FRAGMENTS = [
    "# Introduction", "## 2.1 Methods", "# iv.", "### ", "#", "## [", f"# 4 {LONG_TITLE}", "## 1.2.3",
    "Some plain sentence.", "Text with numbers 12 and 3.5", "words without end", "A", ",", "x", "٣", ".", " . ",
    "* [1] A. Author. Title. Journal 2020.", "* [12][]Ref with empty brackets", "* [3] A. B. C. D. E. F. G. H. I. J. K. extra",
    " _x__2_ ", "(_a__bc_)", " _a_ ", "1_b_;", "\nFootnote 1: thanks: note text", "\nFootnote 2: footnotetext: other",
    "[FOOTNOTE:1]fn[ENDFOOTNOTE]", "* a - b - c", "- 1. first - 2. second - 2.1 nested", "* i. x * ii. y * iii. z", "- ı. a - İ.v b",
    "\\begin{table} \\begin{tabular}{l l} a & b \\\\ \\end{tabular} \\end{table} Table 1: cap",
    "text \\begin{tabular}{cc} & \\\\ \\end{tabular}", "\\begin{tabular}{}\n\n\\end{tabular}", "\\begin{array}[]{cc} a \\end{array}",
    "\\begin{tabular}{l l}  & \\\\ \\end{tabular}", "**S. A. B.**\n**S. A. B.**\n", "(1) \\[x=1\\]", "\\[y\\] (2a)",
    "\\[a\\] (3) \\[b\\]", "\\bm{v}", "{\\\\bm w}", "\\mbox{\\boldmath$z$}", "see https://example.org/p?q=1#f.",
    "ftp://files.example.com/x", "```  code block  ```", "\\. ", "Figure 2: plot", "Table 3", "**Bold**", "\\begin{equation}",
    "\n* [leftmargin=*]\n", "Ünïcödé — 日本語 一二三", "𝐀𝐁𝐂 😀", "ΑΣ ΟΔΟΣ", "İstanbul", "\u3000\x85\x1c \xa0", "\u2028\u2029\r",
    "[MISSING_PAGE_POST:2]", "## References", "\n\n\n", "\t", "&&&", "\\end{table} Tab",
]
SEPARATORS = ["\n", "\n\n", " ", "", "\n\n\n", "\n \n", "\u3000"]


def random_page(rng: random.Random) -> str:
    parts = []
    for _ in range(rng.randint(1, 10)):
        u = rng.random()
        if u < 0.06:
            parts.append("\n".join(reference_lines(rng, rng.randint(14, 19), rng.randint(1, 60), vary=rng.random() < 0.5)))
        elif u < 0.14:
            unit = rng.choice(FRAGMENTS) + rng.choice(SEPARATORS) + rng.choice(FRAGMENTS)
            parts.append(unit * rng.randint(2, 6))
        else:
            parts.append(rng.choice(FRAGMENTS))
        parts.append(rng.choice(SEPARATORS))
    return "".join(parts)


def ratio_pairs(rng: random.Random) -> list[tuple[str, str]]:
    pairs = [("", ""), ("a", ""), ("", "abc"), ("abc", "abc"), ("lewenstein", "levenshtein"), ("𝐀b", "ab"), ("😀😀", "😀"),
             ("İ", "i"), ("kitten", "sitting"), ("Smith J. Deep learning", "Smith J. Deep learnin"), ("abcdefghij", "abcdefghik")]
    alphabet = "abcde 𝐀é."
    for _ in range(40):
        a = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 30)))
        b = list(a)
        for _ in range(rng.randint(0, 4)):
            i = rng.randint(0, len(b))
            if rng.random() < 0.5 and i < len(b):
                del b[i]
            else:
                b.insert(i, rng.choice(alphabet))
        pairs.append((a, "".join(b)))
    return pairs


class CountingRe:
    """tokenization_nougat's `re`, counting the inputs each re.sub pattern changed."""

    def __init__(self) -> None:
        self.changed: collections.Counter[str] = collections.Counter()
        self.seen: set[str] = set()

    def __getattr__(self, name):
        return getattr(re, name)

    def sub(self, pattern, repl, string, count=0, flags=0):
        out = re.sub(pattern, repl, string, count=count, flags=flags)
        self.seen.add(pattern)
        if out != string:
            self.changed[pattern] += 1
        return out


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--random", type=int, default=150)
    ap.add_argument("--seed", type=int, default=20261208)
    args = ap.parse_args()
    try:
        nltk.corpus.words.words()
        sys.exit("NLTK's words corpus is installed; ved ports the branch taken without it. Remove it (nltk_data/corpora/words).")
    except LookupError:
        pass
    counting = CountingRe()
    tn.re = counting
    tok = tn.NougatTokenizer()

    rng = random.Random(args.seed)
    inputs = hand_cases() + [(f"random {i}", random_page(rng)) for i in range(args.random)]
    cases = []
    for name, text in inputs:
        cases.append(
            dict(
                name=name,
                input=text,
                markdown=tok.post_process_generation(text, fix_markdown=True),
                plain=tok.post_process_generation(text, fix_markdown=False),
            )
        )
    assert tok.post_process_generation([c["input"] for c in cases[:5]]) == [c["markdown"] for c in cases[:5]]
    ratios = [dict(a=a, b=b, ratio=Levenshtein.ratio(a, b)) for a, b in ratio_pairs(random.Random(args.seed + 1))]

    never = sorted(p for p in counting.seen if counting.changed[p] == 0)
    for p in sorted(counting.seen):
        print(f"{counting.changed[p]:4d} cases changed by {p!r}", file=sys.stderr)
    if never:
        sys.exit(f"rules that changed no case: {never}")

    doc = dict(
        generator="tools/reference/make_nougat_postprocess_fixtures.py",
        transformers=transformers.__version__,
        levenshtein=Levenshtein.__version__,
        seed=args.seed,
        note="markdown: post_process_single(input, fix_markdown=True); plain: fix_markdown=False; NLTK words corpus absent",
        cases=cases,
        ratio=ratios,
    )
    OUT.parent.mkdir(parents=True, exist_ok=True)
    body = ",\n".join(json.dumps(c, ensure_ascii=False, separators=(",", ":")) for c in cases)
    head = {k: v for k, v in doc.items() if k not in ("cases", "ratio")}
    text = json.dumps(head, ensure_ascii=False)[:-1] + ',\n"cases": [\n' + body + '\n],\n"ratio": ' + json.dumps(ratios, ensure_ascii=False, separators=(",", ":")) + "}\n"
    assert json.loads(text) == doc
    OUT.write_text(text, encoding="utf-8")
    print(f"wrote {OUT.relative_to(ROOT)}: {len(cases)} cases, {len(ratios)} ratios, {len(text.encode())} bytes", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
