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

export function generateStream(
  model: EncoderDecoderLM,
  inputs: Omit<GenerateInputs, 'streamer'> & StreamOptions,
  options: GenerationOptions = {},
): GenerationStream {
  const queue: StreamChunk[] = [];
  let wake: (() => void) | undefined;
  let finished = false;
  let failure: unknown;
  const controller = new AbortController();
  const signal = inputs.signal ? AbortSignal.any([inputs.signal, controller.signal]) : controller.signal;
  const push = (chunk: StreamChunk) => {
    queue.push(chunk);
    wake?.();
  };

  let texts: TextAccumulator[] | undefined;
  let step = -1;
  const streamer: Streamer = {
    put(value) {
      const isPrompt = value.length > 0 && Array.isArray(value[0]);
      if (isPrompt) {
        const tokenizer = inputs.tokenizer;
        texts = tokenizer ? value.map(() => new TextAccumulator(tokenizer, inputs.decodeOptions)) : undefined;
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

  const { tokenizer: _t, decodeOptions: _d, ...rest } = inputs;
  const result = generate(model, { ...rest, signal, streamer }, options).then(
    (out) => {
      finished = true;
      wake?.();
      return out;
    },
    (err: unknown) => {
      finished = true;
      failure = err;
      wake?.();
      throw err;
    },
  );
  result.catch(() => {}); // the iterator or the caller of `result` sees the error

  return {
    result,
    [Symbol.asyncIterator](): AsyncIterator<StreamChunk> {
      return {
        async next(): Promise<IteratorResult<StreamChunk>> {
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
        async return(): Promise<IteratorResult<StreamChunk>> {
          if (!finished) controller.abort(new DOMException('The stream was closed before generation finished.', 'AbortError'));
          await result.catch(() => {});
          return { value: undefined, done: true };
        },
      };
    },
  };
}
