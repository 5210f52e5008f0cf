/**
 * What `savePretrained` writes for a checkpoint it loaded is what Python's `save_pretrained` wrote:
 * every composed checkpoint under fixtures/ (every encoder and decoder family, Python-written, plus
 * the ones ved saved that Python checked), loaded and saved again, gives the same `model.safetensors`,
 * `config.json` and `generation_config.json`, byte for byte — tensor order and header, tied weights
 * left out, DonutSwin's int64 `relative_position_index` buffers, floats that hold whole numbers
 * (`"mlp_ratio": 4.0`) included.
 */
import '../register-builtins.js';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { VisionEncoderDecoderModel } from '@ved/core';
import { DirectoryFiles } from '../directory-files.js';
import { nodeRuntime } from '../runtime.js';
import { savePretrained } from '../save.js';
import { fixturePath } from '../test-utils/fixtures.js';

/** Folders holding a composed (vision-encoder-decoder) checkpoint in one model.safetensors. */
function composedCheckpoints(dir: string): string[] {
  const entries = readdirSync(dir, { withFileTypes: true });
  const here = entries.some((e) => e.name === 'model.safetensors') && existsSync(join(dir, 'config.json'))
    && (JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')) as { model_type?: unknown }).model_type === 'vision-encoder-decoder';
  return [...(here ? [dir] : []), ...entries.filter((e) => e.isDirectory()).flatMap((e) => composedCheckpoints(join(dir, e.name)))];
}

const work = mkdtempSync(join(tmpdir(), 'ved-resave-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('savePretrained writes what save_pretrained wrote', () => {
  const dirs = composedCheckpoints(fixturePath());
  it('finds the checkpoints', () => expect(dirs.length).toBeGreaterThanOrEqual(30));

  for (const dir of dirs) {
    const name = relative(fixturePath(), dir);
    it(`${name}: model.safetensors, config.json and generation_config.json byte for byte`, async () => {
      const model = await VisionEncoderDecoderModel.fromPretrained(new DirectoryFiles(dir), nodeRuntime);
      const out = join(work, name.replaceAll('/', '_'));
      try {
        await savePretrained(model, out);
      } finally {
        model.dispose();
      }
      for (const file of ['model.safetensors', 'config.json', 'generation_config.json'].filter((f) => existsSync(join(dir, f)))) {
        expect(readFileSync(join(out, file)).equals(readFileSync(join(dir, file))), `${name}/${file}`).toBe(true);
      }
    });
  }
});
