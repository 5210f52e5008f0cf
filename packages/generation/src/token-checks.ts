/**
 * Token ids and lengths of one `generate()` call checked against the model's
 * vocabulary and position table, before the graphs run. transformers 5.18
 * (checked with tools/reference/probe_hardening.py on a ViT + GPT-2 with
 * vocab 300 and n_positions 64):
 *
 * - `decoder_start_token_id` (or `bos_token_id`) 1000000, 300 or -3 and a
 *   `decoder_input_ids` entry 1000 or -2: `IndexError: index out of range in
 *   self` in the decoder's embedding, at the first step;
 * - `forced_bos_token_id` 1000: `IndexError: index 1000 is out of bounds for
 *   dimension 1 with size 300` at the first step (only a 1-token prompt gets it);
 * - `forced_eos_token_id` 1000: `IndexError` when the last step is reached;
 * - `max_new_tokens` past the position table with no eos: `IndexError` at the
 *   step that needs position `n_positions` (sequences of `n_positions + 1`
 *   tokens still work: the last token is never fed);
 * - `pad_token_id` 1000: `IndexError` when a finished row's pad is fed back;
 * - `eos_token_id` -3: a warning, generation runs to the maximum length.
 *
 * ved raises `TOKEN_OUT_OF_RANGE` / `SEQUENCE_TOO_LONG` at the same points
 * (the first-step ones before the encoder runs), naming the option.
 */
import { VedError, checkTokenId, isTokenId, sequenceTooLong, tokenOutOfRange, type DecodingSession, type StepLogits, type StepOptions } from '@ved/core';
import type { MergedGeneration, Warn } from './resolve-config.js';

export interface ModelLimits {
  vocabSize: number;
  maxPositions?: number | undefined;
}

/** The checks of the first step, run before encoding: start token, prompt, forced BOS. */
export function checkPromptIds(merged: MergedGeneration, prompt: readonly (readonly number[])[], given: boolean, model: ModelLimits, warn: Warn): void {
  const vocab = model.vocabSize;
  const o = merged.options;
  const startOption = o.decoderStartTokenId !== undefined ? 'decoder_start_token_id' : 'bos_token_id';
  const starts = Array.isArray(merged.decoderStartTokenId) ? merged.decoderStartTokenId : [merged.decoderStartTokenId];
  starts.forEach((id, i) => checkTokenId(id, Array.isArray(merged.decoderStartTokenId) ? `\`${startOption}\`[${i}]` : `\`${startOption}\``, vocab));
  if (given) {
    prompt.forEach((row, r) =>
      row.forEach((id, j) => {
        if (!isTokenId(id, vocab)) throw tokenOutOfRange(`decoderInputIds[${r}][${j}] (the decoder prompt)`, id, vocab);
      }),
    );
  }
  // ForcedBOSTokenLogitsProcessor only acts on a 1-token prompt.
  if (o.forcedBosTokenId !== undefined && (prompt[0]?.length ?? 0) === 1 && o.forcedBosTokenId >= 0) {
    checkTokenId(o.forcedBosTokenId, '`forced_bos_token_id`', vocab);
  }
  const eos = merged.eosTokenIds;
  if (eos !== undefined && eos.some((e) => !Number.isInteger(e) || e < 0)) {
    // `_prepare_special_tokens` logs this and goes on.
    warn(
      `\`eos_token_id\` should consist of positive integers, but is ${JSON.stringify(eos)}. Your generation will not stop until the maximum length is reached. Depending on other flags, it may even crash.`,
    );
  }
}

/**
 * The decoding session with the per-step checks that name `generate()`'s
 * options: the position table against `max_new_tokens` / `max_length`, and a
 * finished row's `pad_token_id` against the vocabulary.
 */
export class CheckedDecodingSession implements DecodingSession {
  constructor(
    private readonly inner: DecodingSession,
    private readonly model: ModelLimits,
    private readonly merged: MergedGeneration,
    private readonly lengths: { maxLength: number; promptLength: number },
  ) {}

  get rows(): number {
    return this.inner.rows;
  }

  get length(): number {
    return this.inner.length;
  }

  async step(tokens: readonly (readonly number[])[], options?: StepOptions): Promise<StepLogits> {
    const t = tokens[0]?.length ?? 0;
    const max = this.model.maxPositions;
    const needed = this.inner.length + t;
    if (max !== undefined && needed > max) {
      const { promptLength, maxLength } = this.lengths;
      const o = this.merged.options;
      const limit = o.maxNewTokens !== undefined ? `\`max_new_tokens\` to at most ${max + 1 - promptLength} (it is ${o.maxNewTokens})` : `\`max_length\` to at most ${max + 1} (it is ${maxLength})`;
      throw sequenceTooLong(
        needed,
        max,
        `Generating token ${needed + 1} (no sequence ended before)`,
        `Set ${limit}: a sequence can hold ${max + 1} tokens, the last one never fed to the decoder.`,
      );
    }
    const pad = this.merged.padTokenId;
    if (pad !== undefined && !isTokenId(pad, this.model.vocabSize) && tokens.some((row) => row.includes(pad))) {
      throw tokenOutOfRange('`pad_token_id` (fed for a finished row while others continue)', pad, this.model.vocabSize);
    }
    return this.inner.step(tokens, options);
  }

  reorder(indices: readonly number[]): void {
    this.inner.reorder(indices);
  }

  dispose(): void {
    this.inner.dispose();
  }
}

/** `forced_bos_token_id` / `forced_eos_token_id` inside the scores (the processors' own check, when they apply). */
export function checkForcedId(id: number, option: string, vocab: number): void {
  if (id >= vocab) throw tokenOutOfRange(`\`${option}\``, id, vocab);
  if (!Number.isInteger(id) || id < 0) throw new VedError('INVALID_OPTION', `\`${option}\` has to be a positive integer, but is ${id}`);
}
