/**
 * Every encoder and decoder golden fixture (tools/reference/make_encoder_fixtures.py,
 * make_decoder_fixtures.py) end to end through backend-node, against Python transformers 5.18: the
 * pipeline from the image files (sharp decoding + the image processor within 1e-5 of Python's
 * pixel_values, same greedy ids and texts), and for the decoder fixtures `ved caption --json`. The
 * architectures' own golden tests (in their packages, with @ved/testing) check the graphs; these need
 * the backend.
 */
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { loadGoldenFixture } from '@ved/testing';
import { describeGolden } from '@ved/testing/vitest';
import '../register-builtins.js';
import { backendPipeline } from '../test-utils/pipeline-hook.js';
import { REPO_ROOT, fixturePath } from '../test-utils/fixtures.js';

/** The golden fixtures under fixtures/<kind>/ (directories with reference/reference.json). */
function goldenDirs(kind: string): string[] {
  const root = fixturePath(kind);
  return readdirSync(root)
    .sort()
    .map((name) => join(root, name))
    .filter((dir) => existsSync(join(dir, 'reference', 'reference.json')));
}

const encoderFixtures = goldenDirs('encoders');
const decoderFixtures = goldenDirs('decoders');

describeGolden([...encoderFixtures, ...decoderFixtures], { pipeline: backendPipeline, select: (name) => name.startsWith('pipeline:') });

describe.each(decoderFixtures)('%s', (dir) => {
  const ref = loadGoldenFixture(dir);
  it('`ved caption --json` prints Python\'s greedy and beam ids and texts', async () => {
    const { runCaption } = await import('../cli/caption.js');
    const images = ref.json.images!.map((p) => join(REPO_ROOT, p));
    const caption = async (flags: string[]) => {
      const lines: string[] = [];
      const write = vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => (lines.push(String(chunk)), true));
      try {
        await runCaption([...images, '--model', ref.dir, '--json', ...flags]);
      } finally {
        write.mockRestore();
      }
      return lines.join('').trim().split('\n').map((l) => JSON.parse(l) as { sequences: Array<{ ids: number[]; text: string }> });
    };
    const beam = ref.json.beam!;
    const greedy = await caption(['--max-new-tokens', String(ref.json.greedy.max_new_tokens)]);
    expect(greedy.map((l) => l.sequences[0]!.ids)).toEqual(ref.json.greedy.sequences);
    expect(greedy.map((l) => l.sequences[0]!.text)).toEqual(ref.json.greedy_text);
    const beamed = await caption(['--max-new-tokens', String(beam.max_new_tokens), '--num-beams', String(beam.num_beams)]);
    expect(beamed.map((l) => l.sequences[0]!.ids)).toEqual(beam.sequences);
    expect(beamed.map((l) => l.sequences[0]!.text)).toEqual(ref.json.beam_text);
  });
});
