"""Synthetic printed-text line images: the domain of ved's default model.

Domain (see README.md): one line of printed text, 1-24 characters from digits,
upper- and lower-case Latin letters, space and ``. , : - / $ # %``, in 22
printed faces (DejaVu, Liberation, Noto and GNU FreeFont; regular and bold) at
12-48 px, dark ink on a light background (white, grey, tinted or coloured),
cropped as users and detectors crop: from text touching the edges (ascenders
or descenders slightly cut) to generous padding, each side jittered, stretched
or condensed, with mild Gaussian noise, blur, JPEG artefacts and a rotation of
at most 3 degrees. Images keep their natural size; the image processor resizes
them.

Everything here is a pure function of a ``numpy.random.Generator``, so a seed
fixes the whole data set.
"""

from __future__ import annotations

import io
import math
import string
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFilter, ImageFont

ALPHABET = string.digits + string.ascii_uppercase + string.ascii_lowercase + " .,:-/$#%"
PUNCT = ".,:-/$#%"
MAX_CHARS = 24

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


# Characters that look alike in some of the faces, or alike but for their size: `I`/`l`/`1`, `O`/`0`,
# a letter and its capital. Most of a trained model's remaining errors on the held-out set are these, and
# a lone letter's case, so training can draw lines made mostly of them (train.py's --confusable-share).
CONFUSABLE = ["Il1ij", "O0oQD", "cC", "sS5$", "xX", "vV", "wW", "zZ2", "kK", "pP", "uU", "yY", "jJ", ".,:", "8B", "6b", "9gq", "%#"]


def _confusable_chars(rng: np.random.Generator, n: int) -> str:
    # Two groups of look-alikes, mixed with random characters; about a third of the lines are only 1-3
    # characters long, where the case of a lone letter has only the line's own proportions to go by.
    if rng.random() < 0.35:
        n = int(rng.integers(1, 4))
    groups = [CONFUSABLE[i] for i in rng.choice(len(CONFUSABLE), 2, replace=False)]
    out = []
    for _ in range(n):
        if rng.random() < 0.6:
            g = groups[int(rng.integers(2))]
            out.append(g[rng.integers(len(g))])
        else:
            out.append(_random_chars(rng, 1))
    return "".join(out)


def _clean(text: str) -> str:
    # No leading/trailing or double spaces: they cannot be seen in an image.
    return " ".join(text.split())[:MAX_CHARS].strip()


RANDOM_SHARE = 0.3  # share of lines made of random characters


def sample_text(rng: np.random.Generator, random_share: float = RANDOM_SHARE, confusable_share: float = 0.0) -> str:
    """A line's text: random characters (random_share), look-alikes (confusable_share: training only, see
    CONFUSABLE), or words and numbers. With confusable_share 0 (the domain) it draws what it always drew."""
    while True:
        r = rng.random()
        target = int(rng.integers(1, MAX_CHARS + 1))
        if r < random_share:
            text = _random_chars(rng, target)
        elif r < random_share + confusable_share:
            text = _confusable_chars(rng, target)
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

# Printed fonts from Debian packages: (directory, file). Index 0-2 are the
# three DejaVu faces the first checkpoint was trained on.
FONT_DIRS = {
    "dejavu": Path("/usr/share/fonts/truetype/dejavu"),  # fonts-dejavu-core
    "liberation": Path("/usr/share/fonts/truetype/liberation"),  # fonts-liberation
    "noto": Path("/usr/share/fonts/truetype/noto"),  # fonts-noto-core
    "freefont": Path("/usr/share/fonts/truetype/freefont"),  # fonts-freefont-ttf
}
FONTS: tuple[tuple[str, str], ...] = (
    ("dejavu", "DejaVuSans.ttf"),
    ("dejavu", "DejaVuSerif.ttf"),
    ("dejavu", "DejaVuSansMono.ttf"),
    ("liberation", "LiberationSans-Regular.ttf"),
    ("liberation", "LiberationSerif-Regular.ttf"),
    ("liberation", "LiberationMono-Regular.ttf"),
    ("noto", "NotoSans-Regular.ttf"),
    ("noto", "NotoSerif-Regular.ttf"),
    ("freefont", "FreeSans.ttf"),
    ("freefont", "FreeSerif.ttf"),
    ("freefont", "FreeMono.ttf"),
    ("dejavu", "DejaVuSans-Bold.ttf"),
    ("dejavu", "DejaVuSerif-Bold.ttf"),
    ("dejavu", "DejaVuSansMono-Bold.ttf"),
    ("liberation", "LiberationSans-Bold.ttf"),
    ("liberation", "LiberationSerif-Bold.ttf"),
    ("liberation", "LiberationMono-Bold.ttf"),
    ("noto", "NotoSans-Bold.ttf"),
    ("noto", "NotoSerif-Bold.ttf"),
    ("freefont", "FreeSansBold.ttf"),
    ("freefont", "FreeSerifBold.ttf"),
    ("freefont", "FreeMonoBold.ttf"),
)
N_REGULAR = 11  # FONTS[:11] regular faces, FONTS[11:] bold
BOLD_SHARE = 0.25
MIN_SIZE, MAX_SIZE = 12, 48
MAX_ROTATION = 3.0
MAX_NOISE = 8.0  # std of the Gaussian pixel noise, in 0-255 levels
MIN_CONTRAST = 90  # least luminance difference between background and ink
JPEG_SHARE = 0.3  # share of images re-encoded as JPEG (quality 30-90)
TIGHT_SHARE = 0.35  # share of lines cropped tight (see _sample_pad)
GENEROUS_SHARE = 0.2  # share of lines with generous padding (small text in the model's input)


