/**
 * Hostile-input catalogue, part 1: token ids and positions outside the
 * decoder's tables. What Python (transformers 5.18, torch 2.13) does was
 * recorded with `tools/reference/probe_hardening.py` on the same fixtures;
 * each case says it. Where Python crashes inside torch (IndexError), ved
 * raises a typed error before onnxruntime runs the graph.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { VedError, type PixelBatch } from '@ved/core';
import type { GenerationOptions } from '@ved/generation';
import type { CaptionOptions } from '@ved/pipeline';
import '../register-builtins.js';
import { ImageToText } from '../pipeline.js';
import { fixturePath } from '../test-utils/fixtures.js';

function pixels(pipe: ImageToText, batch = 1): PixelBatch {
  const [h, w] = (pipe.model as { imageSize: [number, number] }).imageSize;
  const data = new Float32Array(batch * 3 * h * w);
  for (let i = 0; i < data.length; i++) data[i] = Math.sin(i * 0.37);
  return { data, dims: [batch, 3, h, w] };
}

async function failure(promise: Promise<unknown>): Promise<VedError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(VedError);
  return err as VedError;
}

const quiet = { onWarning: () => {} };

describe('token ids outside the vocabulary (vit-gpt2-a: vocab 300, n_positions 64)', () => {
  let pipe: ImageToText;
  beforeAll(async () => {
    pipe = await ImageToText.fromPretrained(fixturePath('models', 'vit-gpt2-a'));
  });
  afterAll(() => pipe.dispose());

  const gen = (options: GenerationOptions, run: CaptionOptions = {}) => pipe.generate(pixels(pipe), { maxNewTokens: 3, ...options, ...quiet, ...run });

  // Python: IndexError: index out of range in self (the decoder's embedding), for each of these.
  it.each([1000000, 300, -3])('decoder_start_token_id %s → TOKEN_OUT_OF_RANGE naming the option and vocab_size', async (id) => {
    const err = await failure(gen({ decoderStartTokenId: id }));
    expect(err.code).toBe('TOKEN_OUT_OF_RANGE');
    expect(err.message).toContain('`decoder_start_token_id`');
    expect(err.message).toContain(`is ${id}`);
    expect(err.message).toContain('[0, 300)');
  });

  it('bos_token_id -3 used as the start token → names bos_token_id (Python: IndexError)', async () => {
    const err = await failure(gen({ decoderStartTokenId: null, bosTokenId: -3 }));
    expect(err.code).toBe('TOKEN_OUT_OF_RANGE');
    expect(err.message).toContain('`bos_token_id`');
  });

  it('forced_bos_token_id 1000 no longer forces token 0 (Python: IndexError: index 1000 is out of bounds for dimension 1 with size 300)', async () => {
    const err = await failure(gen({ forcedBosTokenId: 1000 }));
    expect(err.code).toBe('TOKEN_OUT_OF_RANGE');
    expect(err.message).toContain('`forced_bos_token_id` is 1000');
  });

  it('forced_bos_token_id -3 is refused (Python indexes the scores from the end and forces token 297)', async () => {
    const err = await failure(gen({ forcedBosTokenId: -3 }));
    expect(err.code).toBe('INVALID_OPTION');
    expect(err.message).toContain('forced_bos_token_id');
  });

  it('forced_eos_token_id 1000 → TOKEN_OUT_OF_RANGE when the last step is reached (Python: IndexError there)', async () => {
    const err = await failure(gen({ forcedEosTokenId: 1000, eosTokenId: null }));
    expect(err.code).toBe('TOKEN_OUT_OF_RANGE');
    expect(err.message).toContain('`forced_eos_token_id` is 1000');
  });

  it('forced_eos_token_id -3 → INVALID_OPTION (Python: ValueError `eos_token_id` has to be a list of positive integers)', async () => {
    const err = await failure(gen({ forcedEosTokenId: -3, eosTokenId: null }));
    expect(err.code).toBe('INVALID_OPTION');
  });

  it('bad_words_ids and sequence_bias past the vocabulary → Python\'s ValueError message', async () => {
    for (const options of [{ badWordsIds: [[5, 1000]] }, { sequenceBias: [[[1000], 1]] as [number[], number][] }]) {
      const err = await failure(gen(options));
      expect(err.code).toBe('INVALID_OPTION');
      expect(err.message).toBe('The model vocabulary size is 300, but the following tokens were being biased: [1000]');
    }
  });

  it('negative bad_words_ids → Python\'s ValueError message', async () => {
    const err = await failure(gen({ badWordsIds: [[-1]] }));
    expect(err.message).toBe('Each list in `bad_words_ids` has to be a list of positive integers, but is [[-1]].');
  });

  it('eos_token_id 1000 and suppress_tokens / begin_suppress_tokens past the vocabulary are ignored, as in Python', async () => {
    const plain = await gen({});
    for (const options of [{ eosTokenId: 1000 }, { suppressTokens: [1000] }, { beginSuppressTokens: [1000] }]) {
      const out = await gen(options);
      expect(out.sequences[0]!.length).toBeGreaterThan(0);
      if (!('eosTokenId' in options)) expect(out.sequences).toEqual(plain.sequences);
    }
  });

  it('eos_token_id -3 warns as Python does and generates to the maximum length', async () => {
    const warnings: string[] = [];
    const out = await pipe.generate(pixels(pipe), { maxNewTokens: 3, eosTokenId: -3, onWarning: (m) => warnings.push(m) });
    expect(out.sequences[0]).toHaveLength(4);
    expect(warnings.join('\n')).toContain('`eos_token_id` should consist of positive integers, but is [-3]');
  });

  it('a decoder prompt past the vocabulary → TOKEN_OUT_OF_RANGE (Python: IndexError)', async () => {
    const err = await failure(gen({}, { decoderInputIds: [[298, 1000]] }));
    expect(err.code).toBe('TOKEN_OUT_OF_RANGE');
    expect(err.message).toContain('decoderInputIds[0][1] (the decoder prompt) is 1000');
  });

  it('a negative decoder prompt id → INVALID_OPTION (Python: IndexError)', async () => {
    const err = await failure(gen({}, { decoderInputIds: [[298, -2]] }));
    expect(err.code).toBe('INVALID_OPTION');
    expect(err.message).toContain('decoderInputIds');
  });

  it.each([
    // Python: IndexError: index out of range in self (first label, shifted into the decoder inputs)
    [[1000, 5, 2], 'labels[0][0] is 1000'],
    // Python: IndexError: Target 1000 is out of bounds. (only the loss sees the last label)
    [[5, 5, 1000], 'labels[0][2] is 1000'],
    [[5, 5, 300], 'labels[0][2] is 300'],
    [[-5, 5, 2], 'labels[0][0] is -5'],
    [[5, 5, -5], 'labels[0][2] is -5'],
  ])('labels %j → TOKEN_OUT_OF_RANGE before any graph runs', async (labels, text) => {
    const err = await failure(pipe.model.forward({ pixelValues: pixels(pipe), labels: [labels] }));
    expect(err.code).toBe('TOKEN_OUT_OF_RANGE');
    expect(err.message).toContain(text);
    expect(err.message).toContain('[0, 300)');
    expect(err.message).toContain('-100');
  });

  it('labels with -100 still give a loss (Python: 6.388 on its own pixels)', async () => {
    const { loss } = await pipe.model.forward({ pixelValues: pixels(pipe), labels: [[-100, 5, 2]] });
    expect(Number.isFinite(loss)).toBe(true);
  });
});

/**
 * Position tables, per decoder. Python (same fixtures, eos off, greedy):
 * `max_new_tokens = table` works (the last token is never fed), `table + 40`
 * raises IndexError (GPT-2, BART, mBART, learned TrOCR) or RuntimeError
 * (BERT's token_type_ids buffer, RoBERTa's position ids); RoBERTa counts
 * positions from pad_token_id + 1, so it fails from `table - 1` new tokens.
 * Labels: `table` tokens work, `table + 1` raise.
 */
