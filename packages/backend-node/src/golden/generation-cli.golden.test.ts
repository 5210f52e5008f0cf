/**
 * `ved caption` generation flags and the pipeline's generate/stream paths,
 * against the Python calls recorded in fixtures/generation/cases.json
 * (vit-gpt2-a, pixel values from the image files).
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCaption } from '../cli/caption.js';
import { UsageError } from '../cli/args.js';
import { ImageToText } from '../pipeline.js';
import { REPO_ROOT, fixturePath, loadModelReference } from '../test-utils/fixtures.js';

interface Case {
  name: string;
  sequences: number[][];
  sequences_scores?: number[];
}
const cases = new Map(
  (JSON.parse(readFileSync(fixturePath('generation', 'cases.json'), 'utf8')) as { cases: Case[] }).cases.map((c) => [c.name, c] as const),
);
const ref = loadModelReference('vit-gpt2-a');
const images = ref.json.images.map((p) => join(REPO_ROOT, p));

async function caption(args: string[]): Promise<Array<{ image: string; sequences: Array<{ ids: number[]; text: string; score?: number }> }>> {
  const lines: string[] = [];
  const spy = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    lines.push(String(chunk));
    return true;
  });
  try {
    await runCaption([...images, '--model', ref.dir, '--json', ...args]);
  } finally {
    spy.mockRestore();
  }
  return lines.join('').trim().split('\n').map((l) => JSON.parse(l));
}

/** The JSON lines' sequences in Python's order (image-major, best first). */
const flat = (out: Awaited<ReturnType<typeof caption>>) => out.flatMap((l) => l.sequences);

describe('ved caption generation flags', () => {
  let pipe: ImageToText;
  beforeAll(async () => {
    pipe = await ImageToText.fromPretrained(ref.dir);
  });
  afterAll(() => pipe?.dispose());

  it('--num-beams --num-return-sequences: one entry per sequence, in Python\'s order, with Python\'s scores', async () => {
    const expected = cases.get('a-beam-4-nrs-2')!;
    const out = await caption(['--num-beams', '4', '--num-return-sequences', '2', '--max-new-tokens', '10']);
    expect(out.map((l) => l.image)).toEqual(ref.json.images.map((p) => join(REPO_ROOT, p)));
    expect(out.every((l) => l.sequences.length === 2)).toBe(true);
    const seqs = flat(out);
    expect(seqs.map((s) => s.ids)).toEqual(expected.sequences);
    seqs.forEach((s, i) => expect(Math.abs(s.score! - expected.sequences_scores![i]!)).toBeLessThan(1e-4));
    expect(seqs.map((s) => s.text)).toEqual(pipe.tokenizer!.batchDecode(expected.sequences, { skipSpecialTokens: true }));
  });

  it('--generation-config takes Python\'s snake_case keys, inline or from a file; flags win over it', async () => {
    const beam3 = cases.get('a-beam-3')!;
    const inline = await caption(['--generation-config', '{"num_beams": 3, "max_new_tokens": 10}']);
    expect(flat(inline).map((s) => s.ids)).toEqual(beam3.sequences);
    const file = join(mkdtempSync(join(tmpdir(), 'ved-gen-')), 'generation.json');
    writeFileSync(file, JSON.stringify({ num_beams: 5, max_new_tokens: 10, length_penalty: 0.0, early_stopping: 'never' }));
    const fromFile = await caption(['--generation-config', file, '--num-beams', '3']);
    expect(flat(fromFile).map((s) => s.ids)).toEqual(cases.get('a-beam-3-lp0-never')!.sequences);
  });

  it('--early-stopping true and the processor flags', async () => {
    const es = await caption(['--num-beams', '5', '--num-return-sequences', '3', '--early-stopping', 'true', '--max-new-tokens', '10']);
    expect(flat(es).map((s) => s.ids)).toEqual(cases.get('a-beam-5-nrs-3-es')!.sequences);
    const combined = await caption(['--repetition-penalty', '1.4', '--no-repeat-ngram-size', '2', '--min-new-tokens', '4', '--max-new-tokens', '12']);
    expect(flat(combined).map((s) => s.ids)).toEqual(cases.get('a-greedy-combined')!.sequences);
    expect(flat(combined).every((s) => s.score === undefined)).toBe(true);
  });

  it('--do-sample --top-k 1 --seed equals greedy; --temperature/--top-p are accepted', async () => {
    const greedy = cases.get('a-greedy')!;
    const out = await caption(['--do-sample', '--top-k', '1', '--seed', '3', '--temperature', '0.7', '--top-p', '0.9', '--max-new-tokens', '12']);
    expect(flat(out).map((s) => s.ids)).toEqual(greedy.sequences);
  });

  it('rejects bad flag values and bad --generation-config', async () => {
    await expect(runCaption(['x.png', '--model', ref.dir, '--early-stopping', 'maybe'])).rejects.toThrow(UsageError);
    await expect(runCaption(['x.png', '--model', ref.dir, '--num-beams', 'two'])).rejects.toThrow('--num-beams must be a positive integer');
    await expect(runCaption(['x.png', '--model', ref.dir, '--generation-config', '{"num_beamz": 2}'])).rejects.toThrow('unknown generation option "num_beamz"');
    await expect(runCaption(['x.png', '--model', ref.dir, '--generation-config', '{nope'])).rejects.toThrow('is not valid JSON');
  });
});

describe('ImageToText generation paths', () => {
  let pipe: ImageToText;
  beforeAll(async () => {
    pipe = await ImageToText.fromPretrained(ref.dir);
  });
  afterAll(() => pipe?.dispose());

  it('generate() keeps its (images, options) signature and uses the tokenizer for stop strings', async () => {
    const stop = cases.get('a-stop-strings')!;
    const out = await pipe.generate(images, { maxNewTokens: 12, stopStrings: ['NN', 'ggg'] });
    expect(out.sequences).toEqual(stop.sequences);
    expect(out.texts).toEqual(pipe.tokenizer!.batchDecode(stop.sequences, { skipSpecialTokens: true }));
  });

  it('generate() returns beam scores with returnDictInGenerate + outputScores', async () => {
    const beam = cases.get('a-beam-3')!;
    const out = await pipe.generate(images, { numBeams: 3, maxNewTokens: 10, returnDictInGenerate: true, outputScores: true });
    expect(out.sequences).toEqual(beam.sequences);
    out.sequencesScores!.forEach((s, i) => expect(Math.abs(s - beam.sequences_scores![i]!)).toBeLessThan(1e-4));
    expect(out.beamIndices).toHaveLength(images.length);
  });

  it('stream() yields the greedy tokens step by step and the text of each row', async () => {
    const greedy = cases.get('a-greedy')!;
    const stream = await pipe.stream(images, { maxNewTokens: 12 });
    const steps: number[][] = [];
    const text = images.map(() => '');
    for await (const chunk of stream) {
      if (chunk.tokens.length > 0) steps.push(chunk.tokens);
      chunk.text?.forEach((t, r) => (text[r] += t));
    }
    const rows = images.map((_, r) => [greedy.sequences[r]![0]!, ...steps.map((s) => s[r]!)]);
    expect(rows).toEqual(greedy.sequences);
    expect(text).toEqual(greedy.sequences.map((s) => pipe.tokenizer!.decode(s.slice(1), { skipSpecialTokens: true })));
    expect((await stream.result).sequences).toEqual(greedy.sequences);
  });
});
