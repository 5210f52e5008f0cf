/**
 * The checks that keep token ids and positions inside the decoder's tables,
 * run before a graph is: an id outside `[0, vocab_size)` or a position past
 * the position table would make onnxruntime's Gather fail with "indices
 * element out of data bounds" (or, for a negative id, wrap around silently),
 * where Python's `nn.Embedding` raises `IndexError: index out of range in self`
 * and `cross_entropy` raises `IndexError: Target N is out of bounds.`
 * (checked with tools/reference/probe_hardening.py). ved raises a typed error
 * instead, naming the option or input, the value and the limit.
 */
import { VedError } from '../errors.js';
import { IGNORE_INDEX } from './loss.js';

export interface DecoderLimits {
  /** Ids must lie in `[0, vocabSize)`. */
  vocabSize: number;
  /** Tokens the position table can embed; undefined: any length (sinusoidal positions). */
  maxPositions: number | undefined;
  /** Names the model in messages (its config file). */
  where: string;
}

function describeId(id: number): string {
  return Number.isFinite(id) ? String(id) : JSON.stringify(id) ?? String(id);
}

/** Whether `id` is a usable token id for a vocabulary of `vocab`. */
export function isTokenId(id: unknown, vocab: number): id is number {
  return typeof id === 'number' && Number.isInteger(id) && id >= 0 && id < vocab;
}

/** A `TOKEN_OUT_OF_RANGE` error for `id` given as `what` (an option name or input position). */
export function tokenOutOfRange(what: string, id: unknown, vocab: number, where?: string): VedError {
  const value = typeof id === 'number' ? describeId(id) : JSON.stringify(id);
  const negative = typeof id === 'number' && id < 0;
  return new VedError(
    'TOKEN_OUT_OF_RANGE',
    `${what} is ${value}, but token ids must be integers in [0, ${vocab}) (the decoder's vocab_size is ${vocab}${where ? `, ${where}` : ''})` +
      (negative ? '; a negative id would index the embedding from the end.' : '.'),
  );
}

/** Throws unless `id` is a token id of the vocabulary; `what` names the option. */
export function checkTokenId(id: unknown, what: string, vocab: number, where?: string): void {
  if (!isTokenId(id, vocab)) throw tokenOutOfRange(what, id, vocab, where);
}

/** A `SEQUENCE_TOO_LONG` error: `needed` positions against a table of `max`. */
export function sequenceTooLong(needed: number, max: number, what: string, hint: string): VedError {
  return new VedError(
    'SEQUENCE_TOO_LONG',
    `${what} needs ${needed} decoder positions, but the decoder's position table holds ${max} ` +
      `(n_positions / max_position_embeddings of the decoder config); Python's embedding raises IndexError there. ${hint}`,
  );
}

/**
 * Checks one decoding step before it runs: `tokens` [rows][t] follow `cached`
 * positions. Every id must be in the vocabulary, and `cached + t` must fit the
 * position table.
 */
export function checkStep(tokens: readonly (readonly number[])[], cached: number, limits: DecoderLimits): void {
  const t = tokens[0]?.length ?? 0;
  if (limits.maxPositions !== undefined && cached + t > limits.maxPositions) {
    throw sequenceTooLong(
      cached + t,
      limits.maxPositions,
      `${limits.where}: a decoding step of ${t} token(s) after ${cached} cached one(s)`,
      'Generate fewer tokens (max_new_tokens / max_length) or use shorter labels.',
    );
  }
  for (let r = 0; r < tokens.length; r++) {
    const row = tokens[r]!;
    for (let j = 0; j < row.length; j++) {
      if (!isTokenId(row[j], limits.vocabSize)) {
        throw tokenOutOfRange(`The decoder input id at row ${r}, position ${cached + j}`, row[j], limits.vocabSize, limits.where);
      }
    }
  }
}

/**
 * Checks `labels` [B][T] before a forward pass: ids in the vocabulary or -100
 * (ignored), and no more positions than the table holds.
 */
export function checkLabels(labels: readonly (readonly number[])[], limits: DecoderLimits): void {
  for (let b = 0; b < labels.length; b++) {
    const row = labels[b]!;
    for (let t = 0; t < row.length; t++) {
      const id = row[t]!;
      if (id !== IGNORE_INDEX && !isTokenId(id, limits.vocabSize)) {
        throw new VedError(
          'TOKEN_OUT_OF_RANGE',
          `labels[${b}][${t}] is ${describeId(id)}, but labels must be token ids in [0, ${limits.vocabSize}) ` +
            `(the decoder's vocab_size, ${limits.where}) or -100 (ignored by the loss).`,
        );
      }
    }
  }
  const longest = Math.max(0, ...labels.map((r) => r.length));
  if (limits.maxPositions !== undefined && longest > limits.maxPositions) {
    throw sequenceTooLong(longest, limits.maxPositions, `${limits.where}: labels of ${longest} tokens`, 'Truncate the labels.');
  }
}

/** A `DISPOSED` error for `what` (e.g. `generate()`) on a disposed model or session. */
export function disposedError(what: string): VedError {
  return new VedError('DISPOSED', `${what} was called after dispose(); the model's sessions are released. Load the model again to keep using it.`);
}
