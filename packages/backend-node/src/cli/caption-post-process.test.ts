/**
 * `ved caption --post-process` and `ved eval --post-process`: Nougat's `post_process_generation` on each decoded text
 * (fixtures/decoders/nougat-mbart, a Nougat-shaped checkpoint), refused for other checkpoints.
 * The clean-up itself is checked against Python in core's nougat-post-process.test.ts.
 */
import { describe, expect, it, vi } from 'vitest';
import { UsageError } from './args.js';
import { runCaption } from './caption.js';
import { runEval } from './eval.js';
import { REPO_ROOT, fixturePath } from '../test-utils/fixtures.js';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const NOUGAT = fixturePath('decoders', 'nougat-mbart');
const IMAGES = ['rgba_33x20.png', 'rgb_17x53.png', 'rgb_64x20.png'].map((f) => join(REPO_ROOT, 'fixtures', 'images', f));

async function caption(args: string[], run: () => Promise<void> = () => runCaption(args)): Promise<{ lines: string[]; error?: unknown }> {
  const lines: string[] = [];
  const write = vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => (lines.push(...String(chunk).split('\n').filter(Boolean)), true));
  try {
    await run();
    return { lines };
  } catch (error) {
    return { lines, error };
  } finally {
    write.mockRestore();
  }
}

describe('ved eval --post-process', () => {
  it('scores the post-processed texts (what Python scores after post_process_generation)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ved-eval-pp-'));
    try {
      const manifest = join(dir, 'manifest.jsonl');
      // The greedy texts of two images, as NougatTokenizer().post_process_single returns them (a trailing space).
      writeFileSync(manifest, `${JSON.stringify({ image: IMAGES[1], text: 'on on on on on on on on on ' })}\n${JSON.stringify({ image: IMAGES[2], text: 'and andDDDDDDD ' })}\n`);
      const score = async (extra: string[]) => JSON.parse((await caption([], () => runEval(['--manifest', manifest, '--model', NOUGAT, '--max-new-tokens', '10', '--json', ...extra]))).lines[0]!);
      expect(await score(['--post-process'])).toEqual({ images: 2, exact_match: 1, cer: 0, wer: 0 });
      expect((await score([])).exact_match).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('ved caption --post-process', () => {
  it('adds Nougat\'s cleaned-up text ("post_processed"), as Python\'s post_process_single gives it, and prints it in plain output', async () => {
    const flags = [...IMAGES, '--model', NOUGAT, '--max-new-tokens', '10'];
    const json = await caption([...flags, '--json', '--post-process']);
    expect(json.error).toBeUndefined();
    const entries = json.lines.map((l) => JSON.parse(l).sequences[0]);
    expect(entries.map((e) => e.text)).toEqual(['', 'on on on on on on on on on', 'and andDDDDDDD']);
    // NougatTokenizer().post_process_single(text) for those texts (with or without fix_markdown).
    expect(entries.map((e) => e.post_processed)).toEqual([' ', 'on on on on on on on on on ', 'and andDDDDDDD ']);
    const plain = await caption([...flags, '--post-process', '--no-fix-markdown']);
    expect(plain.lines.map((l) => l.split('\t')[1])).toEqual([' ', 'on on on on on on on on on ', 'and andDDDDDDD ']);
  });

  it('is refused for a checkpoint without Nougat\'s processor, and --no-fix-markdown needs it', async () => {
    const other = await caption([IMAGES[1]!, '--model', fixturePath('models', 'vit-gpt2-a'), '--post-process']);
    expect(other.error).toMatchObject({ code: 'INVALID_OPTION', message: expect.stringMatching(/postProcessGeneration is Nougat's text clean-up .* uses ViTImageProcessor/) });
    expect(other.lines).toEqual([]);
    expect((await caption([IMAGES[1]!, '--model', NOUGAT, '--no-fix-markdown'])).error).toBeInstanceOf(UsageError);
  });
});
