#!/usr/bin/env bash
# Creates .venv-ref4 (repo root): transformers 4.57.6 with flax, jax, h5py and msgpack, for
# make_checkpoint_format_fixtures.py, which needs 4.x to write and read TF/Flax weights (5.x dropped
# them). It reuses .venv-ref's torch, numpy and safetensors through a .pth file, so run
# tools/reference/setup.sh first. Local pip mirror only; idempotent.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
VENV="$ROOT/.venv-ref4"
PYTHON="${PYTHON:-python3.11}"
command -v "$PYTHON" >/dev/null 2>&1 || PYTHON=python3
[ -x "$ROOT/.venv-ref/bin/python" ] || { echo "run tools/reference/setup.sh first" >&2; exit 1; }

if [ ! -x "$VENV/bin/python" ]; then
  "$PYTHON" -m venv "$VENV"
fi
SITE="$("$VENV/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')"
REF_SITE="$("$ROOT/.venv-ref/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')"
# Appended after the venv's own packages: transformers 4.57.6 and tokenizers 0.22 here win over 5.18's.
echo "$REF_SITE" > "$SITE/zz-venv-ref.pth"

PIP=("$VENV/bin/python" -m pip install --disable-pip-version-check --index-url file:///opt/pypi/simple --extra-index-url file:///opt/pypi-more/simple)
"${PIP[@]}" flax jax jaxlib h5py msgpack requests
# --no-deps: 4.57 pins huggingface_hub<1.0, which the mirror lacks; the fixture script bypasses that check.
"${PIP[@]}" --no-deps "transformers==4.57.6" "tokenizers<0.23"
