/** `ved init --like / --processor / --tokenizer`: the new checkpoint carries a processor and tokenizer, so it captions. */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { fixturePath, REPO_ROOT } from '../test-utils/fixtures.js';
import { runCaption } from './caption.js';
import { runInit } from './init.js';

const source = fixturePath('models', 'vit-gpt2-a');
const image = join(REPO_ROOT, 'fixtures/images/rgb_40x30.png');
const dirs: string[] = [];
const tmp = () => {
  const d = mkdtempSync(join(tmpdir(), 'ved-init-'));
  dirs.push(d);
  return d;
};
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  vi.restoreAllMocks();
});

async function captured(run: () => Promise<void>): Promise<{ stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  vi.spyOn(process.stdout, 'write').mockImplementation((c) => ((stdout += String(c)), true));
  vi.spyOn(process.stderr, 'write').mockImplementation((c) => ((stderr += String(c)), true));
  try {
    await run();
  } finally {
    vi.restoreAllMocks();
  }
  return { stdout, stderr };
}

describe('ved init', () => {
  it('--like copies the processor and tokenizer files, and the result can be captioned', async () => {
    const out = join(tmp(), 'scratch');
    const init = await captured(() => runInit(['--config', join(source, 'config.json'), '--out', out, '--like', source, '--seed', '3']));
    expect(init.stderr).toBe('');
    for (const f of ['preprocessor_config.json', 'tokenizer.json', 'tokenizer_config.json']) {
      expect(readFileSync(join(out, f), 'utf8')).toBe(readFileSync(join(source, f), 'utf8'));
    }
    const caption = await captured(() => runCaption([image, '--model', out, '--max-new-tokens', '4', '--json']));
    const line = JSON.parse(caption.stdout) as { image: string; sequences: { ids: number[]; text: string }[] };
    expect(line.image).toBe(image);
    expect(line.sequences[0]!.ids.length).toBeGreaterThan(1);
    expect(typeof line.sequences[0]!.text).toBe('string');
  });

  it('--processor and --tokenizer take each part from its own checkpoint', async () => {
    const out = join(tmp(), 'parts');
    await captured(() => runInit(['--config', join(source, 'config.json'), '--out', out, '--processor', source]));
    expect(existsSync(join(out, 'preprocessor_config.json'))).toBe(true);
    expect(existsSync(join(out, 'tokenizer.json'))).toBe(false);
    const both = join(tmp(), 'both');
    await captured(() => runInit(['--config', join(source, 'config.json'), '--out', both, '--processor', source, '--tokenizer', source]));
    expect(existsSync(join(both, 'preprocessor_config.json'))).toBe(true);
    expect(existsSync(join(both, 'tokenizer.json'))).toBe(true);
  });

  it('without them, says on stderr that the output cannot be captioned yet; a missing --like directory is an error', async () => {
    const out = join(tmp(), 'bare');
    const run = await captured(() => runInit(['--config', join(source, 'config.json'), '--out', out]));
    expect(run.stderr).toContain('no preprocessor_config.json (give --like or --processor) and no tokenizer.json');
    await expect(runInit(['--config', join(source, 'config.json'), '--out', join(tmp(), 'x'), '--like', '/nonexistent/ckpt'])).rejects.toThrow('/nonexistent/ckpt');
  });
});
