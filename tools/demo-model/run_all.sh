#!/usr/bin/env bash
# Rebuilds ved's default model from scratch and measures it with ved.
# Run from anywhere; needs .venv-ref (tools/reference/setup.sh) and `pnpm install`.
set -euo pipefail
cd "$(dirname "$0")/../.."
PY=.venv-ref/bin/python
VED="node packages/backend-node/dist/cli.js"

$PY tools/demo-model/train.py "$@"          # -> tools/demo-model/out/checkpoint
$PY tools/demo-model/make_sets.py           # -> out/heldout, out/edge, packages/default-model/examples
$PY tools/demo-model/export.py              # -> packages/default-model/model, tokenizer-reference.json
pnpm build
$VED eval --manifest tools/demo-model/out/heldout/manifest.jsonl --json | tee tools/demo-model/out/eval-heldout.json
$VED eval --manifest tools/demo-model/out/edge/manifest.jsonl --json | tee tools/demo-model/out/eval-edge.json
$PY tools/demo-model/check_python.py --manifest tools/demo-model/out/heldout/manifest.jsonl
$PY tools/demo-model/check_python.py --manifest tools/demo-model/out/edge/manifest.jsonl
