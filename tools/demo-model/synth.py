"""Synthetic printed-text line images: the domain of ved's default model.

Domain (see README.md): one line of printed text, 1-24 characters from digits,
upper- and lower-case Latin letters, space and ``. , : - / $ # %``, in DejaVu
Sans, DejaVu Serif or DejaVu Sans Mono at 16-32 px, dark text on a light,
possibly tinted background, with mild Gaussian noise, blur, a little padding
jitter and a rotation of at most 3 degrees. Images keep their natural size;
the image processor resizes them.

Everything here is a pure function of a ``numpy.random.Generator``, so a seed
fixes the whole data set.
"""

from __future__ import annotations

import math
import string
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFilter, ImageFont

ALPHABET = string.digits + string.ascii_uppercase + string.ascii_lowercase + " .,:-/$#%"
PUNCT = ".,:-/$#%"
MAX_CHARS = 24
FONT_DIR = Path("/usr/share/fonts/truetype/dejavu")
FONT_FILES = ("DejaVuSans.ttf", "DejaVuSerif.ttf", "DejaVuSansMono.ttf")
MIN_SIZE, MAX_SIZE = 16, 32
MAX_ROTATION = 3.0
MAX_NOISE = 6.0  # std of the Gaussian pixel noise, in 0-255 levels
MAX_BLUR = 0.7  # Gaussian blur radius, px

# A small built-in vocabulary so that lines look like real labels, invoices and
# forms; a good share of lines is still made of random characters.
WORDS = """
invoice total amount date due order number item qty price tax net gross paid balance account
customer name address street city code phone email page ref id no from to ship bill payment
card cash change discount subtotal vat sum unit rate hours week month year time start end
report summary note file version model serial batch lot box pack size weight height width length
north south east west main road avenue park lane house room floor level office desk team
project task status open closed done pending new old first last next previous copy draft final
the and for with per each all any net off on at by of in out up down left right top bottom
alpha beta gamma delta sigma omega red green blue black white gray gold silver
monday tuesday friday sunday january march april june july august october december
""".split()
MONTHS = "Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec".split()


def check_fonts() -> list[Path]:
    paths = [FONT_DIR / f for f in FONT_FILES]
    missing = [str(p) for p in paths if not p.is_file()]
    if missing:
        raise SystemExit(f"missing fonts (install Debian's fonts-dejavu-core): {', '.join(missing)}")
    return paths


# ------------------------------------------------------------------ text


def _word(rng: np.random.Generator) -> str:
    w = WORDS[rng.integers(len(WORDS))]
    r = rng.random()
    if r < 0.35:
        return w.capitalize()
    if r < 0.5:
        return w.upper()
    return w


def _number(rng: np.random.Generator) -> str:
    kind = rng.integers(6)
    if kind == 0:
        return str(rng.integers(0, 10 ** int(rng.integers(1, 7))))
    if kind == 1:  # money
        v = rng.integers(0, 10 ** int(rng.integers(1, 7)))
        s = f"{v:,}" if rng.random() < 0.6 else str(v)
        return ("$" if rng.random() < 0.6 else "") + s + f".{rng.integers(100):02d}"
    if kind == 2:  # date
        d, m, y = rng.integers(1, 32), rng.integers(1, 13), rng.integers(1950, 2040)
        f = rng.integers(4)
        if f == 0:
            return f"{d:02d}/{m:02d}/{y}"
        if f == 1:
            return f"{y}-{m:02d}-{d:02d}"
        if f == 2:
            return f"{d} {MONTHS[m - 1]} {y}"
        return f"{m}/{d}/{y % 100:02d}"
    if kind == 3:  # time
        return f"{rng.integers(24):02d}:{rng.integers(60):02d}"
    if kind == 4:  # percent
        return f"{rng.integers(0, 1000) / 10:g}%"
    # code like #A12-3456
    n = int(rng.integers(2, 8))
    body = "".join(rng.choice(list(string.digits + string.ascii_uppercase), n))
    if rng.random() < 0.5:
        k = int(rng.integers(1, n))
        body = body[:k] + "-" + body[k:]
    return ("#" if rng.random() < 0.5 else "") + body


def _random_chars(rng: np.random.Generator, n: int) -> str:
    # Mostly letters and digits, with spaces and punctuation sprinkled in.
    pools = [string.ascii_letters, string.digits, PUNCT, " "]
    probs = [0.6, 0.22, 0.1, 0.08]
    out = []
    for _ in range(n):
        pool = pools[rng.choice(4, p=probs)]
        out.append(pool[rng.integers(len(pool))])
    return "".join(out)


def _clean(text: str) -> str:
    # No leading/trailing or double spaces: they cannot be seen in an image.
    return " ".join(text.split())[:MAX_CHARS].strip()


