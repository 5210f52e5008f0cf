#!/usr/bin/env bash
# Rebuilds ved's default model and measures it with ved.
# Run from anywhere; needs .venv-ref (tools/reference/setup.sh), `pnpm install` and the Debian fonts
# (apt-get install fonts-dejavu-core fonts-liberation fonts-noto-core fonts-freefont-ttf).
#
#   tools/demo-model/run_all.sh                  # fine-tune version 1 (how versions 2 to 6 were made)
#   tools/demo-model/run_all.sh --from-scratch   # train from scratch (how version 1 was made), then fine-tune
set -euo pipefail
cd "$(dirname "$0")/../.."
PY=.venv-ref/bin/python
VED="node packages/backend-node/dist/cli.js"
OUT=tools/demo-model/out
# Version 1 as it shipped (float16, commit 94da8e8, before version 2 replaced it); needs the git history.
INIT=$OUT/checkpoint-v1-shipped
mkdir -p $INIT
for f in config.json generation_config.json model.safetensors preprocessor_config.json tokenizer.json tokenizer_config.json; do
  git show 94da8e8:packages/default-model/model/$f > $INIT/$f
done

if [[ "${1:-}" == "--from-scratch" ]]; then
  $PY tools/demo-model/train.py --out $OUT/checkpoint-v1 --log $OUT/train-log-v1.jsonl
  INIT=$OUT/checkpoint-v1
fi
# Version 2: three fine-tuning stages from version 1 (each a cosine schedule; seeds never used before).
T="$PY tools/demo-model/train.py --ema 0 --threads 1"
$T --init-from $INIT --seed 20261205 --steps 550 --lr 1e-3 --warmup 30 --eval-every 275 \
  --out $OUT/checkpoint-v2 --log $OUT/train-log-v2.jsonl
$T --init-from $OUT/checkpoint-v2 --seed 20261206 --steps 600 --lr 5e-4 --warmup 20 --eval-every 300 \
  --out $OUT/checkpoint-v2-stage2 --log $OUT/train-log-v2-stage2.jsonl
$T --init-from $OUT/checkpoint-v2-stage2 --seed 20261207 --steps 700 --lr 4e-4 --warmup 20 --eval-every 700 \
  --out $OUT/checkpoint-v2-stage3 --log $OUT/train-log-v2-stage3.jsonl
# Version 3: a fourth, longer stage.
$PY tools/demo-model/train.py --ema 0.998 --threads 1 --init-from $OUT/checkpoint-v2-stage3 --seed 20261208 --steps 4000 \
  --lr 4e-4 --warmup 20 --eval-every 1000 --out $OUT/checkpoint-v2-stage4 --log $OUT/train-log-v2-stage4.jsonl
# Version 4: version 3 with 6 ViT + 3 GPT-2 layers and a 48x384 input (48x6 strips), one stage.
$PY tools/demo-model/train.py --ema 0 --threads 2 --init-from $OUT/checkpoint-v2-stage4 --encoder-layers 6 --decoder-layers 3 \
  --image-size 48,384 --patch 48,6 --seed 20261210 --steps 3000 --lr 3e-4 --warmup 30 --eval-every 750 \
  --out $OUT/checkpoint-v4 --log $OUT/train-log-v4.jsonl
# Version 5: version 4 trained on half random-character lines and 40% bold faces.
$PY tools/demo-model/train.py --ema 0 --threads 2 --init-from $OUT/checkpoint-v4 --encoder-layers 6 --decoder-layers 3 \
  --image-size 48,384 --patch 48,6 --random-share 0.5 --bold-share 0.4 --seed 20261211 --steps 2000 --lr 2e-4 --warmup 20 \
  --eval-every 500 --out $OUT/checkpoint-v5 --log $OUT/train-log-v5.jsonl
# Version 6: version 5 trained longer, on 40% generously padded lines as well.
$PY tools/demo-model/train.py --ema 0.998 --threads 2 --init-from $OUT/checkpoint-v5 --encoder-layers 6 --decoder-layers 3 \
  --image-size 48,384 --patch 48,6 --random-share 0.5 --bold-share 0.4 --generous-share 0.4 --seed 20261212 --steps 3500 \
  --lr 2e-4 --warmup 20 --eval-every 875 --out $OUT/checkpoint-v6 --log $OUT/train-log-v6.jsonl
# Version 7: version 6 trained on with the training-only aids (column and guided-attention losses) off.
$PY tools/demo-model/train.py --ema 0.998 --threads 2 --init-from $OUT/checkpoint-v6 --encoder-layers 6 --decoder-layers 3 \
  --image-size 48,384 --patch 48,6 --random-share 0.5 --bold-share 0.4 --generous-share 0.4 --column-weight 0 --guide-weight 0 \
  --seed 20261214 --steps 5000 --lr 1.5e-4 --warmup 50 --eval-every 1250 --out $OUT/checkpoint-v7 --log $OUT/train-log-v7.jsonl
