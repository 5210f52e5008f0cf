#!/usr/bin/env python
"""Golden fixtures for ved's image processing (packages/core/src/processing) and
image decoding (packages/backend-node/src/image-decode.ts).

Reference: transformers 5.18.0 image processors, PIL backend (torchvision is not
installed, so AutoImageProcessor picks `XImageProcessorPil`), and Pillow's
`Image.resize` / `Image.open`.

Run:  .venv-ref/bin/python tools/reference/make_processing_fixtures.py

Writes (all deterministic, regenerating gives identical bytes):
  fixtures/processing/images/*.png|jpg   small synthetic test images
  fixtures/processing/cases.json          image list, processor cases, resize cases
  fixtures/processing/decoded.safetensors uint8 HWC arrays of every image as PIL decodes it
  fixtures/processing/expected.safetensors pixel_values (float32) of every processor case
  fixtures/processing/resize.safetensors  uint8 outputs of PIL `Image.resize` (all filters, all modes)
"""

from __future__ import annotations

import json
import os
import struct
import sys
import zlib
import tempfile
import warnings
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
warnings.filterwarnings("ignore")

import numpy as np  # noqa: E402
import PIL  # noqa: E402
import transformers  # noqa: E402
from PIL import Image  # noqa: E402
from safetensors.numpy import save_file  # noqa: E402
from transformers import AutoImageProcessor  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "fixtures" / "processing"
IMG_DIR = OUT / "images"

IMAGENET_DEFAULT_MEAN = [0.485, 0.456, 0.406]
IMAGENET_DEFAULT_STD = [0.229, 0.224, 0.225]


# --------------------------------------------------------------------------------------------
# Images
# --------------------------------------------------------------------------------------------


