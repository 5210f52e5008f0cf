#!/usr/bin/env python
"""The PyTorch training runner of ved's benchmark: transformers 5.18 `VisionEncoderDecoderModel`, eager,
fp32 on the CPU, full AdamW updates (forward with labels, backward, `clip_grad_norm_`, `torch.optim.AdamW`)
on one batch, dropout off (eval mode, gradients on), as bench/src/runners/ved-train.ts does.

  .venv-ref/bin/python bench/torch_train_runner.py <request.json>
"""

from __future__ import annotations

import json
import os
import sys
import time
import traceback
import warnings

os.environ.setdefault("HF_HUB_OFFLINE", "1")
warnings.filterwarnings("ignore")


def status_mb(field: str) -> float:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
    return 0.0


def main() -> int:
    req = json.loads(open(sys.argv[1]).read())
    result: dict = {"runtime": "pytorch", "model": req["model"], "version": "", "timesMs": [], "losses": []}
    log = lambda m: print(f"  [pytorch train {req['model']}] {m}", file=sys.stderr, flush=True)  # noqa: E731
    try:
        import numpy as np
        import torch

        torch.set_num_threads(req["threads"])
        torch.set_num_interop_threads(1)
        import transformers
        from transformers import VisionEncoderDecoderModel
        from transformers.utils import logging as hf_logging

        hf_logging.set_verbosity_error()
        hf_logging.disable_progress_bar()
        result["version"] = f"transformers {transformers.__version__}, torch {torch.__version__}"
        n, c, h, w = req["pixelShape"]
        pixels = torch.from_numpy(np.fromfile(req["pixelValuesFile"], dtype="<f4").reshape(n, c, h, w))
        batch = pixels[[i % n for i in range(req["batchSize"])]].contiguous()
        labels = torch.tensor(req["labels"])
        model = VisionEncoderDecoderModel.from_pretrained(req["modelDir"]).eval()  # eval: dropout off
        params = [p for p in model.parameters() if p.requires_grad]
        optimizer = torch.optim.AdamW(params, lr=req["learningRate"], weight_decay=0.0)
        result["rssAfterLoadMb"] = status_mb("VmRSS")
        attn = getattr(model.config, "_attn_implementation", None) or "default"
        result["notes"] = [f"attention implementation: {attn}; {torch.get_num_threads()} intra-op threads"]
        for i in range(req["warmup"] + req["runs"]):
            t = time.perf_counter()
            optimizer.zero_grad(set_to_none=True)
            loss = model(pixel_values=batch, labels=labels).loss
            loss.backward()
            norm = torch.nn.utils.clip_grad_norm_(params, req["maxGradNorm"])
            optimizer.step()
            dt = (time.perf_counter() - t) * 1000
            result["losses"].append(loss.item())
            result.setdefault("rssAfterUpdateMb", []).append(status_mb("VmRSS"))
            if i == 0:
                result["firstGradNorm"] = norm.item()
            if i >= req["warmup"]:
                result["timesMs"].append(dt)
            log(f"update {i + 1}: {dt:.0f} ms, loss {loss.item():.5f}")
        result["peakRssMb"] = status_mb("VmHWM")
    except Exception as e:  # noqa: BLE001 - reported to the parent
        traceback.print_exc()
        result["error"] = f"{type(e).__name__}: {e}".split("\n")[0]
    with open(req["resultFile"], "w") as f:
        json.dump(result, f)
    return 0


if __name__ == "__main__":
    sys.exit(main())
