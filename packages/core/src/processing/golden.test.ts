/**
 * Golden tests against transformers 5.18 (PIL backend) and Pillow, from
 * fixtures/processing (written by tools/reference/make_processing_fixtures.py).
 * The inputs are the uint8 arrays PIL decoded, so these tests do not depend on
 * an image decoder.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { VedError } from '../errors.js';
import { ImageProcessor } from './image-processor.js';
import { pilResize } from './pil-resize.js';
import type { RawImage } from './raw-image.js';
import { RESAMPLE_NAMES, type PilResampleFilter } from './resample.js';

const DIR = fileURLToPath(new URL('../../../../fixtures/processing/', import.meta.url));

interface Tensor {
  dtype: string;
  shape: number[];
  bytes: Uint8Array;
}

/** Minimal safetensors reader (U8 / F32 only), enough for the fixtures. */
function readSafetensors(file: string): Map<string, Tensor> {
  const buf = new Uint8Array(readFileSync(DIR + file));
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const headerLen = Number(view.getBigUint64(0, true));
  const header = JSON.parse(new TextDecoder().decode(buf.subarray(8, 8 + headerLen))) as Record<string, { dtype: string; shape: number[]; data_offsets: [number, number] }>;
  const out = new Map<string, Tensor>();
  for (const [name, t] of Object.entries(header)) {
    if (name === '__metadata__') continue;
    const [a, b] = t.data_offsets;
    out.set(name, { dtype: t.dtype, shape: t.shape, bytes: buf.slice(8 + headerLen + a, 8 + headerLen + b) });
  }
  return out;
}

function f32(t: Tensor): Float32Array {
  expect(t.dtype).toBe('F32');
  return new Float32Array(t.bytes.buffer, t.bytes.byteOffset, t.bytes.byteLength / 4);
}

interface ImageEntry {
  name: string;
  mode: string;
  width: number;
  height: number;
  channels: 1 | 2 | 3 | 4;
  /** Absent for files PIL decodes to something other than uint8 (decoder tests only). */
  key?: string;
}
interface ProcessorCase {
  id: string;
  images: string[];
  config: Record<string, unknown>;
  processor_class: string;
  shape?: number[];
  error?: { type: string; message: string };
}
interface ResizeCase {
  id: string;
  image: string;
  mode: 'L' | 'LA' | 'RGB' | 'RGBA';
  width: number;
  height: number;
  resample: PilResampleFilter;
  /** `Image.resize(..., reducing_gap=…)` (Nougat's thumbnail). */
  reducing_gap?: number;
}

const meta = JSON.parse(readFileSync(DIR + 'cases.json', 'utf8')) as { images: ImageEntry[]; cases: ProcessorCase[]; resize: ResizeCase[] };
const decoded = readSafetensors('decoded.safetensors');
const expected = readSafetensors('expected.safetensors');
const resized = readSafetensors('resize.safetensors');

const images = new Map<string, RawImage>(
  meta.images.flatMap((e) => {
    if (e.key === undefined) return [];
    const t = decoded.get(e.key)!;
    expect(t.shape).toEqual([e.height, e.width, e.channels]);
    return [[e.name, { width: e.width, height: e.height, channels: e.channels, data: t.bytes }] as const];
  }),
);

function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

/** Worst difference per filter, printed at the end for the record. */
const worstByFilter = new Map<string, number>();

describe('ImageProcessor matches transformers (PIL backend)', () => {
  for (const c of meta.cases) {
    it(c.id, () => {
      const inputs = c.images.map((n) => images.get(n)!);
      if (c.error !== undefined) {
        let thrown: unknown;
        try {
          ImageProcessor.fromJson(c.config).preprocess(inputs);
        } catch (e) {
          thrown = e;
        }
        expect(thrown, `Python raised ${c.error.type}: ${c.error.message}`).toBeInstanceOf(VedError);
        return;
      }
      const proc = ImageProcessor.fromJson(c.config);
      expect(`${proc.config.imageProcessorType}Pil`).toBe(c.processor_class);
      const out = proc.preprocess(inputs);
      expect(out.dims).toEqual(c.shape);
      const want = f32(expected.get(c.id)!);
      expect(out.data.length).toBe(want.length);
      const diff = maxAbsDiff(out.data, want);
      const filter = proc.config.doResize && proc.config.resample !== null ? RESAMPLE_NAMES[proc.config.resample] : 'none';
      worstByFilter.set(filter, Math.max(worstByFilter.get(filter) ?? 0, diff));
      expect(diff).toBeLessThanOrEqual(1e-5);
    });
  }
});

describe('pilResize matches PIL Image.resize (uint8)', () => {
  for (const c of meta.resize) {
    it(c.id, () => {
      const src = images.get(c.image)!;
      const img: RawImage = c.mode === 'L' && src.channels !== 1 ? { ...src, channels: 1, data: src.data.filter((_, i) => i % src.channels === 0) } : src;
      const out = pilResize(img, c.width, c.height, c.resample, c.reducing_gap !== undefined ? { reducingGap: c.reducing_gap } : {});
      const want = resized.get(c.id)!;
      expect(want.dtype).toBe('U8');
      expect([out.height, out.width, out.channels]).toEqual(want.shape);
      let worst = 0;
      for (let i = 0; i < want.bytes.length; i++) worst = Math.max(worst, Math.abs(out.data[i]! - want.bytes[i]!));
      const key = `resize ${RESAMPLE_NAMES[c.resample]}${c.reducing_gap !== undefined ? ' with reducing_gap' : ''} (uint8 levels)`;
      worstByFilter.set(key, Math.max(worstByFilter.get(key) ?? 0, worst));
      expect(worst).toBe(0);
    });
  }
});

afterAll(() => {
  const lines = [...worstByFilter.entries()].sort().map(([k, v]) => `  ${k}: ${v}`);
  console.log(`max abs diff per filter:\n${lines.join('\n')}`);
});
