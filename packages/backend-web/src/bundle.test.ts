/**
 * Bundle hygiene (esbuild, as an app would bundle it): browser-only code (no
 * Node built-ins, no onnxruntime-node or sharp), architectures in lazy chunks,
 * and an app that registers only ViT + GPT-2 ships no other architecture.
 */
import { describe, expect, it } from 'vitest';
// @ts-expect-error: a plain .mjs script without type declarations
import { measureApp } from '../scripts/bundle-size.mjs';

interface Chunk {
  file: string;
  entry: boolean;
  lazy: boolean;
  gzip: number;
  packages: string[];
}
interface App {
  chunks: Chunk[];
  initial: { gzip: number; packages: string[] };
  packages: string[];
}

const ARCHITECTURES = /^@ved\/(encoder|decoder)-/;
const FORBIDDEN = ['onnxruntime-node', 'sharp', '@ved/backend-node'];

describe('bundles', () => {
  it('an app registering only ViT + GPT-2 ships those two, each in its own lazy chunk', async () => {
    const app = (await measureApp('minimal')) as App;
    expect(app.packages.filter((p) => ARCHITECTURES.test(p))).toEqual(['@ved/decoder-gpt2', '@ved/encoder-vit']);
    expect(app.initial.packages.filter((p) => ARCHITECTURES.test(p))).toEqual([]);
    for (const arch of ['@ved/encoder-vit', '@ved/decoder-gpt2']) {
      expect(app.chunks.filter((c) => c.packages.includes(arch)).map((c) => c.lazy)).toEqual([true]);
    }
    for (const p of FORBIDDEN) expect(app.packages).not.toContain(p);
    // Guard against accidental growth: ved + onnxruntime-web's JS, gzip, before any model.
    expect(app.initial.gzip).toBeLessThan(260 * 1024);
  });

  it('the full entry registers every built-in architecture lazily, none up front', async () => {
    const app = (await measureApp('full')) as App;
    const lazy = app.chunks.filter((c) => c.lazy).flatMap((c) => c.packages);
    expect(lazy.filter((p) => ARCHITECTURES.test(p)).sort()).toEqual([
      '@ved/decoder-bart',
      '@ved/decoder-bert',
      '@ved/decoder-gpt2',
      '@ved/decoder-roberta',
      '@ved/decoder-trocr',
      '@ved/encoder-beit',
      '@ved/encoder-deit',
      '@ved/encoder-swin',
      '@ved/encoder-vit',
    ]);
    expect(app.initial.packages.filter((p) => ARCHITECTURES.test(p))).toEqual([]);
    for (const p of FORBIDDEN) expect(app.packages).not.toContain(p);
  });
});