def max_blur(size: int) -> float:
    """Gaussian blur radius limit, px: 0.5 at 12 px, 1.2 at 48 px (mild at every size)."""
    return 0.5 + 0.7 * (size - MIN_SIZE) / (MAX_SIZE - MIN_SIZE)


def font_path(index: int) -> Path:
    family, file = FONTS[index]
    return FONT_DIRS[family] / file


def check_fonts() -> list[Path]:
    paths = [font_path(i) for i in range(len(FONTS))]
    missing = [str(p) for p in paths if not p.is_file()]
    if missing:
        raise SystemExit(
            "missing fonts (apt-get install fonts-dejavu-core fonts-liberation fonts-noto-core fonts-freefont-ttf): "
            + ", ".join(missing)
        )
    return paths


@dataclass(frozen=True)
class Style:
    font: int
    size: int
    rotation: float
    noise: float
    blur: float
    # Crop: "ink" (the box of the ink, as a detector or a user crops) or "line"
    # (the font's ascent-to-descent box), and the padding on each side as a
    # fraction of the font size: left, top, right, bottom. Top and bottom may be
    # negative (ascenders or descenders cut); left and right are >= 0.
    crop: str = "line"
    pad: tuple[float, float, float, float] = (0.25, 0.25, 0.25, 0.25)
    stretch: float = 1.0  # horizontal scale after cropping (condensed < 1 < extended)
    jpeg: int = 0  # JPEG quality of a re-encode, 0: none


_font_cache: dict[tuple[int, int], ImageFont.FreeTypeFont] = {}


def _font(index: int, size: int) -> ImageFont.FreeTypeFont:
    key = (index, size)
    f = _font_cache.get(key)
    if f is None:
        f = ImageFont.truetype(str(font_path(index)), size)
        _font_cache[key] = f
    return f


def _sample_pad(rng: np.random.Generator, generous_share: float = GENEROUS_SHARE) -> tuple[float, float, float, float]:
    """Padding per side, in font sizes: tight (0, text touching the edges, or a
    slight cut above and below, TIGHT_SHARE of lines), ordinary, or generous
    (generous_share); each side jittered on its own (crop jitter)."""
    mode = rng.random()
    if mode < TIGHT_SHARE:  # tight
        h, v = (0.0, 0.08), (-0.06, 0.08)
    elif mode < 1.0 - generous_share:  # ordinary
        h, v = (0.05, 0.5), (0.05, 0.5)
    else:  # generous
        h, v = (0.3, 1.2), (0.3, 1.0)
    l, r = (float(rng.uniform(*h)) for _ in range(2))
    t, b = (float(rng.uniform(*v)) for _ in range(2))
    return (l, t, r, b)


