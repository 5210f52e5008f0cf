/**
 * onnxruntime-node hands every output of a run to JavaScript in a new buffer (its binding copies even into
 * pre-allocated outputs and returns its own copy), and a generation's outputs are soon garbage: every
 * decoder step returns the whole self-attention cache again, and the images' cross keys/values are dropped
 * when the generation ends (116 MB for 8 images on ViT-B/16 + GPT-2). V8 collects when its own heap asks
 * for it, which buffers outside that heap seldom make it do, so they piled up: a second batch of 8 images
 * peaked ~150 MiB above the first. So the runtime counts the bytes that runs returned, and before an
 * encoder run — where a generation's largest allocations start — collects once they pass a budget:
 * about one full collection (10–30 ms here) per batch of 8 images or per four single-image generations
 * (docs/bench.md).
 */
import type * as ort from 'onnxruntime-node';
import { collectGarbage } from './collect-garbage.js';

/** Bytes of outputs returned to JavaScript since the last collection, over every session of the process. */
let returned = 0;

/** Whether `reclaimOutputs` may collect at all in this process (see `setOutputReclaim`). */
let enabled = true;

/**
 * Turns the collection off (or on again) for the whole process. `ved serve` turns it off: a long-lived
 * server's memory is bounded by its batch and queue, and there the collections cost throughput — ViT-B/16 +
 * GPT-2 in q8 at 16 clients (`bench:serve --quick`, four alternating runs each) served 6.43–7.36 images/s
 * without them and 5.73–7.52 with them (medians ~7.1 and ~6.3).
 */
export function setOutputReclaim(on: boolean): void {
  enabled = on;
}

/** Output bytes after which `reclaimOutputs` collects. */
export const OUTPUT_BUDGET_BYTES = 128 * 1024 * 1024;

/** Makes `session.run` count the bytes of the outputs it returns. */
export function countOutputs<S extends ort.InferenceSession>(session: S): S {
  const run = session.run.bind(session) as (...args: unknown[]) => Promise<ort.InferenceSession.ReturnType>;
  const counted = async (...args: unknown[]) => {
    const out = await run(...args);
    for (const t of Object.values(out)) returned += (t.data as { byteLength?: number }).byteLength ?? 0;
    return out;
  };
  Object.defineProperty(session, 'run', { value: counted, configurable: true, writable: true });
  return session;
}

/** A full collection when runs returned at least `budgetBytes` since the last one; true when it collected. */
export function reclaimOutputs(budgetBytes = OUTPUT_BUDGET_BYTES, collect: () => void = collectGarbage): boolean {
  if (!enabled || returned < budgetBytes) return false;
  returned = 0;
  collect();
  return true;
}

/** Bytes counted since the last collection (for tests). */
export function outputBytesSinceCollection(): number {
  return returned;
}
