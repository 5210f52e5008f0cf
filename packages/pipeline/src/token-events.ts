/**
 * `onToken`: a `Streamer` (@ved/generation, Python's streamer protocol) that
 * reports every step's new tokens and each row's generated text so far, and
 * the replay of finished sequences as the same events (beam search, whose
 * tokens are only known at the end).
 */
import type { Streamer } from '@ved/generation';

export interface TokenEvent {
  /** 0 for the first generated token. */
  step: number;
  /** The new token of every row (pad for rows already finished). */
  tokens: number[];
  /** Every row's generated text so far (special tokens skipped), when the model has a tokenizer. */
  texts: string[];
}

export type TokenCallback = (event: TokenEvent) => void;

/** A streamer calling `onToken` after every step; `decode` turns a row's generated ids into text. */
export function tokenStreamer(onToken: TokenCallback, decode?: (ids: number[]) => string): Streamer {
  let rows: number[][] | undefined;
  let step = 0;
  return {
    put(value) {
      if (rows === undefined) {
        // The first call carries the prompt rows; only generated tokens are reported.
        rows = (value as readonly (readonly number[])[]).map(() => []);
        return;
      }
      const tokens = [...(value as readonly number[])];
      tokens.forEach((t, r) => rows![r]!.push(t));
      onToken({ step: step++, tokens, texts: decode === undefined ? [] : rows.map(decode) });
    },
    end() {},
  };
}

/**
 * Feeds finished sequences to a streamer as if they had been generated step by
 * step: the prompt rows, then one token per row per step (`promptLength`
 * tokens are the prompt), then `end()`.
 */
export function replaySequences(streamer: Streamer, sequences: readonly (readonly number[])[], promptLength: number): void {
  streamer.put(sequences.map((s) => s.slice(0, promptLength)));
  const length = Math.max(...sequences.map((s) => s.length));
  for (let i = promptLength; i < length; i++) streamer.put(sequences.map((s) => s[i]!));
  streamer.end();
}