def sample_style(
    rng: np.random.Generator, edge: bool = False, bold_share: float = BOLD_SHARE, generous_share: float = GENEROUS_SHARE
) -> Style:
    bold = rng.random() < bold_share
    font = int(rng.integers(N_REGULAR)) + (N_REGULAR if bold else 0)
    crop = "ink" if rng.random() < 0.5 else "line"
    pad = _sample_pad(rng, generous_share)
    stretch = 1.0 if rng.random() < 0.6 else float(np.exp(rng.uniform(np.log(0.7), np.log(1.4))))
    jpeg = int(rng.integers(30, 91)) if rng.random() < JPEG_SHARE else 0
    if edge:
        # The edges of the domain: smallest/largest size, strongest noise, blur and rotation.
        size = MIN_SIZE if rng.random() < 0.5 else MAX_SIZE
        rot = MAX_ROTATION * (1 if rng.random() < 0.5 else -1)
        return Style(font, size, rot, MAX_NOISE, max_blur(size), crop, pad, stretch, jpeg)
    size = int(rng.integers(MIN_SIZE, MAX_SIZE + 1))
    rot = float(rng.uniform(-MAX_ROTATION, MAX_ROTATION)) if rng.random() < 0.7 else 0.0
    noise = float(rng.uniform(0, MAX_NOISE))
    blur = float(rng.uniform(0, max_blur(size))) if rng.random() < 0.5 else 0.0
    return Style(font, size, rot, noise, blur, crop, pad, stretch, jpeg)


def _luma(c: np.ndarray) -> float:
    return 0.299 * float(c[0]) + 0.587 * float(c[1]) + 0.114 * float(c[2])


