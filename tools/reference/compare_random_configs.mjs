// Compares ved with the models of probe_random_configs.py (same folder): logits in one pass, logits
// fed one token at a time through the cache, and the loss, each within 1e-4 of Python's; the gradient
// of every parameter (TrainingSession, dropout off) against torch's float64 one, within 1e-6 + 1e-4 |g|
// or within 10x torch's own float32 error (random weights of std 0.3 through three layers amplify float
// noise: a wrong gradient is off by orders of magnitude more); and for the
// models Python cannot run, that ved refuses them with a VedError code when it loads or runs them.
//
//   .venv-ref/bin/python tools/reference/probe_random_configs.py /tmp/rc 300 1
//   pnpm build && node tools/reference/compare_random_configs.mjs /tmp/rc [--save] [--export]
//
// --save also writes, for each model Python runs, <i>.ved-saved (the loaded model saved again; ved refuses
// to save inside the folder a model is read from) and
// <i>.ved-init (a model initialised from the same two configs, composed as Python composes them), which
// `probe_random_configs.py --check-saved /tmp/rc` loads in Python.
// --export also writes each model as an ONNX export (<i>.onnx) and compares the export's logits, cached
// logits and loss with Python's, as for the model itself.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  DirectoryFiles,
  OnnxExportModel,
  TrainingSession,
  VisionEncoderDecoderConfig,
  VisionEncoderDecoderModel,
  nodeRuntime,
  parseSafetensors,
  savePretrained,
} from '../../packages/backend-node/dist/index.js';

const TOLERANCE = 1e-4;
const dir = process.argv[2];
const save = process.argv.includes('--save');
const exportToo = process.argv.includes('--export');
// --dtypes: also load each model with fp16, q8 and q4 weights; their logits must be finite and near fp32's.
const dtypes = process.argv.includes('--dtypes');
// --web: run every model on onnxruntime-web's WebAssembly build (backend-web's runtime, in Node) instead of onnxruntime-node.
const runtime = process.argv.includes('--web') ? await (await import('../../packages/backend-web/dist/index.js')).createWebRuntime({}) : nodeRuntime;
if (dir === undefined) throw new Error('usage: node compare_random_configs.mjs OUT_DIR');
const index = JSON.parse(readFileSync(join(dir, 'index.json'), 'utf8'));

/** Largest |a - b|; a NaN on one side only counts as infinite. */
function maxDiff(a, b) {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Number.isNaN(a[i]) !== Number.isNaN(b[i]) ? Infinity : Math.abs(a[i] - b[i]) || 0);
  return m;
}

/** Logits [rows, T, V] of `ids` fed one token per step through the cache. */
async function stepByStep(model, pixelValues, ids) {
  const session = model.startDecoding(await model.encode(pixelValues), ids.map((_, i) => i));
  const V = model.vocabSize;
  const T = ids[0].length;
  const out = new Float32Array(ids.length * T * V);
  try {
    for (let t = 0; t < T; t++) {
      const step = await session.step(ids.map((row) => [row[t]]));
      for (let r = 0; r < ids.length; r++) out.set(step.data.subarray(r * V, (r + 1) * V), (r * T + t) * V);
    }
  } finally {
    session.dispose();
  }
  return out;
}

/** Largest |got - exact| / (1e-6 + 1e-4 |exact|). */
function gradientError(got, exact) {
  let worst = 0;
  for (let i = 0; i < exact.length; i++) worst = Math.max(worst, Math.abs(got[i] - exact[i]) / (1e-6 + 1e-4 * Math.abs(exact[i])) || 0);
  return worst;
}

/** The parameters whose gradient is off (beyond the tolerance and 10x torch's own float32 error, itself at least 0.1 of it), and the set differences. */
async function gradients(model, tensors, pixelValues, labels) {
  const session = await TrainingSession.create(model, runtime, { dropout: false });
  try {
    const { grads } = await session.step({ pixelValues, labels });
    const python = tensors.names().filter((n) => n.startsWith('grad.')).map((n) => n.slice(5));
    const off = [];
    for (const name of python) {
      const got = grads.get(name);
      if (got === undefined) {
        off.push(`${name}: no gradient in ved`);
        continue;
      }
      const exact = tensors.getFloat32(`grad64.${name}`);
      const ved = gradientError(got, exact);
      const torch = gradientError(tensors.getFloat32(`grad.${name}`), exact);
      if (ved > 1 && ved > 10 * Math.max(torch, 0.1)) off.push(`${name}: ${ved.toFixed(2)} of the tolerance (torch float32 ${torch.toFixed(2)})`);
    }
    for (const name of grads.keys()) if (!python.includes(name)) off.push(`${name}: a gradient in ved only`);
    return off;
  } finally {
    session.dispose();
  }
}

