#!/usr/bin/env python
"""The PyTorch runner of ved's benchmark: transformers 5.18 `VisionEncoderDecoderModel` in eager
mode on the CPU, the same request/result protocol as the Node runners (bench/src/protocol.ts).

  .venv-ref/bin/python bench/torch_runner.py <request.json>
"""

from __future__ import annotations

import json
import os
import resource
import sys
import time
import traceback
import warnings

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
warnings.filterwarnings("ignore")


def status_mb(field: str) -> float:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def log(req: dict, message: str) -> None:
    print(f"  [pytorch {req['dtype']} {req['model']}] {message}", file=sys.stderr, flush=True)


def main() -> int:
    req = json.loads(open(sys.argv[1]).read())
    result: dict = {"runtime": "pytorch", "model": req["model"], "dtype": req["dtype"], "threads": req["threads"], "version": "", "tasks": {}}
    try:
        run(req, result)
    except Exception as e:  # noqa: BLE001 - reported to the parent, which prints it
        traceback.print_exc()
        result["error"] = f"{type(e).__name__}: {e}".split("\n")[0]
    with open(req["resultFile"], "w") as f:
        json.dump(result, f)
    return 0


def run(req: dict, result: dict) -> None:
    import numpy as np
    import torch

    # Threads first: inter-op threads can only be set before any parallel work.
    torch.set_num_threads(req["threads"])
    torch.set_num_interop_threads(1)
    import transformers
    from transformers import VisionEncoderDecoderModel
    from transformers.utils import logging as hf_logging

    hf_logging.set_verbosity_error()
    hf_logging.disable_progress_bar()
    if req["dtype"] != "fp32":
        raise RuntimeError(f"the PyTorch runner measures fp32 only (asked: {req['dtype']})")
    result["version"] = f"transformers {transformers.__version__}, torch {torch.__version__}"

    n, c, h, w = req["pixelShape"]
    all_pixels = torch.from_numpy(np.fromfile(req["pixelValuesFile"], dtype="<f4").reshape(n, c, h, w))

    def take(count: int) -> torch.Tensor:
        return all_pixels[[i % n for i in range(count)]].contiguous()

    result["rssBeforeLoadMb"] = status_mb("VmRSS")
    t0 = time.perf_counter()
    model = VisionEncoderDecoderModel.from_pretrained(req["modelDir"]).eval()
    # from_pretrained maps the safetensors file lazily: touch every weight so that "load" ends with
    # the weights in memory, as it does for the other runtimes (and the first run pays no page-ins).
    with torch.inference_mode():
        for p in model.parameters():
            p.reshape(-1)[:: max(1, 4096 // p.element_size())].sum()
    result["loadMs"] = (time.perf_counter() - t0) * 1000
    result["rssAfterLoadMb"] = status_mb("VmRSS")
    attn = getattr(model.config, "_attn_implementation", None) or "default"
    result["notes"] = [f"attention implementation: {attn}; {torch.get_num_threads()} intra-op threads"]
    log(req, f"loaded in {result['loadMs']:.0f} ms, RSS {result['rssAfterLoadMb']:.0f} MiB ({attn} attention)")

    if req.get("referenceInputIds") and req.get("logitsOut"):
        ids = torch.tensor(req["referenceInputIds"])
        with torch.inference_mode():
            logits = model(pixel_values=take(ids.shape[0]), decoder_input_ids=ids).logits.float().contiguous()
        logits.numpy().astype("<f4").tofile(req["logitsOut"])
        result["logits"] = {"file": req["logitsOut"], "shape": list(logits.shape)}

    one, batch = take(1), take(req["batchSize"])
    forced = dict(max_new_tokens=req["newTokens"], min_new_tokens=req["newTokens"], do_sample=False)

    def generate(pixel_values, beams):
        return model.generate(pixel_values, num_beams=beams, **forced).tolist()

    tasks = {
        "encoder": (req["encoderRuns"], lambda: (model.encoder(pixel_values=one), None)[1]),
        "greedy": (req["runs"], lambda: generate(one, 1)),
        "beam": (req["runs"], lambda: generate(one, req["numBeams"])),
        "batch": (req["runs"], lambda: generate(batch, 1)),
    }
    for name in req["tasks"]:
        runs, fn = tasks[name]
        times, seqs = [], None
        try:
            with torch.inference_mode():
                for i in range(req["warmup"] + runs):
                    t = time.perf_counter()
                    seqs = fn()
                    dt = (time.perf_counter() - t) * 1000
                    if i >= req["warmup"]:
                        times.append(dt)
        except Exception as e:  # noqa: BLE001
            result["tasks"][name] = {"timesMs": times, "skipped": f"{type(e).__name__}: {e}".split("\n")[0]}
            log(req, f"{name}: {result['tasks'][name]['skipped']}")
            continue
        log(req, f"{name}: {', '.join(f'{t:.0f}' for t in times)} ms")
        result["tasks"][name] = {"timesMs": times, **({"sequences": seqs} if seqs is not None else {})}
    result["peakRssMb"] = status_mb("VmHWM")


if __name__ == "__main__":
    sys.exit(main())