def textured(h: int, w: int, c: int, seed: int) -> np.ndarray:
    """Smooth gradients plus noise plus a few hard edges: exercises every filter lobe."""
    rng = np.random.RandomState(seed)
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float64)
    out = np.empty((h, w, c), dtype=np.float64)
    for ch in range(c):
        grad = 255.0 * ((xx / max(w - 1, 1)) * (0.3 + 0.2 * ch) + (yy / max(h - 1, 1)) * (0.7 - 0.2 * ch))
        edges = np.where(((xx // 5 + yy // 7 + ch) % 3) == 0, 60.0, -40.0)
        noise = rng.uniform(-50, 50, size=(h, w))
        out[..., ch] = grad + edges + noise
    return np.clip(np.rint(out), 0, 255).astype(np.uint8)


def make_images() -> list[dict]:
    IMG_DIR.mkdir(parents=True, exist_ok=True)
    images: list[dict] = []

    def save_png(name: str, im: Image.Image, **kw) -> None:
        im.save(IMG_DIR / name, format="PNG", optimize=False, compress_level=9, **kw)
        images.append({"name": name})

    save_png("rgb_64x48.png", Image.fromarray(textured(48, 64, 3, 1), "RGB"))
    save_png("rgb_17x31.png", Image.fromarray(textured(31, 17, 3, 2), "RGB"))
    save_png("rgb_1x1.png", Image.fromarray(np.array([[[200, 17, 99]]], dtype=np.uint8), "RGB"))
    save_png("rgb_200x3.png", Image.fromarray(textured(3, 200, 3, 3), "RGB"))
    save_png("rgb_3x150.png", Image.fromarray(textured(150, 3, 3, 4), "RGB"))
    # Taller than 100x its width: Pillow resizes such images vertically first.
    save_png("rgb_2x300.png", Image.fromarray(textured(300, 2, 3, 5), "RGB"))
    save_png("l_40x30.png", Image.fromarray(textured(30, 40, 1, 6)[..., 0], "L"))
    la = textured(20, 30, 2, 7)
    la[0, :5, 1] = 0  # fully transparent pixels
    la[1, :5, 1] = 255
    save_png("la_30x20.png", Image.fromarray(la, "LA"))
    rgba = textured(25, 33, 4, 8)
    rgba[0, :6, 3] = 0
    rgba[1, :6, 3] = 255
    rgba[2, :6, 3] = 1
    save_png("rgba_33x25.png", Image.fromarray(rgba, "RGBA"))
    pal = Image.fromarray(textured(30, 30, 3, 9), "RGB").quantize(colors=16, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE)
    save_png("p_30x30.png", pal)
    pal_t = Image.fromarray(textured(20, 20, 3, 10), "RGB").quantize(colors=8, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE)
    tr = bytes([0, 128] + [255] * 6)
    save_png("p_trns_20x20.png", pal_t, transparency=tr)

    # A page for Nougat's crop_margin: a light, slightly noisy background with darker content inside it.
    page_rng = np.random.RandomState(32)
    page = np.clip(232 + page_rng.randint(-9, 10, size=(120, 90, 3)), 0, 255)
    page[30:75, 20:64] = textured(45, 44, 3, 33) // 2
    page[88:93, 14:40] = 40
    save_png("page_90x120.png", Image.fromarray(page.astype(np.uint8), "RGB"))

    def save_jpg(name: str, im: Image.Image, **kw) -> None:
        im.save(IMG_DIR / name, format="JPEG", quality=90, **kw)
        images.append({"name": name})

    save_jpg("jpeg_rgb_64x48.jpg", Image.fromarray(textured(48, 64, 3, 11), "RGB"))
    save_jpg("jpeg_l_40x30.jpg", Image.fromarray(textured(30, 40, 1, 12)[..., 0], "L"))
    # EXIF orientation 6 (rotate 90 CW to display); PIL does not apply it on open.
    exif = Image.Exif()
    exif[0x0112] = 6
    save_jpg("jpeg_exif6_32x16.jpg", Image.fromarray(textured(16, 32, 3, 13), "RGB"), exif=exif.tobytes())
    # 4:4:4 chroma (no subsampling) for a second decoder path.
    save_jpg("jpeg_444_24x20.jpg", Image.fromarray(textured(20, 24, 3, 14), "RGB"), subsampling=0)

    # WebP (libwebp in Pillow and in sharp): lossy and lossless RGB, lossless RGBA with a transparent
    # pixel, and lossy with semi-transparent alpha (the two with alpha are exact on Node; the browser's
    # canvas premultiplies alpha, so the conformance check skips them there: browser_exact false).
    def save_webp(name: str, im: Image.Image, **kw) -> None:
        im.save(IMG_DIR / name, format="WEBP", **kw)
        images.append({"name": name})

    save_webp("webp_lossy_40x30.webp", Image.fromarray(textured(30, 40, 3, 18), "RGB"), quality=80)
    save_webp("webp_lossless_24x20.webp", Image.fromarray(textured(20, 24, 3, 19), "RGB"), lossless=True)
    rgba_w = textured(12, 16, 4, 20)
    rgba_w[..., 3] = 255
    rgba_w[0, 0, 3] = 0
    save_webp("webp_rgba_16x12.webp", Image.fromarray(rgba_w, "RGBA"), lossless=True)
    semi = textured(16, 20, 4, 21)
    save_webp("webp_semi_alpha_20x16.webp", Image.fromarray(semi, "RGBA"), quality=90)

    # TIFF (libtiff in Pillow and in sharp; UTIF.js in the browser), as scanned documents come: bilevel CCITT
    # group 4 (PIL mode "1", which ved reads as L as for 1-bit PNGs), L with LZW, LA, RGB in JPEG compression,
    # RGBA deflated, a palette (P -> RGB); CMYK and 16-bit gray are refused, as for PNG and JPEG.
    def save_tiff(name: str, im: Image.Image, compression: str) -> None:
        im.save(IMG_DIR / name, format="TIFF", compression=compression)
        images.append({"name": name, "decode_only": True})

    page = textured(24, 32, 3, 22)
    save_tiff("tiff_bilevel_g4_32x24.tif", Image.fromarray(page, "RGB").convert("1"), "group4")
    save_tiff("tiff_l_lzw_32x24.tif", Image.fromarray(page, "RGB").convert("L"), "tiff_lzw")
    save_tiff("tiff_la_20x14.tif", Image.fromarray(textured(14, 20, 4, 23), "RGBA").convert("LA"), "tiff_deflate")
    save_tiff("tiff_rgb_jpeg_32x24.tif", Image.fromarray(page, "RGB"), "jpeg")
    save_tiff("tiff_rgba_18x10.tif", Image.fromarray(textured(10, 18, 4, 24), "RGBA"), "tiff_adobe_deflate")
    save_tiff("tiff_p_20x20.tif", Image.fromarray(textured(20, 20, 3, 25), "RGB").quantize(colors=16, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE), "packbits")
    save_tiff("tiff_cmyk_8x6.tif", Image.fromarray(textured(6, 8, 4, 26), "CMYK"), "raw")
    save_tiff("tiff_g16_7x5.tif", Image.fromarray(np.random.RandomState(27).randint(0, 65536, size=(5, 7)).astype(np.uint16)), "raw")

    # GIF (core's own decoder, on Node and in the browser): the first frame as Pillow opens it. Pillow's own
    # files (a quantized RGB image, a palette with a transparent index whose pixels keep their colour, a
    # grey image, an animation), and two written chunk by chunk (probe_random_gifs.py's LZW writer): a
    # first image smaller than the screen, offset, interlaced, with a local table and a transparent index
    # that fills the rest; and a grey-ramp table, which Pillow opens as mode L.
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from probe_random_gifs import lzw_encode, sub_blocks, table_bytes  # noqa: E402
    import random as _random  # noqa: E402

    def save_gif(name: str, data: bytes) -> None:
        (IMG_DIR / name).write_bytes(data)
        images.append({"name": name, "decode_only": True})

    def pillow_gif(im: Image.Image, **kw) -> bytes:
        b = __import__("io").BytesIO()
        im.save(b, format="GIF", **kw)
        return b.getvalue()

    gif_rgb = Image.fromarray(textured(20, 24, 3, 28), "RGB")
    save_gif("gif_rgb_24x20.gif", pillow_gif(gif_rgb))
    gif_p = gif_rgb.quantize(colors=16, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE)
    save_gif("gif_p_trns_24x20.gif", pillow_gif(gif_p, transparency=int(np.array(gif_p)[0, 0]), optimize=False))
    save_gif("gif_l_16x12.gif", pillow_gif(Image.fromarray(textured(12, 16, 1, 29)[..., 0], "L"), optimize=False))
    later = [Image.fromarray(textured(20, 24, 3, 30 + k), "RGB") for k in range(2)]
    anim = __import__("io").BytesIO()
    gif_rgb.save(anim, format="GIF", save_all=True, append_images=later, duration=100, loop=0)
    save_gif("gif_animated_24x20.gif", anim.getvalue())

    def handmade_gif(sw: int, sh: int, x0: int, y0: int, fw: int, fh: int, table: bytes, size_bits: int, local: bool, transparency: int | None, interlace: bool, bits: int, indices: list[int]) -> bytes:
        out = bytearray(b"GIF89a") + struct.pack("<HHBBB", sw, sh, 0 if local else 0x80 | size_bits, 0, 0)
        if not local:
            out += table
        if transparency is not None:
            out += bytes([0x21, 0xF9, 4, 1, 0, 0, transparency, 0])
        out += b"," + struct.pack("<HHHHB", x0, y0, fw, fh, (0x80 | size_bits if local else 0) | (0x40 if interlace else 0))
        if local:
            out += table
        rows = list(range(0, fh, 8)) + list(range(4, fh, 8)) + list(range(2, fh, 4)) + list(range(1, fh, 2)) if interlace else list(range(fh))
        stream = [indices[y * fw + x] for y in rows for x in range(fw)]
        return bytes(out + bytes([bits]) + sub_blocks(lzw_encode(stream, bits, _random.Random(0)), _random.Random(0)) + b";")

    rng_g = np.random.RandomState(31)
    save_gif("gif_partial_interlaced_30x22.gif", handmade_gif(
        30, 22, 5, 3, 19, 13, table_bytes(list(rng_g.randint(0, 256, 48)), 4), 3, True, 6, True, 4,
        [int(v) for v in rng_g.randint(0, 16, 19 * 13)]))
    save_gif("gif_grey_ramp_12x9.gif", handmade_gif(
        12, 9, 0, 0, 12, 9, table_bytes([v for i in range(256) for v in (i, i, i)], 8), 7, False, None, False, 8,
        [int(v) for v in rng_g.randint(0, 256, 12 * 9)]))

    # BMP (core's decoder on Node and in the browser): Pillow's own files (24-bit RGB, an 8-bit palette, a grey
    # ramp that opens as L, black and white that opens as 1) and, written field by field, a top-down RLE8 file
    # (probe_random_bmps.py's RLE writer), 16-bit 5-6-5 and 32-bit BGRA bit-field files.
    from probe_random_bmps import rle_stream  # noqa: E402

    def save_bmp(name: str, data: bytes) -> None:
        (IMG_DIR / name).write_bytes(data)
        images.append({"name": name, "decode_only": True})

    def pillow_bmp(im: Image.Image) -> bytes:
        b = __import__("io").BytesIO()
        im.save(b, format="BMP")
        return b.getvalue()

    save_bmp("bmp_rgb_23x17.bmp", pillow_bmp(Image.fromarray(textured(17, 23, 3, 34), "RGB")))
    save_bmp("bmp_p_20x14.bmp", pillow_bmp(Image.fromarray(textured(14, 20, 3, 36), "RGB").quantize(colors=16, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE)))
    save_bmp("bmp_l_18x12.bmp", pillow_bmp(Image.fromarray(textured(12, 18, 1, 37)[..., 0], "L")))
    save_bmp("bmp_1_21x9.bmp", pillow_bmp(Image.fromarray(textured(9, 21, 1, 38)[..., 0] > 128)))

    def bmp_file(w: int, h: int, bits: int, compression: int, palette: bytes, pixels: bytes, top_down: bool, masks: tuple | None = None) -> bytes:
        header = 56 if masks else 40
        dib = struct.pack("<IiiHHIIiiII", header, w, -h if top_down else h, 1, bits, compression, len(pixels), 2835, 2835, len(palette) // 4, 0)
        if masks:
            dib += struct.pack("<IIII", *masks)
        off = 14 + len(dib) + len(palette)
        return b"BM" + struct.pack("<IHHI", off + len(pixels), 0, 0, off) + dib + palette + pixels

    import random as _random  # noqa: E402
    rle_rng = np.random.RandomState(39)
    save_bmp("bmp_rle8_topdown_19x13.bmp", bmp_file(19, 13, 8, 1, bytes(rle_rng.randint(0, 256, 4 * 40).astype(np.uint8)), rle_stream(_random.Random(39), 19, 13, False, 40), True))
    px16 = bytes(rle_rng.randint(0, 256, 4 * 11 * 7).astype(np.uint8))  # stride 24 bytes for 11 16-bit pixels, rounded to 4
    save_bmp("bmp_565_11x7.bmp", bmp_file(11, 7, 16, 3, b"", px16[: 24 * 7], False, (0xF800, 0x7E0, 0x1F, 0)))
    # 32-bit BGRA bit fields: Pillow opens RGBA.
    save_bmp("bmp_bgra_15x9.bmp", bmp_file(15, 9, 32, 3, b"", textured(9, 15, 4, 35).tobytes(), False, (0xFF0000, 0xFF00, 0xFF, 0xFF000000)))

    # Decoder-only PNGs: tRNS on non-palette images (PIL keeps L / RGB), low and high bit depths.
    save_png("l_trns_8x6.png", Image.fromarray(textured(6, 8, 1, 15)[..., 0], "L"), transparency=int(textured(6, 8, 1, 15)[0, 0, 0]))
    save_png("rgb_trns_8x6.png", Image.fromarray(textured(6, 8, 3, 16), "RGB"), transparency=tuple(int(v) for v in textured(6, 8, 3, 16)[0, 0]))
    rng = np.random.RandomState(17)
    write_raw_png("g1_9x3.png", rng.randint(0, 2, size=(3, 9)), color_type=0, depth=1)
    write_raw_png("g4_5x3.png", rng.randint(0, 16, size=(3, 5)), color_type=0, depth=4)
    write_raw_png("rgb16_7x5.png", rng.randint(0, 65536, size=(5, 7, 3)), color_type=2, depth=16)
    write_raw_png("rgba16_7x5.png", rng.randint(0, 65536, size=(5, 7, 4)), color_type=6, depth=16)
    write_raw_png("la16_6x4.png", rng.randint(0, 65536, size=(4, 6, 2)), color_type=4, depth=16)
    # PIL opens 16-bit grayscale as "I;16" (uint16 values), which ved does not reproduce: decodeImage must refuse it.
    write_raw_png("g16_7x5.png", rng.randint(0, 65536, size=(5, 7)), color_type=0, depth=16)
    images.extend({"name": n, "decode_only": True} for n in ["g1_9x3.png", "g4_5x3.png", "rgb16_7x5.png", "rgba16_7x5.png", "la16_6x4.png", "g16_7x5.png"])
    for e in images:
        if e["name"] in ("l_trns_8x6.png", "rgb_trns_8x6.png", "webp_lossless_24x20.webp", "webp_rgba_16x12.webp"):
            e["decode_only"] = True
        if e["name"] in ("webp_rgba_16x12.webp", "webp_semi_alpha_20x16.webp"):
            e.update(decode_only=True, browser_exact=False)
    return images


def write_raw_png(name: str, values: np.ndarray, color_type: int, depth: int) -> None:
    """A PNG written chunk by chunk, for bit depths PIL cannot save (1/4-bit gray from arrays, 16-bit color)."""
    h, w = values.shape[:2]
    if depth < 8:
        per_byte = 8 // depth
        rows = []
        for y in range(h):
            bits = 0
            out = bytearray()
            for x in range(w):
                bits = (bits << depth) | int(values[y, x])
                if x % per_byte == per_byte - 1:
                    out.append(bits)
                    bits = 0
            if w % per_byte:
                out.append(bits << (depth * (per_byte - w % per_byte)))
            rows.append(bytes(out))
    else:
        dt = ">u2" if depth == 16 else "u1"
        rows = [values[y].astype(dt).tobytes() for y in range(h)]
    raw = b"".join(b"\x00" + r for r in rows)

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    ihdr = struct.pack(">IIBBBBB", w, h, depth, color_type, 0, 0, 0)
    (IMG_DIR / name).write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b""))


def pil_decoded(im: Image.Image) -> np.ndarray:
    """The HWC uint8 array ved's decodeImage must produce for this file (RawImage semantics).

    L, LA, RGB, RGBA: `np.array(im)` (channels kept). Palette images become RGB (or RGBA when the
    palette has transparency), as PIL's convert gives; their RGB part equals `im.convert('RGB')`.
    """
    if im.mode == "P":
        im = im.convert("RGBA" if "transparency" in im.info else "RGB")
    elif im.mode == "1":
        im = im.convert("L")
    arr = np.array(im)
    if arr.ndim == 2:
        arr = arr[..., None]
    return np.ascontiguousarray(arr)


# --------------------------------------------------------------------------------------------
# Processor cases
# --------------------------------------------------------------------------------------------

VIT = "ViTImageProcessor"


def vit(**kw) -> dict:
    cfg = {"image_processor_type": VIT, "size": {"height": 24, "width": 40}}
    cfg.update(kw)
    return cfg


DONUT = "DonutImageProcessor"
NOUGAT = "NougatImageProcessor"


def nougat(**kw) -> dict:
    cfg = {"image_processor_type": NOUGAT, "size": {"height": 40, "width": 30}}
    cfg.update(kw)
    return cfg


def donut(**kw) -> dict:
    cfg = {"image_processor_type": DONUT, "size": {"height": 20, "width": 16}}
    cfg.update(kw)
    return cfg


def donut_cases() -> list[tuple[str, list[str], dict]]:
    """DonutImageProcessor: align_long_axis, shortest-edge resize, thumbnail (`resample or BICUBIC`), centred pad."""
    cases: list[tuple[str, list[str], dict]] = []
    add = lambda cid, imgs, cfg: cases.append((cid, imgs, cfg))  # noqa: E731
    filters = {0: "nearest", 1: "lanczos", 2: "bilinear", 3: "bicubic", 4: "box", 5: "hamming"}
    for r, fname in filters.items():
        add(f"donut_{fname}", ["rgb_64x48.png"], donut(resample=r))  # 64x48 -> 26x20 -> thumbnail 16x12 -> pad
        add(f"donut_{fname}_up", ["rgb_17x31.png"], donut(resample=r, size={"height": 28, "width": 24}))
    add("donut_align_rotates", ["rgb_64x48.png"], donut(do_align_long_axis=True))
    add("donut_align_rotates_portrait_image", ["rgb_17x31.png"], donut(do_align_long_axis=True, size={"height": 16, "width": 24}))
    add("donut_align_same_orientation", ["rgb_17x31.png"], donut(do_align_long_axis=True))
    add("donut_align_square_target", ["rgb_64x48.png"], donut(do_align_long_axis=True, size={"height": 18, "width": 18}))
    add("donut_1x1", ["rgb_1x1.png"], donut())
    add("donut_wide_fits", ["rgb_200x3.png"], donut(size={"height": 8, "width": 100}))
    add("donut_tall_fits", ["rgb_3x150.png"], donut(size={"height": 60, "width": 6}))
    # Extreme aspect ratios: the thumbnail's short side truncates to 0, which Pillow refuses.
    add("donut_wide_thumbnail_empty", ["rgb_200x3.png"], donut())
    add("donut_no_resize_thumbnail_only", ["rgb_64x48.png"], donut(do_resize=False, resample=None))
    add("donut_no_resize_fits", ["rgb_17x31.png"], donut(do_resize=False, size={"height": 40, "width": 32}))
    add("donut_no_thumbnail_pad_too_small", ["rgb_64x48.png"], donut(do_thumbnail=False))
    add("donut_no_thumbnail_fits", ["rgb_17x31.png"], donut(do_thumbnail=False, do_resize=False, size={"height": 33, "width": 20}))
    add("donut_no_pad", ["rgb_64x48.png"], donut(do_pad=False))
    add("donut_center_crop", ["rgb_64x48.png"], donut(do_center_crop=True, crop_size={"height": 14, "width": 15}))
    add("donut_gray_convert", ["l_40x30.png"], donut(do_convert_rgb=True))
    add("donut_gray_no_convert_scalar_mean", ["l_40x30.png"], donut(image_mean=0.5, image_std=0.5))
    add("donut_rgba_convert", ["rgba_33x25.png"], donut(do_convert_rgb=True, resample=3))
    add("donut_la_scalar_mean", ["la_30x20.png"], donut(image_mean=0.5, image_std=0.5))
    add("donut_palette_convert", ["p_30x30.png"], donut(do_convert_rgb=True, size={"height": 12, "width": 12}))
    add("donut_int_size", ["rgb_64x48.png"], donut(size=14))
    add("donut_imagenet_default", ["rgb_17x31.png"], donut(image_mean=IMAGENET_DEFAULT_MEAN, image_std=IMAGENET_DEFAULT_STD))
    add("donut_batch_mixed_sizes", ["rgb_64x48.png", "rgb_17x31.png", "rgb_1x1.png"], donut())
    add("donut_fast_suffix", ["rgb_64x48.png"], donut(image_processor_type="DonutImageProcessorFast"))
    # Hub-style legacy file: class from feature_extractor_type, size as [width, height].
    add("donut_legacy_list_size", ["rgb_64x48.png", "rgb_17x31.png"], {
        "feature_extractor_type": "DonutFeatureExtractor", "processor_class": "DonutProcessor", "size": [16, 22],
        "do_align_long_axis": False, "do_thumbnail": True, "do_pad": True, "resample": 2,
        "image_mean": [0.5, 0.5, 0.5], "image_std": [0.5, 0.5, 0.5]})
    add("donut_legacy_list_size_align", ["rgb_64x48.png"], {
        "feature_extractor_type": "DonutFeatureExtractor", "size": [16, 22], "do_align_long_axis": True})
    add("donut_missing_height_width", ["rgb_64x48.png"], donut(size={"shortest_edge": 16}))
    return cases


def processor_cases() -> list[tuple[str, list[str], dict]]:
    cases: list[tuple[str, list[str], dict]] = []
    add = lambda cid, imgs, cfg: cases.append((cid, imgs, cfg))  # noqa: E731

    filters = {0: "nearest", 1: "lanczos", 2: "bilinear", 3: "bicubic", 4: "box", 5: "hamming"}
    for r, fname in filters.items():
        add(f"{fname}_down", ["rgb_64x48.png"], vit(resample=r))  # 64x48 -> 40x24
        add(f"{fname}_up", ["rgb_17x31.png"], vit(resample=r, size={"height": 40, "width": 36}))
        add(f"{fname}_mixed", ["rgb_17x31.png"], vit(resample=r))  # x up 17->40, y down 31->24
        add(f"{fname}_1x1", ["rgb_1x1.png"], vit(resample=r, size={"height": 5, "width": 7}))
        add(f"{fname}_wide", ["rgb_200x3.png"], vit(resample=r, size={"height": 16, "width": 16}))
        add(f"{fname}_tall", ["rgb_3x150.png"], vit(resample=r, size={"height": 16, "width": 16}))
        add(f"{fname}_very_tall", ["rgb_2x300.png"], vit(resample=r, size={"height": 16, "width": 16}))
        add(f"{fname}_very_tall_keep_w", ["rgb_2x300.png"], vit(resample=r, size={"height": 37, "width": 2}))
        add(f"{fname}_gray_convert", ["l_40x30.png"], vit(resample=r, do_convert_rgb=True))
        add(f"{fname}_rgba_scalar_mean", ["rgba_33x25.png"], vit(resample=r, image_mean=0.5, image_std=0.5, size={"height": 12, "width": 20}))
        add(f"{fname}_la_scalar_mean", ["la_30x20.png"], vit(resample=r, image_mean=0.5, image_std=0.5, size={"height": 12, "width": 20}))

    # Size forms.
    add("size_shortest_edge", ["rgb_64x48.png"], vit(size={"shortest_edge": 20}))
    add("size_shortest_edge_tall", ["rgb_3x150.png"], vit(size={"shortest_edge": 2}))
    add("size_shortest_edge_noop", ["rgb_17x31.png"], vit(size={"shortest_edge": 17}))
    add("size_shortest_longest", ["rgb_64x48.png"], vit(size={"shortest_edge": 20, "longest_edge": 24}))
    add("size_shortest_longest_tall", ["rgb_3x150.png"], vit(size={"shortest_edge": 10, "longest_edge": 30}))
    add("size_max_hw", ["rgb_64x48.png"], vit(size={"max_height": 20, "max_width": 30}))
    add("size_max_hw_up", ["rgb_17x31.png"], vit(size={"max_height": 50, "max_width": 50}))
    add("size_int_square", ["rgb_64x48.png"], {"image_processor_type": VIT, "size": 16})
    add("size_int_shortest", ["rgb_64x48.png"], {"image_processor_type": VIT, "size": 16, "default_to_square": False})
    add("size_list", ["rgb_64x48.png"], {"image_processor_type": VIT, "size": [20, 30]})
    add("same_size_noop", ["rgb_17x31.png"], vit(size={"height": 31, "width": 17}, resample=3))
    add("only_width_changes", ["rgb_17x31.png"], vit(size={"height": 31, "width": 12}, resample=1))
    add("only_height_changes", ["rgb_17x31.png"], vit(size={"height": 21, "width": 17}, resample=1))

    # Center crop (DeiT style), including crops larger than the image (zero padding, odd offsets).
    add("crop_deit_like", ["rgb_64x48.png"], vit(size={"height": 32, "width": 32}, resample=3, do_center_crop=True, crop_size={"height": 24, "width": 24}))
    add("crop_odd_offset", ["rgb_64x48.png"], vit(size={"height": 31, "width": 34}, do_center_crop=True, crop_size={"height": 24, "width": 25}))
    add("crop_pad", ["rgb_64x48.png"], vit(size={"height": 20, "width": 21}, do_center_crop=True, crop_size={"height": 25, "width": 24}))
    add("crop_pad_one_axis", ["rgb_17x31.png"], vit(do_resize=False, do_center_crop=True, crop_size={"height": 20, "width": 20}))
    add("crop_int", ["rgb_64x48.png"], vit(size={"height": 30, "width": 30}, do_center_crop=True, crop_size=17))
    add("crop_with_shortest_edge", ["rgb_64x48.png"], vit(size={"shortest_edge": 24}, do_center_crop=True, crop_size={"height": 24, "width": 24}))

    # Channel layouts.
    for name in ["l_40x30.png", "la_30x20.png", "rgba_33x25.png", "p_30x30.png", "p_trns_20x20.png", "jpeg_l_40x30.jpg"]:
        stem = name.split(".")[0]
        add(f"convert_{stem}", [name], vit(do_convert_rgb=True))
    add("gray_no_convert_list_mean", ["l_40x30.png"], vit())
    add("gray_no_convert_scalar_mean", ["l_40x30.png"], vit(image_mean=0.5, image_std=0.5))
    add("gray_no_convert_no_normalize", ["l_40x30.png"], vit(do_normalize=False))
    add("rgba_no_convert_list_mean", ["rgba_33x25.png"], vit())

    # NougatImageProcessor: crop_margin, then Donut's steps with a BICUBIC thumbnail at reducing_gap=2.0.
    add("nougat_page", ["page_90x120.png"], nougat())
    add("nougat_page_no_resize_reduce", ["page_90x120.png"], nougat(do_resize=False, size={"height": 12, "width": 9}))
    add("nougat_page_no_crop", ["page_90x120.png"], nougat(do_crop_margin=False, do_resize=False, size={"height": 20, "width": 15}))
    add("nougat_thumbnail_too_wide", ["page_90x120.png"], nougat(do_crop_margin=False, do_resize=False, size={"height": 20, "width": 14}))
    add("nougat_align", ["rgb_64x48.png"], nougat(do_align_long_axis=True, resample=3))
    add("nougat_textured_reduce", ["rgb_64x48.png"], nougat(do_resize=False, size={"height": 7, "width": 9}))
    add("nougat_rgba", ["rgba_33x25.png"], nougat(size={"height": 10, "width": 8}, image_mean=0.5, image_std=0.5))
    add("nougat_constant", ["rgb_1x1.png"], nougat(size={"height": 3, "width": 4}))
    add("nougat_convert_gray", ["l_40x30.png"], nougat(do_convert_rgb=True))
    add("nougat_gray_crop_fails", ["l_40x30.png"], nougat())
    add("rgba_no_convert_no_normalize", ["rgba_33x25.png"], vit(do_normalize=False))
    add("la_no_convert_no_normalize", ["la_30x20.png"], vit(do_normalize=False))
    add("rgba_convert_false", ["rgba_33x25.png"], vit(do_convert_rgb=False, image_mean=0.5, image_std=0.5))
    add("rgb_convert_true", ["rgb_64x48.png"], vit(do_convert_rgb=True))
    add("jpeg_rgb", ["jpeg_rgb_64x48.jpg"], vit())
    add("jpeg_exif", ["jpeg_exif6_32x16.jpg"], vit())
    add("webp_rgb", ["webp_lossy_40x30.webp"], vit())

    # Rescale / normalise options.
    add("imagenet_default", ["rgb_64x48.png"], vit(image_mean=IMAGENET_DEFAULT_MEAN, image_std=IMAGENET_DEFAULT_STD))
    add("no_normalize", ["rgb_64x48.png"], vit(do_normalize=False))
    add("no_rescale", ["rgb_64x48.png"], vit(do_rescale=False))
    add("no_rescale_no_normalize", ["rgb_64x48.png"], vit(do_rescale=False, do_normalize=False))
    add("rescale_factor_custom", ["rgb_64x48.png"], vit(rescale_factor=1 / 127.5, image_mean=[1.0, 1.0, 1.0], image_std=[1.0, 1.0, 1.0]))
    add("scalar_mean_std", ["rgb_64x48.png"], vit(image_mean=0.45, image_std=0.27))
    add("no_resize", ["rgb_17x31.png"], vit(do_resize=False))
    add("batch_two", ["rgb_64x48.png", "rgb_17x31.png", "rgb_1x1.png"], vit(size={"height": 12, "width": 14}))

    # Config parsing: legacy and alternative type names, Python defaults.
    add("legacy_feature_extractor", ["rgb_64x48.png"], {"feature_extractor_type": "ViTFeatureExtractor", "size": 20, "resample": 2, "do_normalize": True, "image_mean": [0.5, 0.5, 0.5], "image_std": [0.5, 0.5, 0.5]})
    add("trocr_processor_class", ["rgb_64x48.png"], {"image_processor_type": "ViTImageProcessor", "processor_class": "TrOCRProcessor", "size": {"height": 20, "width": 20}, "resample": 3})
    add("type_fast_suffix", ["rgb_64x48.png"], {"image_processor_type": "ViTImageProcessorFast", "size": {"height": 18, "width": 22}})
    # An explicit null is kept as None (it does not fall back to the class default): a None flag is
    # false, a None value that a true flag needs is an error.
    add("null_do_rescale", ["rgb_17x31.png"], vit(do_rescale=None))
    add("null_do_normalize", ["rgb_17x31.png"], vit(do_normalize=None))
    add("null_image_mean", ["rgb_17x31.png"], vit(image_mean=None))
    add("null_resample", ["rgb_17x31.png"], vit(resample=None))
    add("null_size", ["rgb_17x31.png"], vit(size=None))
    add("null_do_convert_rgb_gray", ["l_40x30.png"], vit(do_convert_rgb=None))
    add("deit_defaults", ["rgb_64x48.png"], {"image_processor_type": "DeiTImageProcessor", "size": {"height": 40, "width": 40}, "crop_size": {"height": 32, "width": 32}})
    add("beit_defaults", ["rgb_64x48.png"], {"image_processor_type": "BeitImageProcessor", "size": {"height": 20, "width": 26}})
    cases.extend(donut_cases())
    return cases


def run_case(cfg: dict, images: list[Image.Image]) -> tuple[str, np.ndarray | None, dict | None]:
    with tempfile.TemporaryDirectory() as d:
        (Path(d) / "preprocessor_config.json").write_text(json.dumps(cfg))
        proc = AutoImageProcessor.from_pretrained(d)
        cls = type(proc).__name__
        try:
            out = proc(images=images, return_tensors="pt")["pixel_values"]
        except Exception as e:  # recorded, the TS port must raise too
            return cls, None, {"type": type(e).__name__, "message": str(e)}
    return cls, out.numpy(), None


# --------------------------------------------------------------------------------------------
# Raw Image.resize cases (uint8 in, uint8 out)
# --------------------------------------------------------------------------------------------


def resize_cases() -> list[tuple[str, str, str, tuple[int, int]]]:
    """(id, image file, PIL mode to resize in, (width, height))."""
    out = []
    sizes = {
        "rgb_64x48.png": [(40, 24), (97, 61), (64, 13), (5, 48), (1, 1), (128, 3), (63, 47)],
        "rgb_17x31.png": [(40, 24), (8, 62), (17, 30)],
        "rgb_1x1.png": [(3, 2)],
        "rgb_2x300.png": [(2, 37), (5, 20), (1, 299)],
        "rgb_200x3.png": [(7, 9), (199, 1)],
        "l_40x30.png": [(23, 17), (80, 61)],
        "la_30x20.png": [(23, 17), (61, 41)],
        "rgba_33x25.png": [(23, 17), (70, 49)],
    }
    mode_of = {"l": "L", "la": "LA", "rgba": "RGBA", "rgb": "RGB"}
    for r in range(6):
        for img, targets in sizes.items():
            mode = mode_of[img.split("_")[0]]
            for w, h in targets:
                out.append((f"{img.split('.')[0]}_{w}x{h}_r{r}", img, mode, (w, h), r, None))
    # reducing_gap (Nougat's thumbnail): Image.reduce by whole factors, then resampling a fractional box; LA and
    # RGBA ignore it; a very tall image resamples in two passes over boxes.
    gaps = [("rgb_64x48.png", "RGB", (7, 5), 2.0), ("rgb_64x48.png", "RGB", (13, 11), 1.5), ("rgb_200x3.png", "RGB", (20, 1), 2.0),
            ("l_40x30.png", "L", (9, 7), 2.0), ("la_30x20.png", "LA", (5, 4), 2.0), ("rgba_33x25.png", "RGBA", (5, 4), 2.0),
            ("rgb_2x300.png", "RGB", (1, 30), 2.0), ("rgb_64x48.png", "RGB", (5, 48), 3.0)]
    for r in (1, 2, 3, 4, 5):
        for img, mode, (w, h), gap in gaps:
            out.append((f"{img.split('.')[0]}_{w}x{h}_r{r}_gap{gap}", img, mode, (w, h), r, gap))
    return out


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    images = make_images()
    decoded: dict[str, np.ndarray] = {}
    pil_images: dict[str, Image.Image] = {}
    for entry in images:
        im = Image.open(IMG_DIR / entry["name"])
        im.load()
        pil_images[entry["name"]] = im
        if im.mode in ("I;16", "I;16B", "I;16L"):
            entry.update(mode=im.mode, width=im.width, height=im.height, decode_error="16-bit grayscale")
            continue
        if im.mode == "CMYK":
            entry.update(mode=im.mode, width=im.width, height=im.height, decode_error="CMYK")
            continue
        arr = pil_decoded(im)
        entry.update(mode=im.mode, width=im.width, height=im.height, channels=int(arr.shape[2]), key=entry["name"])
        decoded[entry["name"]] = arr

    cases_out = []
    expected: dict[str, np.ndarray] = {}
    for cid, imgs, cfg in processor_cases():
        cls, arr, err = run_case(cfg, [pil_images[n] for n in imgs])
        case = {"id": cid, "images": imgs, "config": cfg, "processor_class": cls}
        if err is not None:
            case["error"] = err
        else:
            assert arr is not None
            case["shape"] = list(arr.shape)
            case["dtype"] = str(arr.dtype)
            expected[cid] = np.ascontiguousarray(arr.astype(np.float32))
        cases_out.append(case)

    resize_out = []
    resized: dict[str, np.ndarray] = {}
    for rid, img, mode, (w, h), r, gap in resize_cases():
        im = Image.fromarray(decoded[img][..., 0] if mode == "L" else decoded[img], mode)
        res = np.array(im.resize((w, h), resample=r, reducing_gap=gap))
        if res.ndim == 2:
            res = res[..., None]
        resize_out.append({"id": rid, "image": img, "mode": mode, "width": w, "height": h, "resample": r, **({"reducing_gap": gap} if gap else {})})
        resized[rid] = np.ascontiguousarray(res)

    meta = {
        "generator": "tools/reference/make_processing_fixtures.py",
        "versions": {"transformers": transformers.__version__, "pillow": PIL.__version__, "numpy": np.__version__, "python": sys.version.split()[0]},
        "images": images,
        "cases": cases_out,
        "resize": resize_out,
    }
    (OUT / "cases.json").write_text(json.dumps(meta, indent=1) + "\n")
    save_file(decoded, str(OUT / "decoded.safetensors"))
    save_file(expected, str(OUT / "expected.safetensors"))
    save_file(resized, str(OUT / "resize.safetensors"))
    n_err = sum(1 for c in cases_out if "error" in c)
    print(f"{len(images)} images, {len(cases_out)} processor cases ({n_err} errors), {len(resize_out)} resize cases")


if __name__ == "__main__":
    main()