async function compare(d) {
  const model = await VisionEncoderDecoderModel.fromPretrained(new DirectoryFiles(d), runtime);
  try {
    const ref = JSON.parse(readFileSync(join(d, 'reference.json'), 'utf8'));
    const tensors = parseSafetensors(readFileSync(join(d, 'reference.safetensors')), join(d, 'reference.safetensors'));
    const pixelValues = { data: tensors.getFloat32('pixel_values'), dims: tensors.info('pixel_values').shape };
    const ids = ref.decoder_input_ids;
    const diff = {
      logits: maxDiff((await model.logits(pixelValues, ids)).data, tensors.getFloat32('logits')),
      cached: maxDiff(await stepByStep(model, pixelValues, ids), tensors.getFloat32('cached_logits')),
      loss: Math.abs((await model.forward({ pixelValues, labels: ref.labels })).loss - ref.loss),
    };
    for (const [k, c] of (ref.interpolate ?? []).entries()) {
      // Python's interpolate_pos_encoding at another image size: the same hidden states, or a refusal where Python fails.
      const run = model.encode({ data: c.error ? new Float32Array(pixelValues.dims[1] * c.height * c.width) : tensors.getFloat32(`interp${k}.pixel_values`), dims: [1, pixelValues.dims[1], c.height, c.width] }, { interpolatePosEncoding: true });
      if (c.error) {
        const err = await run.then(() => undefined, (e) => e);
        diff[`interp${k}Refused`] = err?.code ? 0 : Infinity;
      } else {
        diff[`interp${k}`] = maxDiff((await run).lastHiddenState.data, tensors.getFloat32(`interp${k}.hidden`));
      }
    }
    const off = await gradients(model, tensors, pixelValues, ref.labels);
    if (save) await saveBoth(model, d);
    if (exportToo) Object.assign(diff, await exportDiff(model, d, tensors, pixelValues, ref));
    if (dtypes) Object.assign(diff, await dtypeDiff(d, pixelValues, ids, tensors.getFloat32('logits')));
    return { diff, gradients: off };
  } finally {
    await model.dispose();
  }
}

/** `<d>.ved-saved`: the model as loaded, saved again; `<d>.ved-init`: a fresh model of the same configs. */
async function saveBoth(model, d) {
  await savePretrained(model, `${d}.ved-saved`);
  const raw = JSON.parse(readFileSync(join(d, 'config.json'), 'utf8'));
  const config = VisionEncoderDecoderConfig.fromEncoderDecoderConfigs(raw.encoder, raw.decoder, {
    pad_token_id: raw.pad_token_id,
    decoder_start_token_id: raw.decoder_start_token_id,
  });
  const fresh = await VisionEncoderDecoderModel.fromConfig(config, runtime, { seed: 0 });
  try {
    await savePretrained(fresh, `${d}.ved-init`);
  } finally {
    await fresh.dispose();
  }
}

/** The model as an ONNX export (`<d>.onnx`), run by `OnnxExportModel`: its differences from Python's. */
async function exportDiff(model, d, tensors, pixelValues, ref) {
  await savePretrained(model, `${d}.onnx`, { format: 'onnx' });
  const exported = await OnnxExportModel.fromPretrained(new DirectoryFiles(`${d}.onnx`), runtime);
  try {
    const ids = ref.decoder_input_ids;
    return {
      exportLogits: maxDiff((await exported.logits(pixelValues, ids)).data, tensors.getFloat32('logits')),
      exportCached: maxDiff(await stepByStep(exported, pixelValues, ids), tensors.getFloat32('cached_logits')),
      exportLoss: Math.abs((await exported.forward({ pixelValues, labels: ref.labels })).loss - ref.loss),
    };
  } finally {
    await exported.dispose();
  }
}

/** fp16, q8 and q4 weights: NaN or infinite logits count as a mismatch; otherwise the error relative to the logits' range, 0 when below a loose bound. */
async function dtypeDiff(d, pixelValues, ids, expected) {
  let range = 0;
  for (const v of expected) range = Math.max(range, Math.abs(v));
  const out = {};
  for (const [dtype, bound] of [['fp16', 0.01], ['q8', 0.25], ['q4', 1]]) {
    const m = await VisionEncoderDecoderModel.fromPretrained(new DirectoryFiles(d), runtime, { dtype });
    try {
      const got = (await m.logits(pixelValues, ids)).data;
      const rel = maxDiff(got, expected) / Math.max(range, 1e-6);
      out[dtype] = got.every(Number.isFinite) && rel <= bound ? 0 : rel;
    } finally {
      await m.dispose();
    }
  }
  return out;
}

/** Loads a model Python could not run and runs one step on blank images of its config's size. */
async function runAnyway(d) {
  const model = await VisionEncoderDecoderModel.fromPretrained(new DirectoryFiles(d), runtime);
  try {
    const config = JSON.parse(readFileSync(join(d, 'config.json'), 'utf8')).encoder;
    const size = Array.isArray(config.image_size) ? config.image_size : [config.image_size, config.image_size];
    const c = config.num_channels ?? 3;
    await model.logits({ data: new Float32Array(2 * c * size[0] * size[1]), dims: [2, c, ...size] }, [[2], [2]]);
  } finally {
    await model.dispose();
  }
}

const results = { match: 0, mismatch: [], refused: [], crashed: [], pythonRefusedVedRefused: [], pythonRefusedVedRan: [] };
for (const e of index) {
  if (!e.ok && !e.saved) continue;
  const d = join(dir, String(e.index));
  const tag = `${e.index} ${e.encoder}+${e.decoder}`;
  try {
    if (!e.ok) {
      await runAnyway(d);
      results.pythonRefusedVedRan.push(`${tag}; Python: ${e.error.slice(0, 160)}`);
      continue;
    }
    const { diff, gradients: off } = await compare(d);
    if (Object.values(diff).every((v) => v <= TOLERANCE) && off.length === 0) results.match++;
    else results.mismatch.push(`${tag}: ${Object.entries(diff).map(([k, v]) => `${k} ${v.toExponential(2)}`).join(', ')}; gradients: ${off.slice(0, 4).join('; ') || 'ok'}`);
  } catch (err) {
    const line = `${tag}: ${err?.code ?? 'no code'}: ${String(err?.message ?? err).slice(0, 200)}`;
    if (err?.code === undefined) results.crashed.push(line);
    else if (e.ok) results.refused.push(line);
    else results.pythonRefusedVedRefused.push(`${line}; Python: ${e.error.slice(0, 100)}`);
  }
}
console.log(JSON.stringify({ ...results, pythonRefusedVedRefused: results.pythonRefusedVedRefused.length, refusals: results.pythonRefusedVedRefused.slice(0, 20) }, null, 1));
