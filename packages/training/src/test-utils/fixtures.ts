/** Reads fixtures/optim (written by tools/reference/make_optimizer_fixtures.py) in tests. */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseSafetensors, type SafetensorsFile } from '@ved/core';

export const OPTIM_FIXTURES = fileURLToPath(new URL('../../../../fixtures/optim/', import.meta.url));

export function readFixtureJson<T>(name: string): T {
  return JSON.parse(readFileSync(`${OPTIM_FIXTURES}${name}`, 'utf8')) as T;
}

export function readFixtureTensors(name: string): SafetensorsFile {
  return parseSafetensors(new Uint8Array(readFileSync(`${OPTIM_FIXTURES}${name}`)), name);
}

/** Largest |a − b| / max(|b|, floor) over the elements. */
export function maxRelDiff(a: Float32Array, b: Float32Array, floor = 1e-6): number {
  if (a.length !== b.length) throw new Error(`length ${a.length} vs ${b.length}`);
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i]! - b[i]!) / Math.max(Math.abs(b[i]!), floor));
  return worst;
}

/** Share of elements that are bitwise equal. */
export function equalShare(a: Float32Array, b: Float32Array): number {
  let same = 0;
  for (let i = 0; i < a.length; i++) if (Object.is(a[i], b[i])) same++;
  return same / a.length;
}
