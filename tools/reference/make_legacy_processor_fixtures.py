#!/usr/bin/env python
"""Golden fixtures for `preprocessor_config.json` files as transformers 4.x feature extractors (and the early
image processors) wrote them, read by transformers 5.18.0 (`AutoImageProcessor.from_pretrained`, PIL backend).

Run:  .venv-ref/bin/python tools/reference/make_legacy_processor_fixtures.py

The configs copy the hub files of the checkpoints VisionEncoderDecoder models were built from
(google/vit-base-patch16-224, microsoft/trocr-base-handwritten, facebook/deit-base-distilled-patch16-224,
microsoft/beit-base-patch16-224, naver-clova-ix/donut-base), with sizes shrunk so the expected pixels stay small,
plus every other form 5.18 still accepts (`get_size_dict`: an int, a [height, width] list, `{shortest_edge}`;
`crop_size` as an int or list; Donut's [width, height] list; keys 5.18 ignores; flags given as 0/1; a
non-integer `resample`, which the PIL backend replaces by BILINEAR).

Writes (deterministic):
  fixtures/processing-legacy/cases.json             the cases: id, images, config, Python's class and shape or error
  fixtures/processing-legacy/inputs.safetensors     uint8 HWC arrays of the input images, as PIL decodes them
  fixtures/processing-legacy/expected.safetensors   pixel_values (float32) of every case that succeeds
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
import warnings
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
warnings.filterwarnings("ignore")

import numpy as np  # noqa: E402
import transformers  # noqa: E402
from PIL import Image  # noqa: E402
from safetensors.numpy import save_file  # noqa: E402
from transformers import AutoImageProcessor  # noqa: E402
from transformers.utils import logging as hf_logging  # noqa: E402

hf_logging.set_verbosity_error()

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "fixtures" / "processing-legacy"
IMAGES = ROOT / "fixtures" / "images"

HALF = [0.5, 0.5, 0.5]
IMAGENET_MEAN = [0.485, 0.456, 0.406]
IMAGENET_STD = [0.229, 0.224, 0.225]

# (id, images, config)
CASES: list[tuple[str, list[str], dict]] = [
    # google/vit-base-patch16-224 (4.x ViTFeatureExtractor), size 224 → 24
    ("vit_feature_extractor", ["rgb_40x30.png", "rgb_17x53.png"],
     {"do_normalize": True, "do_resize": True, "feature_extractor_type": "ViTFeatureExtractor", "image_mean": HALF, "image_std": HALF, "resample": 2, "size": 24}),
    # microsoft/trocr-base-handwritten, size 384 → 20
    ("trocr_feature_extractor", ["rgb_64x20.png"],
     {"do_normalize": True, "do_resize": True, "feature_extractor_type": "ViTFeatureExtractor", "image_mean": HALF, "image_std": HALF, "processor_class": "TrOCRProcessor", "resample": 2, "size": 20}),
    # facebook/deit-base-distilled-patch16-224: size 256 → 20, crop 224 → 16
    ("deit_feature_extractor", ["rgb_40x30.png"],
     {"crop_size": 16, "do_center_crop": True, "do_normalize": True, "do_resize": True, "feature_extractor_type": "DeiTFeatureExtractor", "image_mean": IMAGENET_MEAN, "image_std": IMAGENET_STD, "resample": 3, "size": 20}),
    # microsoft/beit-base-patch16-224: reduce_labels (segmentation only), no crop
    ("beit_feature_extractor", ["rgb_40x30.png"],
     {"crop_size": 16, "do_center_crop": False, "do_normalize": True, "do_resize": True, "feature_extractor_type": "BeitFeatureExtractor", "image_mean": HALF, "image_std": HALF, "reduce_labels": False, "resample": 2, "size": 20}),
    ("beit_feature_extractor_crop", ["rgb_17x53.png"],
     {"crop_size": 14, "do_center_crop": True, "do_normalize": True, "do_resize": True, "feature_extractor_type": "BeitFeatureExtractor", "image_mean": HALF, "image_std": HALF, "reduce_labels": True, "resample": 3, "size": 18}),
    # naver-clova-ix/donut-base: size [width, height] = [1920, 2560] → [24, 32]
    ("donut_feature_extractor", ["rgb_40x30.png", "rgb_17x53.png"],
     {"do_align_long_axis": False, "do_normalize": True, "do_pad": True, "do_resize": True, "do_thumbnail": True, "feature_extractor_type": "DonutFeatureExtractor", "image_mean": HALF, "image_std": HALF, "processor_class": "DonutProcessor", "resample": 2, "size": [24, 32]}),
    ("donut_feature_extractor_align", ["rgb_64x20.png"],
     {"do_align_long_axis": True, "do_normalize": True, "do_pad": True, "do_resize": True, "do_thumbnail": True, "feature_extractor_type": "DonutFeatureExtractor", "image_mean": HALF, "image_std": HALF, "resample": 2, "size": [24, 32]}),
    # the early image processors (4.26-4.3x): dict sizes, rescale written out
    ("vit_image_processor_4x", ["rgb_40x30.png"],
     {"do_normalize": True, "do_rescale": True, "do_resize": True, "image_mean": HALF, "image_processor_type": "ViTImageProcessor", "image_std": HALF, "resample": 2, "rescale_factor": 0.00392156862745098, "size": {"height": 20, "width": 22}}),
    ("deit_image_processor_4x", ["rgb_17x53.png"],
     {"crop_size": {"height": 16, "width": 16}, "do_center_crop": True, "do_normalize": True, "do_rescale": True, "do_resize": True, "image_mean": IMAGENET_MEAN, "image_processor_type": "DeiTImageProcessor", "image_std": IMAGENET_STD, "resample": 3, "rescale_factor": 0.00392156862745098, "size": {"height": 20, "width": 20}}),
    # other size forms get_size_dict accepts
    ("size_list_height_width", ["rgb_40x30.png"], {"feature_extractor_type": "ViTFeatureExtractor", "size": [18, 26]}),
    ("size_shortest_edge", ["rgb_40x30.png"], {"feature_extractor_type": "ViTFeatureExtractor", "size": {"shortest_edge": 16}}),
    ("size_int_not_square", ["rgb_17x53.png"], {"feature_extractor_type": "ViTFeatureExtractor", "size": 12, "default_to_square": False}),
    ("crop_size_list", ["rgb_40x30.png"], {"feature_extractor_type": "DeiTFeatureExtractor", "size": 20, "crop_size": [14, 18]}),
    ("crop_size_int_over_image", ["rgb_40x30.png"], {"feature_extractor_type": "DeiTFeatureExtractor", "size": 12, "crop_size": 16}),
    ("donut_size_dict", ["rgb_17x53.png"], {"feature_extractor_type": "DonutFeatureExtractor", "size": {"height": 30, "width": 20}}),
    # what 5.18 ignores or coerces
    ("ignored_keys", ["rgb_40x30.png"],
     {"feature_extractor_type": "ViTFeatureExtractor", "size": 16, "max_size": 1333, "keep_ratio": True, "size_divisor": 32, "processor_class": "TrOCRProcessor", "do_pad": True, "transformers_version": "4.12.0"}),
    ("image_processor_type_null", ["rgb_40x30.png"], {"image_processor_type": None, "feature_extractor_type": "DeiTFeatureExtractor", "size": 16, "crop_size": 12}),
    ("image_processor_type_wins", ["rgb_40x30.png"], {"image_processor_type": "ViTImageProcessor", "feature_extractor_type": "DeiTFeatureExtractor", "size": 16}),
    ("flags_as_numbers", ["rgb_40x30.png"], {"feature_extractor_type": "ViTFeatureExtractor", "size": 16, "do_normalize": 0, "do_resize": 1}),
    ("resample_string", ["rgb_40x30.png"], {"feature_extractor_type": "ViTFeatureExtractor", "size": 16, "resample": "bicubic"}),
    ("scalar_mean_std", ["rgb_40x30.png"], {"feature_extractor_type": "ViTFeatureExtractor", "size": 16, "image_mean": 0.45, "image_std": 0.25}),
    # a 4.x config on a grayscale image: 5.18 no longer converts to RGB unless told
    ("gray_without_convert", ["gray_25x25.png"], {"feature_extractor_type": "ViTFeatureExtractor", "size": 16, "image_mean": HALF, "image_std": HALF}),
    ("gray_with_convert", ["gray_25x25.png"], {"feature_extractor_type": "ViTFeatureExtractor", "size": 16, "do_convert_rgb": True}),
]


def main() -> int:
    if transformers.__version__ != "5.18.0":
        print(f"expected transformers 5.18.0, found {transformers.__version__}", file=sys.stderr)
        return 1
    OUT.mkdir(parents=True, exist_ok=True)
    names = sorted({n for _, imgs, _ in CASES for n in imgs})
    inputs = {n: np.array(Image.open(IMAGES / n)) for n in names}
    expected: dict[str, np.ndarray] = {}
    cases = []
    for case_id, images, config in CASES:
        with tempfile.TemporaryDirectory() as d:
            Path(d, "preprocessor_config.json").write_text(json.dumps(config))
            processor = AutoImageProcessor.from_pretrained(d)
        entry = {"id": case_id, "images": images, "config": config, "processor_class": type(processor).__name__}
        try:
            pixels = processor([Image.open(IMAGES / n) for n in images], return_tensors="np")["pixel_values"]
            assert pixels.dtype == np.float32
            expected[case_id] = np.ascontiguousarray(pixels)
            entry["shape"] = list(pixels.shape)
        except Exception as e:  # recorded: ved must fail there too
            entry["error"] = {"type": type(e).__name__, "message": str(e)}
        cases.append(entry)
        print(f"{case_id:30} {entry['processor_class']:26} {entry.get('shape') or entry['error']['type']}")
    (OUT / "cases.json").write_text(
        json.dumps({"generator": "tools/reference/make_legacy_processor_fixtures.py", "transformers": transformers.__version__, "images": {n: list(inputs[n].shape) for n in names}, "cases": cases}, indent=1) + "\n"
    )
    save_file({n: np.ascontiguousarray(a) for n, a in inputs.items()}, str(OUT / "inputs.safetensors"))
    save_file(expected, str(OUT / "expected.safetensors"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
