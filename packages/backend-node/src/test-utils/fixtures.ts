/**
 * Helpers for backend-node's tests that compare against the Python reference fixtures (tools/reference).
 * The golden checks of the architectures themselves (fixture readers, weight-spec comparison,
 * describers) are the public plugin kit, @ved/testing.
 */
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseSafetensors, type SafetensorsFile } from '@ved/core';

export { maxAbsDiff } from '@ved/testing';

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../../..');
export const fixturePath = (...parts: string[]) => join(REPO_ROOT, 'fixtures', ...parts);

export interface ModelReference {
  dir: string;
  json: {
    images: string[];
    decoder_input_ids: number[][];
    greedy: { max_new_tokens: number; sequences: number[][] };
    greedy_text: string[];
    [key: string]: unknown;
  };
  tensors: SafetensorsFile;
}

export function loadModelReference(name: string): ModelReference {
  const dir = fixturePath('models', name);
  const json = JSON.parse(readFileSync(join(dir, 'reference', 'reference.json'), 'utf8'));
  const bytes = readFileSync(join(dir, 'reference', 'reference.safetensors'));
  const tensors = parseSafetensors(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength), 'reference.safetensors');
  return { dir, json, tensors };
}