# Version 8: version 7 trained one more stage the same way, at a lower rate.
$PY tools/demo-model/train.py --ema 0.998 --threads 2 --init-from $OUT/checkpoint-v7 --encoder-layers 6 --decoder-layers 3 \
  --image-size 48,384 --patch 48,6 --random-share 0.5 --bold-share 0.4 --generous-share 0.4 --column-weight 0 --guide-weight 0 \
  --seed 20261215 --steps 3000 --lr 1e-4 --warmup 30 --eval-every 1000 --out $OUT/checkpoint-v8 --log $OUT/train-log-v8.jsonl
# Version 9 (shipped): a stage on look-alike lines from the mean of versions 7 and 8, averaged with version 8.
$PY tools/demo-model/soup.py --out $OUT/soup78 $OUT/checkpoint-v7 $OUT/checkpoint-v8
$PY tools/demo-model/train.py --ema 0.998 --threads 2 --init-from $OUT/soup78 --encoder-layers 6 --decoder-layers 3 \
  --image-size 48,384 --patch 48,6 --random-share 0.35 --confusable-share 0.2 --bold-share 0.4 --generous-share 0.4 \
  --column-weight 0 --guide-weight 0 --seed 20261216 --steps 3000 --lr 1e-4 --warmup 30 --eval-every 1000 \
  --out $OUT/checkpoint-v9 --log $OUT/train-log-v9.jsonl
$PY tools/demo-model/soup.py --out $OUT/checkpoint-v9-soup $OUT/checkpoint-v8 $OUT/checkpoint-v9
# Version 10 (shipped): a further stage from version 9 (version 8's recipe), its mean with version 9, a stage at a
# constant rate from that mean with its weights saved every 600 steps, then the mean of that stage's weight average,
# the mean of its eight snapshots, and the mean it started from.
$PY tools/demo-model/train.py --ema 0.998 --threads 2 --init-from $OUT/checkpoint-v9-soup --encoder-layers 6 --decoder-layers 3 \
  --image-size 48,384 --patch 48,6 --random-share 0.5 --bold-share 0.4 --generous-share 0.4 --column-weight 0 --guide-weight 0 \
  --seed 20261217 --steps 3000 --lr 1e-4 --warmup 30 --eval-every 1000 --out $OUT/checkpoint-v10a --log $OUT/train-log-v10a.jsonl
$PY tools/demo-model/soup.py --out $OUT/soup9_10a $OUT/checkpoint-v9-soup $OUT/checkpoint-v10a
$PY tools/demo-model/train.py --ema 0.998 --threads 2 --init-from $OUT/soup9_10a --encoder-layers 6 --decoder-layers 3 \
  --image-size 48,384 --patch 48,6 --random-share 0.4 --confusable-share 0.1 --bold-share 0.4 --generous-share 0.4 \
  --column-weight 0 --guide-weight 0 --seed 20261218 --steps 4800 --lr 1e-4 --schedule constant --warmup 30 \
  --snapshot-every 600 --eval-every 1200 --out $OUT/checkpoint-v10b --log $OUT/train-log-v10b.jsonl
$PY tools/demo-model/soup.py --out $OUT/swa10b $OUT/checkpoint-v10b-step{600,1200,1800,2400,3000,3600,4200,4800}
$PY tools/demo-model/soup.py --out $OUT/checkpoint-v10-soup $OUT/checkpoint-v10b $OUT/swa10b $OUT/soup9_10a
$PY tools/demo-model/make_sets.py           # -> out/heldout, out/edge, out/select, out/confirm, out/fresh, packages/default-model/examples
node tools/demo-model/independent-lines.mjs # -> out/independent (the first 200: packages/default-model/examples/independent)
$PY tools/demo-model/probe.py               # -> out/probe
$PY tools/demo-model/export.py --checkpoint $OUT/checkpoint-v10-soup   # -> packages/default-model/model, *-reference.json
pnpm build
for set in heldout confirm fresh edge independent probe; do
  for search in "" "--num-beams 1"; do
    echo "$set ${search:-(4 beams)}: $($VED eval -q --manifest $OUT/$set/manifest.jsonl --json $search)"
  done
  echo "$set q8: $($VED eval -q --manifest $OUT/$set/manifest.jsonl --json --dtype q8)"
done
$PY tools/demo-model/check_python.py --manifest $OUT/heldout/manifest.jsonl
$PY tools/demo-model/check_python.py --manifest $OUT/independent/manifest.jsonl
