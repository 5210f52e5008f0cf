#!/usr/bin/env python
"""Random GIF files, for a differential run of ved's GIF decoder against Pillow (not fixtures).

Draws N GIF files: a third saved by Pillow itself (modes L, P, RGB, RGBA; transparency, interlace,
optimised and full palettes, several frames, comments), a third written here chunk by chunk (a first image
smaller than the screen, offset or reaching past it, global, local, grey-ramp or no colour tables, short
tables, transparent indices, interlacing, every LZW code size 0-12, streams with extra clear codes, early
end codes or codes past the last pixel, extensions of every kind, stray bytes), and a third of either with
bytes flipped, removed, inserted or cut. For each, what `np.array` gives after ved's rules for a palette
image (`convert("RGBA")` when the file declares a transparent index, else `convert("RGB")`; mode L as is), or
Pillow's error.

Run:  .venv-ref/bin/python tools/reference/probe_random_gifs.py OUT_DIR [N] [SEED]
Writes OUT_DIR/<i>.gif, OUT_DIR/index.json and OUT_DIR/expected.safetensors.
Compared by `compare_random_image_files.mjs gif OUT_DIR` (node, after pnpm build).
"""

from __future__ import annotations

import io
import json
import random
import struct
import sys
import warnings
from pathlib import Path

import numpy as np
from PIL import Image
from safetensors.numpy import save_file

warnings.filterwarnings("ignore")


def lzw_encode(indices: list[int], bits: int, r: random.Random, clears: float = 0.0) -> bytes:
    """A GIF LZW stream of `indices` (each < 2**bits); `clears`: chance of an extra clear code between strings."""
    clear = 1 << bits
    eoi = clear + 1
    size = bits + 1
    table = {(i,): i for i in range(clear)}
    nxt = eoi + 1
    buf = nbits = 0
    out = bytearray()

    def emit(code: int) -> None:
        nonlocal buf, nbits
        buf |= code << nbits
        nbits += size
        while nbits >= 8:
            out.append(buf & 255)
            buf >>= 8
            nbits -= 8

    def reset() -> None:
        nonlocal table, nxt, size
        emit(clear)
        table = {(i,): i for i in range(clear)}
        nxt = eoi + 1
        size = bits + 1

    reset()
    w: tuple = ()
    for k in indices:
        wk = w + (k,)
        if wk in table:
            w = wk
            continue
        emit(table[w])
        if nxt < 4096:
            table[wk] = nxt
            nxt += 1
            if nxt > (1 << size) and size < 12:
                size += 1
        elif r.random() < 0.5:
            reset()
        if clears and r.random() < clears:
            reset()
        w = (k,)
    if w:
        emit(table[w])
    emit(eoi)
    if nbits:
        out.append(buf & 255)
    return bytes(out)


def sub_blocks(data: bytes, r: random.Random) -> bytes:
    out = bytearray()
    at = 0
    while at < len(data):
        n = min(len(data) - at, r.choice([255, 255, 255, r.randint(1, 255)]))
        out.append(n)
        out += data[at : at + n]
        at += n
    out.append(0)
    return bytes(out)


def table_bytes(entries: list[int], size_bits: int) -> bytes:
    full = list(entries) + [0] * (3 * (1 << size_bits) - len(entries))
    return bytes(full[: 3 * (1 << size_bits)])


