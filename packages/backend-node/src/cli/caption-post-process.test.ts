/**
 * `ved caption --post-process`: Nougat's `post_process_generation` on each decoded text
 * (fixtures/decoders/nougat-mbart, a Nougat-shaped checkpoint), refused for other checkpoints.
 * The clean-up itself is checked against Python in core's nougat-post-process.test.ts.
 */
import { describe, expect, it, vi } from 'vitest';
import { UsageError } from './args.js';
import { runCaption } from './caption.js';
import { REPO_ROOT, fixturePath } from '../test-utils/fixtures.js';
import { join } from 'node:path';

const NOUGAT = fixturePath('decoders', 'nougat-mbart');
const IMAGES = ['rgba_33x20.png', 'rgb_17x53.png', 'rgb_64x20.png'].map((f) => join(REPO_ROOT, 'fixtures', 'images', f));

async function caption(args: string[]): Promise<{ lines: string[]; error?: unknown }> {
  const lines: string[] = [];
  const write = vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => (lines.push(...String(chunk).split('\n').filter(Boolean)), true));
  try {
    await runCaption(args);
    return { lines };
  } catch (error) {
    return { lines, error };
  } finally {
    write.mockRestore();
  }
}

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