def sample_text(rng: np.random.Generator) -> str:
    while True:
        r = rng.random()
        target = int(rng.integers(1, MAX_CHARS + 1))
        if r < 0.3:
            text = _random_chars(rng, target)
        else:
            parts: list[str] = []
            while len(" ".join(parts)) < target:
                q = rng.random()
                if q < 0.55:
                    parts.append(_word(rng))
                elif q < 0.9:
                    parts.append(_number(rng))
                else:
                    parts.append(_random_chars(rng, int(rng.integers(1, 5))).strip() or "x")
                if parts and rng.random() < 0.15:
                    parts[-1] += PUNCT[rng.integers(len(PUNCT))] if rng.random() < 0.3 else rng.choice([":", ",", "."])
            text = " ".join(parts)
            if len(text) > target:
                text = text[:target] if rng.random() < 0.5 else text[: max(target, len(parts[0]))]
        text = _clean(text)
        if 1 <= len(text) <= MAX_CHARS:
            return text


# ------------------------------------------------------------------ image


@dataclass(frozen=True)
class Style:
    font: int
    size: int
    rotation: float
    noise: float
    blur: float


_font_cache: dict[tuple[int, int], ImageFont.FreeTypeFont] = {}


def _font(index: int, size: int) -> ImageFont.FreeTypeFont:
    key = (index, size)
    f = _font_cache.get(key)
    if f is None:
        f = ImageFont.truetype(str(FONT_DIR / FONT_FILES[index]), size)
        _font_cache[key] = f
    return f


def sample_style(rng: np.random.Generator, edge: bool = False) -> Style:
    font = int(rng.integers(len(FONT_FILES)))
    if edge:
        # The edges of the domain: smallest/largest size, strongest noise, blur and rotation.
        size = MIN_SIZE if rng.random() < 0.5 else MAX_SIZE
        rot = MAX_ROTATION * (1 if rng.random() < 0.5 else -1)
        return Style(font, size, rot, MAX_NOISE, MAX_BLUR)
    size = int(rng.integers(MIN_SIZE, MAX_SIZE + 1))
    rot = float(rng.uniform(-MAX_ROTATION, MAX_ROTATION)) if rng.random() < 0.7 else 0.0
    noise = float(rng.uniform(0, MAX_NOISE))
    blur = float(rng.uniform(0, MAX_BLUR)) if rng.random() < 0.5 else 0.0
    return Style(font, size, rot, noise, blur)


def render(text: str, style: Style, rng: np.random.Generator) -> Image.Image:
    return render_with_spans(text, style, rng)[0]


def render_with_spans(text: str, style: Style, rng: np.random.Generator) -> tuple[Image.Image, list[tuple[float, float]]]:
    """The image and, for each character, its horizontal extent [x0, x1) in the
    final image along the text's middle line (training uses it to label columns)."""
    font = _font(style.font, style.size)
    ascent, descent = font.getmetrics()
    left, _, right, _ = font.getbbox(text)
    text_w = max(right - left, 1)
    s = style.size
    pad = [int(rng.integers(max(1, s // 8), s // 2 + 1)) for _ in range(4)]  # l, t, r, b
    w = text_w + pad[0] + pad[2]
    h = ascent + descent + pad[1] + pad[3]

    # light background, possibly tinted; dark ink
    if rng.random() < 0.5:
        bg = np.full(3, rng.integers(215, 256))
    else:
        bg = rng.integers(190, 256, size=3)
    ink = rng.integers(0, 80, size=3) if rng.random() < 0.3 else np.full(3, rng.integers(0, 70))
    bg_t = tuple(int(v) for v in bg)
    img = Image.new("RGB", (w, h), bg_t)
    ImageDraw.Draw(img).text((pad[0] - left, pad[1]), text, font=font, fill=tuple(int(v) for v in ink))

    x_origin = pad[0] - left
    edges = [x_origin + font.getlength(text[:i]) for i in range(len(text) + 1)]
    spans = [(edges[i], edges[i + 1]) for i in range(len(text))]
    if style.rotation != 0.0:
        img = img.rotate(style.rotation, resample=Image.BICUBIC, expand=True, fillcolor=bg_t)
        # PIL turns counter-clockwise about the centre; follow x along the text's middle line.
        th = math.radians(style.rotation)
        dy = pad[1] + (ascent + descent) / 2 - h / 2
        cx, ncx = w / 2, img.width / 2
        spans = [(ncx + (a - cx) * math.cos(th) + dy * math.sin(th), ncx + (b - cx) * math.cos(th) + dy * math.sin(th)) for a, b in spans]
    if style.blur > 0.0:
        img = img.filter(ImageFilter.GaussianBlur(style.blur))
    a = np.asarray(img, dtype=np.float32)
    if rng.random() < 0.3:  # a gentle brightness gradient across the line
        g = np.linspace(0, float(rng.uniform(-25, 10)), a.shape[1], dtype=np.float32)
        a = a + g[None, :, None]
    if style.noise > 0.0:
        a = a + rng.normal(0.0, style.noise, size=a.shape).astype(np.float32)
    return Image.fromarray(np.clip(np.rint(a), 0, 255).astype(np.uint8), "RGB"), spans


def sample(rng: np.random.Generator, edge: bool = False) -> tuple[str, Image.Image]:
    text, img, _ = sample_with_spans(rng, edge)
    return text, img


def sample_with_spans(rng: np.random.Generator, edge: bool = False) -> tuple[str, Image.Image, list[tuple[float, float]]]:
    text = sample_text(rng)
    style = sample_style(rng, edge)
    img, spans = render_with_spans(text, style, rng)
    return text, img, spans
