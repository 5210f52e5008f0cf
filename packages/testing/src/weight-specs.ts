/**
 * The weight-spec check: a plugin's declared weights (`weights(config)`: name,
 * shape, init rule) against what Python has. Encoders compare with the init
 * report of a freshly initialised Python model (`encoder_weights.json`),
 * decoders with the tensors of the untrained checkpoint itself. Both return
 * the problems found (empty when the lists agree).
 */
import { SeededRandom, type TensorSource, type WeightSpec } from '@ved/core';
import type { PythonInitEntry } from './fixture.js';

/**
 * Compares an encoder plugin's weight list with the weights of a freshly
 * initialised Python encoder: the same float tensors (names and shapes), and
 * init rules that explain what Python drew (zeros, ones, constants; for random
 * tensors of 64+ values a std within 35%). Non-float buffers (DonutSwin's
 * `relative_position_index`) are not weights. Returns the problems found.
 */
export function compareWeightSpecs(
  specs: ReadonlyArray<{ name: string; shape: readonly number[]; init: { kind: string; std?: number; value?: number } }>,
  python: Record<string, PythonInitEntry>,
): string[] {
  const problems: string[] = [];
  const byName = new Map(specs.map((s) => [s.name, s]));
  if (byName.size !== specs.length) problems.push('duplicate names in weights()');
  for (const [name, py] of Object.entries(python)) {
    if (py.dtype !== undefined) continue;
    const spec = byName.get(name);
    if (spec === undefined) {
      problems.push(`missing ${name} [${py.shape.join(', ')}]`);
      continue;
    }
    byName.delete(name);
    if (spec.shape.join(',') !== py.shape.join(',')) problems.push(`${name}: shape [${spec.shape.join(', ')}], Python [${py.shape.join(', ')}]`);
    const { kind, std, value } = spec.init;
    const count = py.shape.reduce((a, b) => a * b, 1);
    if (py.kind === 'random') {
      if (kind !== 'normal' && kind !== 'truncNormal') problems.push(`${name}: init ${kind}, Python draws random values`);
      else if (count >= 64 && Math.abs(std! - py.std!) > 0.35 * std!) problems.push(`${name}: std ${std}, Python measured ${py.std}`);
    } else if (py.kind === 'constant') {
      if (kind !== 'constant' || Math.abs(value! - py.value!) > 1e-6) problems.push(`${name}: init ${kind} ${value}, Python constant ${py.value}`);
    } else if (kind !== py.kind && !(kind === 'constant' && value === (py.kind === 'ones' ? 1 : 0))) {
      problems.push(`${name}: init ${kind}, Python ${py.kind}`);
    }
  }
  for (const name of byName.keys()) problems.push(`extra ${name} (not in the Python checkpoint)`);
  return problems;
}

function sampleStd(data: ArrayLike<number>): number {
  let mean = 0;
  for (let i = 0; i < data.length; i++) mean += data[i]!;
  mean /= data.length;
  let v = 0;
  for (let i = 0; i < data.length; i++) v += (data[i]! - mean) ** 2;
  return Math.sqrt(v / Math.max(data.length - 1, 1));
}

function zeroRows(data: Float32Array, width: number): number[] {
  const rows: number[] = [];
  for (let r = 0; r * width < data.length; r++) if (data.subarray(r * width, (r + 1) * width).every((x) => x === 0)) rows.push(r);
  return rows;
}

/**
 * Checks a decoder plugin's weight list against a checkpoint that Python
 * saved right after `_init_weights` (the fixtures are untrained): the same
 * tensors under `decoder.` (names and shapes), and init rules that explain the
 * values (zeros, ones; normal with the measured std within 35%; custom fills
 * with the same all-zero rows, e.g. embedding padding rows). Returns the problems.
 */
export function compareDecoderWeights(specs: readonly WeightSpec[], checkpoint: TensorSource, prefix = 'decoder.'): string[] {
  const problems: string[] = [];
  const saved = new Set(checkpoint.names().filter((n) => n.startsWith(prefix)).map((n) => n.slice(prefix.length)));
  for (const spec of specs) {
    if (!saved.delete(spec.name)) {
      problems.push(`extra ${spec.name} (not in the Python checkpoint)`);
      continue;
    }
    const full = prefix + spec.name;
    const shape = checkpoint.info(full).shape;
    if (shape.join(',') !== spec.shape.join(',')) {
      problems.push(`${spec.name}: shape [${spec.shape.join(', ')}], Python [${shape.join(', ')}]`);
      continue;
    }
    const data = checkpoint.getFloat32(full);
    const width = spec.shape[spec.shape.length - 1] ?? 1;
    const init = spec.init;
    if (init.kind === 'zeros' || init.kind === 'ones' || init.kind === 'constant') {
      const value = init.kind === 'zeros' ? 0 : init.kind === 'ones' ? 1 : init.value;
      if (!data.every((x) => x === value)) problems.push(`${spec.name}: init ${init.kind}, Python has other values`);
    } else if (init.kind === 'normal' || init.kind === 'truncNormal') {
      if (data.length >= 64 && Math.abs(sampleStd(data) - init.std) > 0.35 * init.std) {
        problems.push(`${spec.name}: std ${init.std}, Python measured ${sampleStd(data).toFixed(4)}`);
      }
      if (zeroRows(data, width).length > 0) problems.push(`${spec.name}: Python zeroed rows ${zeroRows(data, width).join(', ')}`);
    } else {
      const ours = new Float32Array(data.length);
      init.fill(ours, new SeededRandom(1234));
      if (zeroRows(ours, width).join(',') !== zeroRows(data, width).join(',')) {
        problems.push(`${spec.name}: zero rows [${zeroRows(ours, width).join(', ')}], Python [${zeroRows(data, width).join(', ')}]`);
      }
      if (data.length >= 64 && Math.abs(sampleStd(ours) - sampleStd(data)) > 0.35 * sampleStd(data)) {
        problems.push(`${spec.name}: std ${sampleStd(ours).toFixed(4)}, Python ${sampleStd(data).toFixed(4)}`);
      }
    }
  }
  for (const name of saved) problems.push(`missing ${name} [${checkpoint.info(prefix + name).shape.join(', ')}]`);
  return problems;
}
