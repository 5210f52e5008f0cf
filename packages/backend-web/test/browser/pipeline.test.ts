/**
 * The browser pipeline loads ONNX exports (the transformers.js / Optimum
 * layout) from a URL as Node does, and `pipeline('image-to-text')` returns
 * transformers.js's output shape. The rest of the shared pipeline runs in the
 * conformance suite (conformance.test.ts, checks/pipeline.ts).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FIXTURES_DIR } from '@ved/conformance/hub-server';
import { openSuite, type Suite } from './suite.js';

describe('ONNX exports in the browser', () => {
  let suite: Suite;
  beforeAll(async () => {
    suite = await openSuite({ isolated: false });
    await suite.call('setup', {});
  });
  afterAll(() => suite?.close());

  it("loads onnx/encoder_model.onnx + onnx/decoder_model_merged.onnx from a URL and gives Python's greedy ids", async () => {
    const exportRef = JSON.parse(readFileSync(join(FIXTURES_DIR, 'onnx/vit-gpt2-a/reference.json'), 'utf8'));
    const modelRef = JSON.parse(readFileSync(join(FIXTURES_DIR, 'models/vit-gpt2-a/reference/reference.json'), 'utf8'));
    const images = (modelRef.images as string[]).map((p) => p.replace(/^fixtures\//, ''));
    const out = await suite.call('exportCaption', '/fixtures/onnx/vit-gpt2-a', images, exportRef.max_new_tokens);
    expect(out.isExport).toBe(true);
    expect(out.sequences).toEqual(exportRef.greedy);
    expect(out.texts).toEqual((modelRef.greedy_text as string[]).map((t) => [{ generated_text: t.trim() }]));
  });
});
