/**
 * `ved caption` on a checkpoint without tokenizer files (vit-gpt2-a copied
 * without them): Python's greedy ids in place of text, `"text": null` with
 * --json, one warning on stderr, exit without error.
 */
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { loadModelReference } from '../test-utils/fixtures.js';
import { runCaption } from './caption.js';

const ref = loadModelReference('vit-gpt2-a');
const model = mkdtempSync(join(tmpdir(), 'ved-caption-no-tokenizer-'));
for (const name of ['config.json', 'generation_config.json', 'model.safetensors', 'preprocessor_config.json']) copyFileSync(join(ref.dir, name), join(model, name));
afterAll(() => rmSync(model, { recursive: true, force: true }));
afterEach(() => vi.restoreAllMocks());

async function caption(args: string[]): Promise<{ stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => ((stdout += String(chunk)), true));
  vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => ((stderr += String(chunk)), true));
  await runCaption(args);
  vi.restoreAllMocks();
  return { stdout, stderr };
}

describe('ved caption without a tokenizer', () => {
  const max = String(ref.json.greedy.max_new_tokens);

  it('prints the ids in place of the text, after one warning', async () => {
    const { stdout, stderr } = await caption([...ref.json.images, '--model', model, '--max-new-tokens', max]);
    expect(stderr.match(/warning: .* has no tokenizer/g)).toHaveLength(1);
    expect(stdout.trim().split('\n')).toEqual(ref.json.images.map((image, i) => `${image}\t${JSON.stringify(ref.json.greedy.sequences[i])}`));
  });

  it('--json keeps the ids and gives "text": null', async () => {
    const { stdout, stderr } = await caption([...ref.json.images, '--model', model, '--max-new-tokens', max, '--json']);
    expect(stderr).toContain('"text": null');
    const lines = stdout.trim().split('\n').map((l) => JSON.parse(l));
    expect(lines.map((l) => l.sequences[0])).toEqual(ref.json.greedy.sequences.map((ids) => ({ ids, text: null })));
  });
});
