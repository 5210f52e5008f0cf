/**
 * `StopStringCriteria`: a row is done when one of the stop strings ends
 * inside its last token, i.e. the text of the last tokens contains the stop
 * string and the match reaches into the final token (it cannot lie entirely
 * in earlier tokens: those were checked at their own step).
 *
 * Python precomputes, for every vocabulary entry, where its text can sit in
 * each stop string, to match with tensor ops. The same rule is checked here
 * directly on the tokenizer's text of the last tokens: at most
 * `stopString.length` tokens are looked at (every token yields at least one
 * character), as Python does. Python matches byte-level vocabularies on UTF-8
 * bytes; decoding may turn an incomplete multi-byte character into U+FFFD,
 * so a stop string that ends in the middle of a character can be missed.
 */
import { VedError } from '@ved/core';
import type { InputIds } from '../scores.js';
import type { StoppingCriteria } from './stopping-criteria.js';

/** What stop strings and text streamers need from a tokenizer. */
export interface TokenDecoder {
  decode(ids: readonly number[], options?: { skipSpecialTokens?: boolean }): string;
}

export class StopStringCriteria implements StoppingCriteria {
  readonly stopStrings: readonly string[];
  private readonly maxTokens: number;
  private readonly cache = new Map<number, string>();

  constructor(
    readonly tokenizer: TokenDecoder,
    stopStrings: string | readonly string[],
  ) {
    this.stopStrings = typeof stopStrings === 'string' ? [stopStrings] : [...stopStrings];
    if (this.stopStrings.length === 0 || this.stopStrings.some((s) => typeof s !== 'string' || s.length === 0)) {
      throw new VedError('INVALID_OPTION', `"stopStrings" must hold non-empty strings, got ${JSON.stringify(stopStrings)}.`);
    }
    this.maxTokens = Math.max(...this.stopStrings.map((s) => s.length));
  }

  private tokenText(id: number): string {
    let text = this.cache.get(id);
    if (text === undefined) {
      text = this.tokenizer.decode([id]);
      this.cache.set(id, text);
    }
    return text;
  }

  isDone(inputIds: InputIds): boolean[] {
    return inputIds.map((ids) => this.stopStringAtEnd(ids));
  }

  private stopStringAtEnd(ids: readonly number[]): boolean {
    const tail = ids.slice(Math.max(0, ids.length - this.maxTokens));
    if (tail.length === 0) return false;
    const texts = tail.map((id) => this.tokenText(id));
    const text = texts.join('');
    const lastStart = text.length - texts[texts.length - 1]!.length;
    for (const stop of this.stopStrings) {
      // An occurrence that ends inside the last token: end in (lastStart, text.length].
      for (let end = text.length; end > lastStart; end--) {
        if (end >= stop.length && text.startsWith(stop, end - stop.length)) return true;
      }
    }
    return false;
  }
}
