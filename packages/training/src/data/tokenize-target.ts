/**
 * Target text → label ids as Python's `tokenizer(text, max_length=N,
 * truncation=True).input_ids` gives them: the text's tokens, cut on the right
 * so that, with the special tokens the tokenizer's post-processor adds (BERT's
 * `[CLS] … [SEP]`, BART's `<s> … </s>`; none for GPT-2), the row is at most N
 * long. The Rust tokenizer truncates before post-processing, so the special
 * tokens are kept; so does this (it finds them around the plain encoding).
 */
import { VedError, type Tokenizer } from '@ved/core';

/** `tokenizer(text).input_ids`, truncated to `maxLength` when given. */
export function tokenizeTarget(tokenizer: Pick<Tokenizer, 'encode'>, text: string, maxLength?: number): number[] {
  const full = tokenizer.encode(text);
  if (maxLength === undefined || full.length <= maxLength) return full;
  const plain = tokenizer.encode(text, { addSpecialTokens: false });
  const added = full.length - plain.length;
  const prefix = findPrefixLength(full, plain);
  if (added < 0 || prefix === undefined) {
    throw new VedError('INVALID_INPUT', `Cannot truncate ${JSON.stringify(text)}: the tokenizer's special tokens do not surround the text's tokens.`);
  }
  if (maxLength < added) {
    throw new VedError('INVALID_OPTION', `maxTargetLength is ${maxLength}, but the tokenizer adds ${added} special token(s) to every text.`);
  }
  return [...full.slice(0, prefix), ...plain.slice(0, maxLength - added), ...full.slice(prefix + plain.length)];
}

/** The number of special tokens before `plain` inside `full`. */
function findPrefixLength(full: readonly number[], plain: readonly number[]): number | undefined {
  for (let p = 0; p + plain.length <= full.length; p++) {
    let match = true;
    for (let i = 0; i < plain.length && match; i++) match = full[p + i] === plain[i];
    if (match) return p;
  }
  return undefined;
}
