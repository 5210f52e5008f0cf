#!/usr/bin/env bash
# Creates the Python reference environment (.venv-ref at the repo root) used by
# tools/reference/*.py to produce fixtures. Idempotent: re-running only checks the
# pinned packages. Uses ONLY the local pip mirror (no internet, no HF hub).
#
# Do NOT add torchvision or timm: the mirror's torchvision is a CUDA build that
# breaks `from transformers import ViTModel` next to the CPU torch, and without
# it transformers uses the PIL image-processor backend, which is what ved matches.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
VENV="$ROOT/.venv-ref"
PYTHON="${PYTHON:-python3.11}"
command -v "$PYTHON" >/dev/null 2>&1 || PYTHON=python3

PACKAGES=(
  "torch==2.13.0+cpu"
  "transformers==5.18.0"
  safetensors
  pillow
  onnx
  onnxruntime
  sentencepiece
  accelerate  # HF Trainer (make_optimizer_fixtures.py runs its training loop)
  Levenshtein  # NougatTokenizer.post_process_generation (make_nougat_postprocess_fixtures.py)
  nltk  # the same; its words corpus is NOT downloaded, so Python takes the LookupError branch ved ports
  torchmetrics  # CharErrorRate / WordErrorRate (make_text_metric_fixtures.py)
)

if [ ! -x "$VENV/bin/python" ]; then
  echo "creating $VENV with $($PYTHON --version 2>&1)"
  "$PYTHON" -m venv "$VENV"
fi

"$VENV/bin/python" -m pip install --disable-pip-version-check \
  --index-url file:///opt/pypi/simple \
  --extra-index-url file:///opt/pypi-more/simple \
  "${PACKAGES[@]}"

if "$VENV/bin/python" -c "import torchvision" >/dev/null 2>&1; then
  echo "WARNING: torchvision is installed in $VENV; the reference fixtures assume the PIL backend." >&2
  echo "         remove it with: $VENV/bin/python -m pip uninstall -y torchvision timm" >&2
fi

"$VENV/bin/python" -c "import torch, transformers, tokenizers; print('torch', torch.__version__, '| transformers', transformers.__version__, '| tokenizers', tokenizers.__version__)"
