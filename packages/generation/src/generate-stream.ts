/**
 * `generateStream()`: `generate()` as an async iterator of steps. Each chunk
 * holds the new token of every row and, when a tokenizer is given, the text
 * each row finalized at that step (whole words, as `TextStreamer` releases
 * them); a last chunk flushes the rest of the text. Leaving the loop early
 * cancels generation and disposes the session. Greedy search and sampling
 * only (beam search raises, as Python's streamers do).
 */
import type { EncoderDecoderLM } from '@ved/core';
import { generate, type GenerateInputs, type GenerateOutput } from './generate.js';
import type { GenerationOptions } from './generation-config.js';
import type { TokenDecoder } from './stopping/stop-strings.js';
import { TextAccumulator, type Streamer } from './streaming.js';

export interface StreamChunk {
  /** 0-based index of the generated position; the final text flush repeats the last index. */
  step: number;
  /** The new token of every row (pad for rows already finished); empty in the final flush. */
  tokens: number[];
  /** With a tokenizer: the text each row finalized now. */
  text?: string[];
  /** The final flush of the remaining text. */
  done?: true;
}

export interface StreamOptions {
  /** Decodes the text of each row (the generated tokens only). */
  tokenizer?: TokenDecoder;
  decodeOptions?: { skipSpecialTokens?: boolean };
}

export interface GenerationStream extends AsyncIterable<StreamChunk> {
  /** The whole output, as `generate()` returns it (rejects if generation failed or was cancelled). */
  readonly result: Promise<GenerateOutput>;
}

/**
 * The async iterable behind `generateStream()` and the pipeline's `stream()`:
 * `work` pushes chunks while it runs; the iterator yields them in order, ends
 * when `work` settles (rethrowing its error), and, left early, aborts the
 * signal `work` was given (which also follows `outer`) and waits for `work`.
 */
export function chunkStream<R, C = StreamChunk>(
  outer: AbortSignal | undefined,
  work: (push: (chunk: C) => void, signal: AbortSignal) => Promise<R>,
): AsyncIterable<C> & { readonly result: Promise<R> } {
  const queue: C[] = [];
  let wake: (() => void) | undefined;
  let finished = false;
  let failure: unknown;
  const controller = new AbortController();
  const signal = outer ? AbortSignal.any([outer, controller.signal]) : controller.signal;
  const push = (chunk: C) => {
    queue.push(chunk);
    wake?.();
  };
  const settle = () => {
    finished = true;
    wake?.();
  };
  const result = work(push, signal).then(
    (out) => {
      settle();
      return out;
    },
    (err: unknown) => {
      failure = err;
      settle();
      throw err;
    },
  );
  result.catch(() => {}); // the iterator or the caller of `result` sees the error

  return {
    result,
    [Symbol.asyncIterator](): AsyncIterator<C> {
      return {
        async next(): Promise<IteratorResult<C>> {
          for (;;) {
            const chunk = queue.shift();
            if (chunk) return { value: chunk, done: false };
            if (finished) {
              if (failure !== undefined) throw failure;
              return { value: undefined, done: true };
            }
            await new Promise<void>((resolve) => (wake = resolve));
            wake = undefined;
          }
        },
        async return(): Promise<IteratorResult<C>> {
          if (!finished) controller.abort(new DOMException('The stream was closed before generation finished.', 'AbortError'));
          await result.catch(() => {});
          return { value: undefined, done: true };
        },
      };
    },
  };
}

export function generateStream(
  model: EncoderDecoderLM,
  inputs: Omit<GenerateInputs, 'streamer'> & StreamOptions,
  options: GenerationOptions = {},
): GenerationStream {
  const { tokenizer, decodeOptions, ...rest } = inputs;
  return chunkStream(inputs.signal, (push, signal) => {
    let texts: TextAccumulator[] | undefined;
    let step = -1;
    const streamer: Streamer = {
      put(value) {
        const isPrompt = value.length > 0 && Array.isArray(value[0]);
        if (isPrompt) {
          texts = tokenizer ? value.map(() => new TextAccumulator(tokenizer, decodeOptions)) : undefined;
          return;
        }
        step += 1;
        const tokens = [...(value as readonly number[])];
        push({ step, tokens, ...(texts ? { text: tokens.map((t, r) => texts![r]!.push([t])) } : {}) });
      },
      end() {
        if (texts) push({ step, tokens: [], text: texts.map((t) => t.flush()), done: true });
      },
    };
    return generate(model, { ...rest, signal, streamer }, options);
  });
}
