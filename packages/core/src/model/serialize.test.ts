import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { configJson, generationConfigJson, partsFile, savedFileSize } from './serialize.js';

describe('partsFile', () => {
  it('joins its parts only when bytes are read, a new copy each time', () => {
    const parts = [Uint8Array.of(1, 2), new Uint8Array(0), Uint8Array.of(3)];
    const file = partsFile('x.bin', parts);
    expect(file.parts).toBe(parts);
    expect(savedFileSize(file)).toBe(3);
    expect([...file.bytes]).toEqual([1, 2, 3]);
    expect(file.bytes).not.toBe(file.bytes);
  });

  it('savedFileSize of a plain file is its byte length', () => {
    expect(savedFileSize({ name: 'a', bytes: new Uint8Array(5) })).toBe(5);
  });
});

describe('configJson / generationConfigJson', () => {
  const ROOT = fileURLToPath(new URL('../../../../', import.meta.url));
  /** Every config.json and generation_config.json under fixtures/ (Python's save_pretrained wrote them, or ved's, checked by Python). */
  function configFiles(dir: string): string[] {
    return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
      const path = join(dir, e.name);
      if (e.isDirectory()) return configFiles(path);
      return e.name === 'config.json' || e.name === 'generation_config.json' ? [path] : [];
    });
  }

  it("writes every fixture's config as transformers wrote it, byte for byte (floats that hold integers included: \"mlp_ratio\": 4.0)", () => {
    const files = configFiles(join(ROOT, 'fixtures'));
    expect(files.length).toBeGreaterThan(100);
    for (const file of files) {
      const text = readFileSync(file, 'utf8');
      const value = JSON.parse(text) as unknown;
      expect(file.endsWith('generation_config.json') ? generationConfigJson(value) : configJson(value), file).toBe(text);
    }
  });

  it("writes the fields a model_type's Python config holds as floats as floats, from any number; others as read", () => {
    const config = {
      model_type: 'vision-encoder-decoder',
      encoder: { model_type: 'donut-swin', mlp_ratio: 4, layer_norm_eps: 1e-5, depths: [2, 2], image_size: [2560, 1920] },
      decoder: { model_type: 'mbart', decoder_layerdrop: 0, d_model: 1024, dropout: 0.1, init_std: 0.02 },
      // a model_type transformers does not have: the names that are floats in every config class
      extra: { model_type: 'my-own', initializer_range: 1, hidden_size: 8 },
    };
    const text = configJson(config);
    for (const line of ['"mlp_ratio": 4.0', '"layer_norm_eps": 1e-05', '"decoder_layerdrop": 0.0', '"d_model": 1024', '"initializer_range": 1.0', '"hidden_size": 8', '"depths": [\n      2,']) {
      expect(text).toContain(line);
    }
    expect(generationConfigJson({ temperature: 1, top_k: 50, max_length: 20 })).toBe('{\n  "max_length": 20,\n  "temperature": 1.0,\n  "top_k": 50\n}\n');
  });
});
