// Compares ved's ImageProcessor with the cases of probe_random_processing.py (same folder): each
// pixel_values within 1e-5 of Python's (the same bound as fixtures/processing), the same shape, and a
// VedError wherever Python raised.
//
//   .venv-ref/bin/python tools/reference/probe_random_processing.py /tmp/rp 500 1
//   pnpm build && node tools/reference/compare_random_processing.mjs /tmp/rp
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ImageProcessor, VedError, parseSafetensors } from '../../packages/backend-node/dist/index.js';

const TOLERANCE = 1e-5;
const dir = process.argv[2];
if (dir === undefined) throw new Error('usage: node compare_random_processing.mjs OUT_DIR');
const index = JSON.parse(readFileSync(join(dir, 'index.json'), 'utf8'));

function tensors(file) {
  const st = parseSafetensors(new Uint8Array(readFileSync(join(dir, file))), file);
  return {
    tensor: (name) => {
      const { shape, dtype } = st.info(name);
      const raw = st.getRaw(name);
      const data = dtype === 'F32' ? new Float32Array(raw.slice().buffer) : raw;
      return { shape, data };
    },
  };
}
const images = tensors('images.safetensors');
const expected = tensors('expected.safetensors');

const CHANNELS = { L: 1, LA: 2, RGB: 3, RGBA: 4 };
let ok = 0;
let refusedBoth = 0;
const failures = [];
for (const c of index.cases) {
  const inputs = c.images.map(({ key, mode }) => {
    const t = images.tensor(key);
    const [height, width, channels] = t.shape;
    if (channels !== CHANNELS[mode]) throw new Error(`case ${c.id}: ${key} has ${channels} channels for ${mode}`);
    return { width, height, channels, data: t.data };
  });
  let out;
  let thrown;
  try {
    out = ImageProcessor.fromJson(c.config).preprocess(inputs);
  } catch (e) {
    thrown = e;
  }
  if (c.error !== undefined) {
    if (thrown instanceof VedError) refusedBoth++;
    else failures.push({ id: c.id, what: `Python raised ${c.error.type}: ${c.error.message}; ved ${thrown === undefined ? `gave ${JSON.stringify(out.dims)}` : `threw ${thrown}`}`, config: c.config, images: c.images.map((i) => [i.mode, ...images.tensor(i.key).shape]) });
    continue;
  }
  if (thrown !== undefined) {
    failures.push({ id: c.id, what: `ved threw ${thrown} where Python gave ${JSON.stringify(c.shape)}`, config: c.config, images: c.images.map((i) => [i.mode, ...images.tensor(i.key).shape]) });
    continue;
  }
  const want = expected.tensor(String(c.id));
  if (JSON.stringify(out.dims) !== JSON.stringify(c.shape)) {
    failures.push({ id: c.id, what: `shape ${JSON.stringify(out.dims)} against ${JSON.stringify(c.shape)}`, config: c.config, images: c.images.map((i) => [i.mode, ...images.tensor(i.key).shape]) });
    continue;
  }
  const w = want.data;
  let worst = 0;
  let at = -1;
  for (let i = 0; i < w.length; i++) {
    const d = Math.abs(out.data[i] - w[i]);
    if (!(d <= worst)) { worst = d; at = i; }
  }
  if (!(worst <= TOLERANCE)) failures.push({ id: c.id, what: `max |diff| ${worst} at ${at} (ved ${out.data[at]}, Python ${w[at]})`, config: c.config, images: c.images.map((i) => [i.mode, ...images.tensor(i.key).shape]) });
  else ok++;
}
for (const f of failures) console.log(JSON.stringify(f));
console.log(`${index.cases.length} cases: ${ok} match, ${refusedBoth} refused by both, ${failures.length} differ`);
process.exitCode = failures.length === 0 ? 0 : 1;
