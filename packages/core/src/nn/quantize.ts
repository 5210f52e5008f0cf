/**
 * Weight quantization on load, for matrix products x @ W^T with W stored
 * [N, K] (out, in) as Hugging Face linear layers store it:
 *
 * - q8: symmetric per-output-channel int8, run by onnxruntime's
 *   `com.microsoft.DynamicQuantizeMatMul` (activations quantized per call;
 *   the u8×s8 kernels onnxruntime's own `quantize_dynamic` uses);
 * - q4: symmetric 4-bit in blocks of 32 along K, run by
 *   `com.microsoft.MatMulNBits` (accuracy level 4: int8 compute);
 * - fp16: half-precision storage, cast back to float32 in the graph.
 *
 * Written here because it must happen in JavaScript on any checkpoint, with
 * no Python or onnxruntime tooling at load time.
 */
import { float32ToFloat16 } from '../safetensors/index.js';
import type { BuildContext } from './context.js';

export const Q4_BLOCK_SIZE = 32;

/** Weights smaller than this stay float32 (quantizing them saves nothing and costs accuracy). */
export const MIN_QUANTIZED_ELEMENTS = 4096;

/** The weight in [N, K] (out, in) layout: a view when it already is, else a transposed copy. */
function rowsNK(w: Float32Array, n: number, k: number, layout: 'NK' | 'KN'): Float32Array {
  if (layout === 'NK') return w;
  const out = new Float32Array(n * k);
  for (let col = 0; col < k; col++) {
    const src = col * n;
    for (let row = 0; row < n; row++) out[row * k + col] = w[src + row]!;
  }
  return out;
}

/** int8 per output channel: returns B as [K, N] int8 (the layout MatMulInteger takes) and N scales. */
export function quantizeQ8(w: Float32Array, n: number, k: number, layout: 'NK' | 'KN'): { b: Int8Array; scales: Float32Array } {
  const rows = rowsNK(w, n, k, layout);
  const b = new Int8Array(n * k);
  const scales = new Float32Array(n);
  for (let row = 0; row < n; row++) {
    const base = row * k;
    let amax = 0;
    for (let col = 0; col < k; col++) {
      const v = Math.abs(rows[base + col]!);
      if (v > amax) amax = v;
    }
    const scale = amax / 127 || 1;
    scales[row] = scale;
    const inv = 1 / scale;
    for (let col = 0; col < k; col++) {
      const q = Math.round(rows[base + col]! * inv);
      b[col * n + row] = q > 127 ? 127 : q < -127 ? -127 : q;
    }
  }
  return { b, scales };
}

/** 4-bit blocks along K: B as [N, blocks, 16] uint8 (low nibble first, zero point 8) and [N * blocks] scales. */
export function quantizeQ4(w: Float32Array, n: number, k: number, layout: 'NK' | 'KN'): { b: Uint8Array; scales: Float32Array; blocks: number } {
  const rows = rowsNK(w, n, k, layout);
  const block = Q4_BLOCK_SIZE;
  const blocks = Math.ceil(k / block);
  const blob = block / 2;
  const b = new Uint8Array(n * blocks * blob);
  const scales = new Float32Array(n * blocks);
  for (let row = 0; row < n; row++) {
    const base = row * k;
    for (let blk = 0; blk < blocks; blk++) {
      const start = blk * block;
      const end = Math.min(k, start + block);
      let amax = 0;
      for (let col = start; col < end; col++) {
        const v = Math.abs(rows[base + col]!);
        if (v > amax) amax = v;
      }
      const scale = amax / 7 || 1;
      scales[row * blocks + blk] = scale;
      const inv = 1 / scale;
      const offset = (row * blocks + blk) * blob;
      for (let j = 0; j < block; j++) {
        const col = start + j;
        let q = 8;
        if (col < end) {
          const r = Math.round(rows[base + col]! * inv);
          q = (r > 7 ? 7 : r < -8 ? -8 : r) + 8;
        }
        b[offset + (j >> 1)]! |= (j & 1) === 0 ? q : q << 4;
      }
    }
  }
  return { b, scales, blocks };
}

/**
 * x [.., K] @ W^T for a weight `name` of shape [N, K] (layout 'NK') or the
 * transpose [K, N] ('KN', GPT-2's Conv1D), stored as the context's dtype.
 * Returns undefined when the weight stays float32 (the caller builds its
 * usual op), so float32 graphs are unchanged.
 */
export function quantizedMatMul(ctx: BuildContext, x: string, name: string, n: number, k: number, layout: 'NK' | 'KN', bias?: string): string | undefined {
  const { g, dtype } = ctx;
  if (dtype === 'fp32' || n * k < MIN_QUANTIZED_ELEMENTS) return undefined;
  const shape = layout === 'NK' ? [n, k] : [k, n];
  const full = ctx.fullName(name);
  const w = ctx.read(name, shape);
  let y: string;
  if (dtype === 'q8') {
    const { b, scales } = quantizeQ8(w, n, k, layout);
    y = g.op(
      'DynamicQuantizeMatMul',
      [x, g.initializer(`${full}.q8`, 'int8', [k, n], b), g.initializer(`${full}.q8_scale`, 'float32', [n], scales), g.initializer(`${full}.q8_zero`, 'int8', [n], new Int8Array(n))],
      {},
      { domain: 'com.microsoft' },
    );
  } else if (dtype === 'q4') {
    const { b, scales, blocks } = quantizeQ4(w, n, k, layout);
    y = g.op(
      'MatMulNBits',
      [x, g.initializer(`${full}.q4`, 'uint8', [n, blocks, Q4_BLOCK_SIZE / 2], b), g.initializer(`${full}.q4_scale`, 'float32', [n * blocks], scales)],
      { K: k, N: n, bits: 4, block_size: Q4_BLOCK_SIZE, accuracy_level: 4 },
      { domain: 'com.microsoft' },
    );
  } else {
    // fp16 storage: the weight is cast back to float32 for the product.
    const half = g.initializer(`${full}.fp16`, 'float16', shape, float32ToFloat16(w));
    const w32 = g.op('Cast', [half], { to: 1 });
    y = layout === 'NK' ? g.op('MatMul', [x, g.op('Transpose', [w32], { perm: [1, 0] })]) : g.op('MatMul', [x, w32]);
  }
  return bias === undefined ? y : g.op('Add', [y, bias]);
}