describe.each([
  ['models/vit-gpt2-a', 64],
  ['decoders/vit-bert', 32],
  ['decoders/vit-roberta', 32], // max_position_embeddings 34, pad_token_id 1
  ['decoders/vit-bart', 24],
  ['decoders/vit-mbart', 24],
  ['decoders/deit-trocr', 24], // learned positions
])('the position table of %s (%i tokens)', (dir, table) => {
  let pipe: ImageToText;
  beforeAll(async () => {
    pipe = await ImageToText.fromPretrained(fixturePath(...dir.split('/')));
  });
  afterAll(() => pipe.dispose());

  it('is what the model reports', () => {
    expect(pipe.model.maxPositions).toBe(table);
  });

  it(`generates ${table} new tokens without eos, and refuses ${table + 1} with SEQUENCE_TOO_LONG naming max_new_tokens`, async () => {
    const ok = await pipe.generate(pixels(pipe), { eosTokenId: null, maxNewTokens: table, ...quiet });
    expect(ok.sequences[0]).toHaveLength(table + 1);
    const err = await failure(pipe.generate(pixels(pipe), { eosTokenId: null, maxNewTokens: table + 40, ...quiet }));
    expect(err.code).toBe('SEQUENCE_TOO_LONG');
    expect(err.message).toContain(`position table holds ${table}`);
    expect(err.message).toContain(`\`max_new_tokens\` to at most ${table} (it is ${table + 40})`);
  });

  it('beam search stops at the same limit', async () => {
    const err = await failure(pipe.generate(pixels(pipe), { eosTokenId: null, maxNewTokens: table + 1, numBeams: 2, ...quiet }));
    expect(err.code).toBe('SEQUENCE_TOO_LONG');
  });

  it(`takes ${table} labels and refuses ${table + 1}`, async () => {
    const { loss } = await pipe.model.forward({ pixelValues: pixels(pipe), labels: [new Array(table).fill(5)] });
    expect(Number.isFinite(loss)).toBe(true);
    const err = await failure(pipe.model.forward({ pixelValues: pixels(pipe), labels: [new Array(table + 1).fill(5)] }));
    expect(err.code).toBe('SEQUENCE_TOO_LONG');
    expect(err.message).toContain(`labels of ${table + 1} tokens`);
  });
});

describe('sinusoidal TrOCR positions (vit-trocr)', () => {
  // Python's TrOCRSinusoidalPositionalEmbedding grows its table on demand (5.18's from_pretrained of this
  // checkpoint fails earlier with "Cannot copy out of meta tensor", see probe_hardening.py): no limit.
  it('has no position limit', async () => {
    const pipe = await ImageToText.fromPretrained(fixturePath('decoders', 'vit-trocr'));
    try {
      expect(pipe.model.maxPositions).toBeUndefined();
      const out = await pipe.generate(pixels(pipe), { eosTokenId: null, maxNewTokens: 64, ...quiet });
      expect(out.sequences[0]).toHaveLength(65);
    } finally {
      await pipe.dispose();
    }
  });
});