def handmade(r: random.Random, rng: np.random.RandomState) -> bytes:
    sw, sh = r.randint(0, 40), r.randint(0, 40)
    fw = 0 if r.random() < 0.04 else r.randint(1, 40)
    fh = 0 if r.random() < 0.04 else r.randint(1, 40)
    x0 = r.choice([0, 0, r.randint(0, 30)])
    y0 = r.choice([0, 0, r.randint(0, 30)])
    bits = r.choice([r.randint(0, 12), 2, 3, 4, 8, 8])
    out = bytearray(r.choice([b"GIF89a", b"GIF87a"]))

    def draw_table() -> tuple[int, bytes]:
        size_bits = r.randint(0, 7)
        n = 1 << (size_bits + 1)
        kind = r.random()
        if kind < 0.2:
            entries = [v for i in range(n) for v in (i, i, i)]  # identity grey ramp: "no palette" to Pillow
        elif kind < 0.3:
            entries = [v for i in range(n) for v in (i, i, i)]
            entries[r.randrange(len(entries))] ^= 1
        else:
            entries = list(rng.randint(0, 256, 3 * n))
        return size_bits, table_bytes(entries, size_bits + 1)

    gct = r.random() < 0.7
    flags = 0
    table = b""
    if gct:
        size_bits, table = draw_table()
        flags = 0x80 | size_bits | (r.randint(0, 7) << 4)
    out += struct.pack("<HHBBB", sw, sh, flags, r.randint(0, 255), 0)
    out += table
    # Extensions and stray bytes before the image.
    for _ in range(r.choice([0, 0, 1, 2, 3])):
        kind = r.random()
        if kind < 0.5:
            gce = bytes([r.choice([0, 1, 1, 4 | 1, 8, 9]), r.randint(0, 255), r.randint(0, 1), r.randint(0, 255)])
            length = r.choice([4, 4, 4, 3, 2, 0, 5])
            out += bytes([0x21, 0xF9]) + (bytes([length]) + (gce + b"\x00")[:length] if length else b"") + b"\x00"
        elif kind < 0.7:
            out += bytes([0x21, 0xFE]) + sub_blocks(bytes(rng.randint(32, 127, r.randint(0, 300)).astype(np.uint8)), r)
        elif kind < 0.85:
            out += bytes([0x21, 0xFF]) + bytes([11]) + b"NETSCAPE2.0" + bytes([3, 1, 0, 0, 0])
        else:
            out += bytes([r.choice([0x00, 0x01, 0x7F, 0xFF, 0x2B])])
    lflags = 0
    ltable = b""
    if r.random() < 0.35 or not gct and r.random() < 0.5:
        size_bits, ltable = draw_table()
        lflags = 0x80 | size_bits
    interlace = r.random() < 0.3
    if interlace:
        lflags |= 0x40
    out += b"," + struct.pack("<HHHHB", x0, y0, fw, fh, lflags) + ltable
    colors = 1 << bits if bits < 8 else 256
    top = r.choice([colors, colors, max(1, colors // 2), min(256, colors * 2)]) if bits < 8 else 256
    n_pixels = fw * fh
    kind = r.random()
    if kind < 0.5:
        idx = rng.randint(0, max(1, min(top, 1 << bits if bits <= 8 else 256)), n_pixels)
    else:
        idx = (np.arange(n_pixels) // r.randint(1, 9)) % max(1, min(top, 1 << bits if bits <= 8 else 256))
    idx = [int(v) for v in idx]
    if interlace and fh > 0:
        rows = list(range(0, fh, 8)) + list(range(4, fh, 8)) + list(range(2, fh, 4)) + list(range(1, fh, 2))
        idx = [idx[y * fw + x] for y in rows for x in range(fw)]
    extra = r.random()
    if extra < 0.1 and idx:
        idx = idx[: r.randrange(len(idx))]  # end code before the last pixel
    elif extra < 0.2:
        idx = idx + [int(v) for v in rng.randint(0, max(1, min(colors, 256)), r.randint(1, 50))]  # codes past the last pixel
    data = lzw_encode([min(v, (1 << bits) - 1) if bits < 8 else v for v in idx], bits, r, clears=r.choice([0, 0, 0.05]))
    out += bytes([bits]) + sub_blocks(data, r)
    if r.random() < 0.2:
        out += bytes([0x21, 0xFE]) + sub_blocks(b"after", r)
    out += b";" if r.random() < 0.9 else b""
    return bytes(out)


def pillow_saved(r: random.Random, rng: np.random.RandomState) -> bytes:
    w, h = r.randint(1, 60), r.randint(1, 60)
    mode = r.choice(["L", "P", "RGB", "RGBA", "1"])
    if mode == "RGB":
        im = Image.fromarray(rng.randint(0, 256, (h, w, 3)).astype(np.uint8))
    elif mode == "RGBA":
        a = rng.randint(0, 256, (h, w, 4)).astype(np.uint8)
        a[..., 3] = np.where(rng.rand(h, w) < 0.3, 0, 255)
        im = Image.fromarray(a)
    elif mode == "L":
        im = Image.fromarray(rng.randint(0, 256, (h, w)).astype(np.uint8), "L")
    elif mode == "1":
        im = Image.fromarray(rng.randint(0, 2, (h, w)).astype(bool))
    else:
        n = r.choice([2, 4, 16, 100, 256])
        im = Image.fromarray(rng.randint(0, n, (h, w)).astype(np.uint8), "P")
        im.putpalette(list(rng.randint(0, 256, 3 * n)))
    kw: dict = {}
    if r.random() < 0.4:
        kw["transparency"] = r.randint(0, 255) if mode in ("P", "L") else None
        if kw["transparency"] is None:
            del kw["transparency"]
    if r.random() < 0.4:
        kw["interlace"] = r.random() < 0.7
    if r.random() < 0.4:
        kw["optimize"] = r.random() < 0.5
    if r.random() < 0.2:
        kw["comment"] = b"ved " * r.randint(1, 80)
    if r.random() < 0.3:
        kw["background"] = r.randint(0, 255)
    b = io.BytesIO()
    if r.random() < 0.25:
        frames = [Image.fromarray(rng.randint(0, 256, (h, w, 3)).astype(np.uint8)) for _ in range(r.randint(1, 3))]
        im.save(b, "GIF", save_all=True, append_images=frames, disposal=r.randint(0, 3), duration=100, **kw)
    else:
        im.save(b, "GIF", **kw)
    return b.getvalue()


def mutate(b: bytes, r: random.Random) -> bytes:
    a = bytearray(b)
    for _ in range(r.randint(1, 3)):
        kind = r.random()
        at = r.randrange(len(a)) if a else 0
        if kind < 0.4 and a:
            a[at] = r.randint(0, 255)
        elif kind < 0.6 and a:
            del a[at : at + r.randint(1, 8)]
        elif kind < 0.8:
            a[at:at] = bytes(r.randint(0, 255) for _ in range(r.randint(1, 8)))
        else:
            a = a[: max(6, at)]
    return bytes(a)


def pil_decoded(b: bytes) -> np.ndarray:
    im = Image.open(io.BytesIO(b))
    im.load()
    if im.mode == "P":
        im = im.convert("RGBA" if "transparency" in im.info else "RGB")
    arr = np.array(im)
    if arr.ndim == 2:
        arr = arr[..., None]
    return np.ascontiguousarray(arr)


def main() -> None:
    out_dir = Path(sys.argv[1])
    n = int(sys.argv[2]) if len(sys.argv) > 2 else 300
    seed = int(sys.argv[3]) if len(sys.argv) > 3 else 0
    out_dir.mkdir(parents=True, exist_ok=True)
    r = random.Random(seed)
    rng = np.random.RandomState(seed)
    cases, expected = [], {}
    for i in range(n):
        kind = r.random()
        if kind < 1 / 3:
            b, how = pillow_saved(r, rng), "pillow"
        elif kind < 2 / 3:
            b, how = handmade(r, rng), "handmade"
        else:
            b, how = mutate(pillow_saved(r, rng) if r.random() < 0.5 else handmade(r, rng), r), "mutated"
        (out_dir / f"{i}.gif").write_bytes(b)
        case = {"id": i, "how": how}
        try:
            arr = pil_decoded(b)
            case["shape"] = list(arr.shape)
            expected[str(i)] = arr
        except Exception as e:  # Pillow's refusal: ved must refuse too
            case["error"] = f"{type(e).__name__}: {str(e)[:200]}"
        cases.append(case)
    (out_dir / "index.json").write_text(json.dumps({"seed": seed, "cases": cases}, indent=1) + "\n")
    save_file(expected, str(out_dir / "expected.safetensors"))
    errs = sum("error" in c for c in cases)
    print(f"{n} GIFs, {n - errs} opened by Pillow, {errs} refused")


if __name__ == "__main__":
    main()
