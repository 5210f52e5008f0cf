/**
 * Property-based fuzzing (fast-check, fixed seeds, bounded runs) of loading and running an ONNX export
 * (the transformers.js / Optimum layout): a fixture's `encoder_model.onnx` or `decoder_model_merged.onnx`
 * with bytes edited, loaded through the pipeline and run for a few tokens. The property: loading and
 * generating either succeed or throw a `VedError` naming the file, never anything else. Three fixtures
 * by default (merged, split and fp16 graphs); `ONNX_FUZZ=name,…`, `FUZZ_SEED` and `FUZZ_RUNS` explore further.
 */
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, it } from 'vitest';
import { OnnxExportModel, VedError } from '@ved/core';
import { generate, modelGenerationConfig } from '@ved/generation';
import '../register-builtins.js';
import { DirectoryFiles } from '../directory-files.js';
import { nodeRuntime } from '../runtime.js';
import { ONNX_FIXTURES, onnxReferences, referencePixels } from '../exports/onnx-fixtures.js';

const work = mkdtempSync(join(tmpdir(), 'ved-onnx-fuzz-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

function mutate(base: Uint8Array, edits: readonly { kind: number; at: number; value: number }[]): Uint8Array {
  let bytes = base.slice();
  for (const e of edits) {
    const at = bytes.length === 0 ? 0 : e.at % bytes.length;
    if (e.kind === 0) bytes[at] = e.value;
    else if (e.kind === 1) bytes = new Uint8Array([...bytes.subarray(0, at), ...bytes.subarray(at + 1 + (e.value % 16))]);
    else bytes = bytes.slice(0, at);
  }
  return bytes;
}

const edits = fc.array(fc.record({ kind: fc.integer({ min: 0, max: 2 }), at: fc.nat(), value: fc.integer({ min: 0, max: 255 }) }), { minLength: 1, maxLength: 3 });

let cases = 0;
for (const name of (process.env.ONNX_FUZZ ?? 'vit-gpt2-a,deit-bert,deit-bart').split(',')) {
  describe(`ONNX export ${name} under fuzzing`, () => {
    const ref = onnxReferences().find((r) => r.name === name)!;
    const src = join(ONNX_FIXTURES, name);
    const pixels = referencePixels(ref);
    for (const graph of readdirSync(join(src, 'onnx')).filter((f) => f.endsWith('.onnx'))) {
      it(`${graph} with bytes edited`, async () => {
        const original = new Uint8Array(readFileSync(join(src, 'onnx', graph)));
        await fc.assert(
          fc.asyncProperty(edits, async (e) => {
            const dir = join(work, `c${cases++}`);
            mkdirSync(join(dir, 'onnx'), { recursive: true });
            for (const f of readdirSync(src)) if (f.endsWith('.json')) copyFileSync(join(src, f), join(dir, f));
            for (const f of readdirSync(join(src, 'onnx'))) copyFileSync(join(src, 'onnx', f), join(dir, 'onnx', f));
            writeFileSync(join(dir, 'onnx', graph), mutate(original, e));
            try {
              const model = await OnnxExportModel.fromPretrained(new DirectoryFiles(dir), nodeRuntime, {});
              try {
                const modelGeneration = modelGenerationConfig(model.config.raw, model.generationConfigJson, model.config.fileName);
                await generate(model, { pixelValues: pixels, modelGenerationConfig: modelGeneration }, { maxNewTokens: 3 });
              } finally {
                await model.dispose();
              }
            } catch (err) {
              if (!(err instanceof VedError)) throw new Error(`not a VedError: ${(err as Error)?.stack ?? String(err)}`);
            } finally {
              rmSync(dir, { recursive: true, force: true });
            }
          }),
          { seed: Number(process.env.FUZZ_SEED ?? 2026), numRuns: Number(process.env.FUZZ_RUNS ?? 30) },
        );
      }, 120_000);
    }
  });
}
