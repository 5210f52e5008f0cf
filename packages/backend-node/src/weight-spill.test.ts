/**
 * weight-spill.ts: the weights a load computes go to a temporary file that
 * onnxruntime reads, the logits are exactly those of the same weights inside
 * the serialised graph, and nothing is left behind.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GraphBuilder, VisionEncoderDecoderModel, type PixelBatch, type Runtime } from '@ved/core';
import './register-builtins.js';
import { DirectoryFiles } from './directory-files.js';
import { nodeRuntime } from './runtime.js';
import { createWeightSpill } from './weight-spill.js';
import { loadModelReference } from './test-utils/fixtures.js';

const root = mkdtempSync(join(tmpdir(), 'ved-spill-test-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('createWeightSpill', () => {
  it('writes each tensor on a page boundary of one file, and deletes it on dispose', () => {
    const dir = mkdtempSync(join(root, 'unit-'));
    const spill = createWeightSpill(dir)!;
    const a = spill.write(Uint8Array.from([1, 2, 3]))!;
    const b = spill.write(new Uint8Array(5000).fill(7))!;
    const c = spill.write(Uint8Array.from([9]))!;
    expect([a.offset, b.offset, c.offset]).toEqual([0, 4096, 12288]);
    expect(a.file).toBe(b.file);
    expect(spill.bytesWritten).toBe(5004);
    const bytes = readFileSync(a.file);
    expect([...bytes.subarray(0, 3)]).toEqual([1, 2, 3]);
    expect(bytes.subarray(4096, 9096).every((x) => x === 7)).toBe(true);
    expect(bytes[12288]).toBe(9);
    spill.dispose();
    expect(readdirSync(dir)).toEqual([]);
    spill.dispose(); // idempotent
  });

  it('a folder it cannot write to stops it, saying why (the weights then stay in memory)', () => {
    const spill = createWeightSpill(join(root, 'missing', 'deeper'))!;
    expect(spill.write(new Uint8Array(2048))).toBeUndefined();
    expect(spill.error).toContain(join(root, 'missing', 'deeper'));
    expect(spill.error).toContain('TMPDIR');
    expect(spill.write(new Uint8Array(2048))).toBeUndefined();
    expect(spill.bytesWritten).toBe(0);
    spill.dispose();
  });

  it('the graph builder points large computed initializers at the file, small ones stay inline', () => {
    const spill = createWeightSpill(mkdtempSync(join(root, 'graph-')))!;
    const g = new GraphBuilder('g', spill);
    g.initializer('big', 'float32', [512], new Float32Array(512).fill(1));
    g.initializer('small', 'float32', [4], new Float32Array(4));
    const built = g.build();
    expect(built.externalData).toEqual([]);
    expect(built.diskFiles).toHaveLength(1);
    expect(built.diskFiles![0]).toMatch(/ved-weights-[^/]+\/weights\.bin$/);
    expect(spill.bytesWritten).toBe(2048);
    spill.dispose();
  });
});

describe('a load with computed weights', () => {
  const ref = loadModelReference('vit-gpt2-a');
  const pixelValues: PixelBatch = { data: ref.tensors.getFloat32('pixel_values'), dims: ref.tensors.info('pixel_values').shape as PixelBatch['dims'] };

  for (const dtype of ['q8', 'q4', 'fp16'] as const) {
    it(`${dtype}: the same logits as with the weights inside the graph, and no file left`, async () => {
      const dir = mkdtempSync(join(root, `${dtype}-`));
      let spills = 0;
      const spilling: Runtime = { ...nodeRuntime, createWeightSpill: () => (spills++, createWeightSpill(dir)) };
      const inline: Runtime = { ...nodeRuntime, createWeightSpill: undefined };
      const logits = async (runtime: Runtime) => {
        const model = await VisionEncoderDecoderModel.fromPretrained(new DirectoryFiles(ref.dir), runtime, { dtype });
        try {
          return (await model.logits(pixelValues, ref.json.decoder_input_ids)).data;
        } finally {
          await model.dispose();
        }
      };
      const [a, b] = [await logits(spilling), await logits(inline)];
      expect(spills).toBe(2); // one per graph
      expect(readdirSync(dir)).toEqual([]);
      expect(a).toEqual(b);
    });
  }

  it('an unwritable temporary folder: the load warns, naming it, and the logits are the same', async () => {
    const warnings: string[] = [];
    const unwritable: Runtime = { ...nodeRuntime, createWeightSpill: () => createWeightSpill(join(root, 'nowhere', 'at-all')) };
    const model = await VisionEncoderDecoderModel.fromPretrained(new DirectoryFiles(ref.dir), unwritable, { dtype: 'q8', onWarning: (m) => warnings.push(m) });
    const inline = await VisionEncoderDecoderModel.fromPretrained(new DirectoryFiles(ref.dir), { ...nodeRuntime, createWeightSpill: undefined }, { dtype: 'q8' });
    try {
      expect(warnings).toHaveLength(1);
      expect(warnings[0]).toContain(join(root, 'nowhere', 'at-all'));
      expect(warnings[0]).toContain('stay in memory');
      const run = async (m: VisionEncoderDecoderModel) => (await m.logits(pixelValues, ref.json.decoder_input_ids)).data;
      expect(await run(model)).toEqual(await run(inline));
    } finally {
      await Promise.all([model.dispose(), inline.dispose()]);
    }
  });

});
