/** The onnxruntime-node implementation of core's `Runtime`. */
import { totalmem } from 'node:os';
import * as ort from 'onnxruntime-node';
import type { Runtime } from '@ved/core';
import { collectGarbage } from './collect-garbage.js';
import { openCachedSession } from './session-cache.js';
import { createWeightSpill } from './weight-spill.js';
import { countOutputs, reclaimOutputs } from './output-garbage.js';

type SessionOptions = ort.InferenceSession.SessionOptions & { extra?: Record<string, Record<string, string>> };

/**
 * Session options ved adds to the caller's: onnxruntime's intra-op threads do
 * not spin while idle (`session.intra_op.allow_spinning` = 0) unless the caller
 * sets it. Generation runs JavaScript between decoder steps; spinning workers
 * took the cores it needed. Measured on the 2-core bench machine, 3 interleaved
 * runs each: TrOCR-small greedy 281–303 vs 320–335 ms, beam 4 501–599 vs
 * 688–791 ms; ViT-B/16 + GPT-2 greedy 644–648 vs 658–698 ms.
 */
export function nodeSessionOptions(options: SessionOptions = {}): SessionOptions {
  const session = options.extra?.session ?? {};
  if ('intra_op.allow_spinning' in session) return options;
  return { ...options, extra: { ...options.extra, session: { ...session, 'intra_op.allow_spinning': '0' } } };
}

const create = (model: Uint8Array | string, options: SessionOptions) => ort.InferenceSession.create(model as never, options);

export const nodeRuntime: Runtime = {
  name: 'onnxruntime-node (cpu)',
  createSession: async (model, options, hints) => {
    const full: SessionOptions = { executionProviders: ['cpu'], graphOptimizationLevel: 'all', ...nodeSessionOptions(options as SessionOptions) };
    if (hints?.cache === undefined || hints.cache === false) return countOutputs(await create(model, full));
    // The optimized-session cache (session-cache.ts): `cache: true` is the default directory.
    return countOutputs(await openCachedSession({ model, options: full, hints, create, onnxruntimeVersion: ort.env.versions.node ?? ort.env.versions.common }));
  },
  tensor: (type, data, dims) => new ort.Tensor(type, data as never, dims),
  memoryBytes: totalmem(),
  collectGarbage,
  reclaimOutputs: () => void reclaimOutputs(),
  createWeightSpill: () => createWeightSpill(),
  encoderMemoryArena: { q8: false, q4: false },
  decoderMemoryArena: false,
  encoderOutputsInPlace: true,
};