def _colours(rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """A light background (white, grey, tinted or coloured) and dark ink (grey or
    tinted), at least MIN_CONTRAST levels apart in luminance."""
    m = rng.random()
    if m < 0.35:
        bg = np.full(3, rng.integers(215, 256), dtype=np.float64)
    elif m < 0.55:
        bg = rng.integers(190, 256, size=3).astype(np.float64)
    elif m < 0.75:  # grey paper, screens, shadows
        bg = np.full(3, rng.integers(140, 216), dtype=np.float64)
    else:  # coloured: a random hue, saturation 0.15-0.6, value 0.7-1
        hue, sat, val = rng.random(), rng.uniform(0.15, 0.6), rng.uniform(0.7, 1.0)
        k = (np.array([5.0, 3.0, 1.0]) + hue * 6) % 6
        bg = 255 * val * (1 - sat * np.clip(np.minimum(k, 4 - k), 0, 1))
    ink = rng.integers(0, 80, size=3).astype(np.float64) if rng.random() < 0.3 else np.full(3, rng.integers(0, 70), dtype=np.float64)
    gap = _luma(bg) - _luma(ink)
    if gap < MIN_CONTRAST:
        ink = np.clip(ink - (MIN_CONTRAST - gap), 0, 255)
    return bg, ink


def render(text: str, style: Style, rng: np.random.Generator) -> Image.Image:
    return render_with_spans(text, style, rng)[0]


def render_with_spans(text: str, style: Style, rng: np.random.Generator) -> tuple[Image.Image, list[tuple[float, float]]]:
    """The image and, for each character, its horizontal extent [x0, x1) in the
    final image along the text's middle line (training uses it to label columns).

    The line is drawn as a coverage mask on a canvas with room around it,
    rotated, cropped around the ink (or around the font's line box) with the
    style's padding, stretched, coloured, then blurred, shaded, noised and
    possibly JPEG-compressed."""
    font = _font(style.font, style.size)
    s = style.size
    ascent, descent = font.getmetrics()
    left, ink_top, right, ink_bottom = font.getbbox(text)
    # room for the widest padding and for the rotation, no more (rotating a big canvas is slow)
    mx = math.ceil(1.25 * s) + 2
    my = math.ceil(1.05 * s + abs(math.sin(math.radians(style.rotation))) * ((right - left) / 2 + mx)) + 2
    ox, oy = mx - left, my  # the text's origin on the canvas
    cw = (right - left) + 2 * mx
    ch = ascent + descent + 2 * my
    mask = Image.new("L", (cw, ch), 0)
    ImageDraw.Draw(mask).text((ox, oy), text, font=font, fill=255)
    edges = [ox + font.getlength(text[:i]) for i in range(len(text) + 1)]
    spans = [(edges[i], edges[i + 1]) for i in range(len(text))]
    # the line box: font metrics vertically, ink horizontally
    box = (ox + left, oy, ox + right, oy + ascent + descent)
    mid_y = oy + (ascent + descent) / 2
    if style.rotation != 0.0:
        mask = mask.rotate(style.rotation, resample=Image.BICUBIC, center=(cw / 2, ch / 2))
        # PIL turns counter-clockwise about the centre (y down): a point (x, y)
        # goes to (cx + dx cos + dy sin, cy - dx sin + dy cos).
        th = math.radians(style.rotation)
        cx, cy = cw / 2, ch / 2

        def turn(x: float, y: float) -> tuple[float, float]:
            dx, dy = x - cx, y - cy
            return cx + dx * math.cos(th) + dy * math.sin(th), cy - dx * math.sin(th) + dy * math.cos(th)

        dy = mid_y - cy
        spans = [(cx + (a - cx) * math.cos(th) + dy * math.sin(th), cx + (b - cx) * math.cos(th) + dy * math.sin(th)) for a, b in spans]
        corners = [turn(x, y) for x in (box[0], box[2]) for y in (box[1], box[3])]
        box = (min(c[0] for c in corners), min(c[1] for c in corners), max(c[0] for c in corners), max(c[1] for c in corners))
    if style.crop == "ink":
        m = np.asarray(mask)
        ys, xs = np.nonzero(m >= 64)
        if len(xs):
            box = (float(xs.min()), float(ys.min()), float(xs.max() + 1), float(ys.max() + 1))
    pl, pt, pr, pb = style.pad
    x0 = int(math.floor(box[0] - pl * s))
    x1 = int(math.ceil(box[2] + pr * s))
    y0 = int(math.floor(box[1] - pt * s))
    y1 = int(math.ceil(box[3] + pb * s))
    if y1 - y0 < 4:  # a cut never leaves less than a sliver
        y0, y1 = int(box[1]), max(int(box[1]) + 4, int(math.ceil(box[3])))
    # the canvas is large enough for every padding above; clamp anyway
    x0, y0, x1, y1 = max(0, x0), max(0, y0), min(cw, max(x1, x0 + 2)), min(ch, y1)
    mask = mask.crop((x0, y0, x1, y1))
    spans = [(a - x0, b - x0) for a, b in spans]
    if style.stretch != 1.0:
        nw = max(2, round(mask.width * style.stretch))
        sx = nw / mask.width
        mask = mask.resize((nw, mask.height), Image.BICUBIC)
        spans = [(a * sx, b * sx) for a, b in spans]

    bg, ink = _colours(rng)
    cov = np.asarray(mask, dtype=np.float32)[..., None] / 255.0
    a = bg[None, None, :].astype(np.float32) * (1 - cov) + ink[None, None, :].astype(np.float32) * cov
    img = Image.fromarray(np.clip(np.rint(a), 0, 255).astype(np.uint8), "RGB")
    if style.blur > 0.0:
        img = img.filter(ImageFilter.GaussianBlur(style.blur))
    a = np.asarray(img, dtype=np.float32)
    if rng.random() < 0.3:  # a gentle brightness gradient across the line
        g = np.linspace(0, float(rng.uniform(-25, 10)), a.shape[1], dtype=np.float32)
        a = a + g[None, :, None]
    if style.noise > 0.0:
        a = a + rng.normal(0.0, style.noise, size=a.shape).astype(np.float32)
    img = Image.fromarray(np.clip(np.rint(a), 0, 255).astype(np.uint8), "RGB")
    if style.jpeg:
        buf = io.BytesIO()
        img.save(buf, format="JPEG", quality=style.jpeg)
        buf.seek(0)
        img = Image.open(buf).convert("RGB")
    return img, spans


def sample(rng: np.random.Generator, edge: bool = False) -> tuple[str, Image.Image]:
    text, img, _ = sample_with_spans(rng, edge)
    return text, img


def sample_with_spans(
    rng: np.random.Generator,
    edge: bool = False,
    random_share: float = RANDOM_SHARE,
    bold_share: float = BOLD_SHARE,
    generous_share: float = GENEROUS_SHARE,
    confusable_share: float = 0.0,
) -> tuple[str, Image.Image, list[tuple[float, float]]]:
    """A line, its image and its characters' extents. The shares change what training draws (train.py's
    --random-share/--bold-share/--generous-share/--confusable-share); the evaluation sets keep the defaults,
    the domain the README states."""
    text = sample_text(rng, random_share, confusable_share)
    style = sample_style(rng, edge, bold_share, generous_share)
    img, spans = render_with_spans(text, style, rng)
    return text, img, spans
