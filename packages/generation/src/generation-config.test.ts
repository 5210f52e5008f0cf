/** GenerationConfig: JSON names, layering (against Python's from_model_config), merging, lengths, validation. */
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { VedError } from '@ved/core';
import { GLOBAL_DEFAULTS, checkCallOptions, fromJson, modelGenerationConfig, toJson } from './generation-config.js';
import { mergeGeneration, prepareLengths, resolveGeneration } from './resolve-config.js';

const layering = JSON.parse(readFileSync(new URL('../../../fixtures/generation/config-layering.json', import.meta.url), 'utf8')) as {
  cases: Array<{ name: string; config: Record<string, unknown>; generation_config: Record<string, unknown> }>;
};

describe('modelGenerationConfig (no generation_config.json): as Python builds it', () => {
  for (const c of layering.cases) {
    it(c.name, () => {
      const got = toJson(modelGenerationConfig(c.config, undefined));
      // Python keeps use_cache (ved accepts it and always caches).
      expect(got).toEqual(c.generation_config);
    });
  }

  it('converts the legacy force_bos_token_to_be_generated flag', () => {
    expect(modelGenerationConfig({ bos_token_id: 0, force_bos_token_to_be_generated: true }, undefined)).toEqual({ bosTokenId: 0, forcedBosTokenId: 0 });
  });

  it('uses generation_config.json alone when present (null = unset, unknown keys ignored)', () => {
    const config = { decoder: { bos_token_id: 0, eos_token_id: 2, num_beams: 9 }, num_beams: 4 };
    const json = { _from_model_config: true, eos_token_id: 7, pad_token_id: null, custom_thing: 1, transformers_version: '5.18.0' };
    expect(modelGenerationConfig(config, json)).toEqual({ eosTokenId: 7 });
  });
});

describe('fromJson / toJson', () => {
  it('maps snake_case keys to camelCase options and back', () => {
    const json = {
      max_new_tokens: 5,
      num_beams: 3,
      early_stopping: 'never',
      bad_words_ids: [[1], [2, 3]],
      sequence_bias: [[[4], -1.5]],
      exponential_decay_length_penalty: [2, 1.5],
      stop_strings: ['a', 'b'],
      eos_token_id: [1, 2],
    };
    const options = fromJson(json, 'test');
    expect(options).toEqual({
      maxNewTokens: 5,
      numBeams: 3,
      earlyStopping: 'never',
      badWordsIds: [[1], [2, 3]],
      sequenceBias: [[[4], -1.5]],
      exponentialDecayLengthPenalty: [2, 1.5],
      stopStrings: ['a', 'b'],
      eosTokenId: [1, 2],
    });
    expect(toJson(options)).toEqual(json);
  });

  it('in call options null is an explicit None, and unknown keys are errors', () => {
    expect(fromJson({ eos_token_id: null, top_k: null }, 'call', 'call')).toEqual({ eosTokenId: null, topK: null });
    expect(() => fromJson({ num_beamz: 2 }, '--generation-config', 'call')).toThrow('--generation-config: unknown generation option "num_beamz" (did you mean "num_beams"?); known:');
    expect(() => fromJson({ num_beams: null }, 'x', 'call')).toThrow('"numBeams" (num_beams) cannot be null');
    expect(fromJson({ transformers_version: '5.18.0', cache_implementation: 'static' }, 'x', 'call')).toEqual({});
  });

  it('names the key, the value and what was expected on a type error', () => {
    expect(() => fromJson({ num_beams: '3' }, 'generation_config.json')).toThrow('generation_config.json: "numBeams" (num_beams) is "3", expected an integer.');
    expect(() => fromJson({ do_sample: 1 }, 'f')).toThrow('expected true or false');
    expect(() => fromJson({ exponential_decay_length_penalty: [1] }, 'f')).toThrow('expected a pair [start_index, decay_factor]');
  });

  it('checkCallOptions rejects unknown camelCase names', () => {
    expect(() => checkCallOptions({ numBeam: 2 } as never)).toThrow(VedError);
    expect(() => checkCallOptions({ numBeam: 2 } as never)).toThrow('unknown generation option "numBeam" (did you mean "numBeams"?)');
  });
});

describe('mergeGeneration', () => {
  const model = { decoderStartTokenId: 14, eosTokenId: 15, padTokenId: 1, numBeams: 4, topK: 10 };

  it('call over model over global defaults; null in the call clears a value', () => {
    const m = mergeGeneration(model, { numBeams: 2, topK: null });
    expect(m.options.numBeams).toBe(2);
    expect(m.options.topK).toBeUndefined();
    expect(m.options.temperature).toBe(GLOBAL_DEFAULTS.temperature);
    expect(m.options.lengthPenalty).toBe(1);
    expect(m.mode).toBe('beam_search');
    expect(m.eosTokenIds).toEqual([15]);
    expect(m.padTokenId).toBe(1);
  });

  it('pad falls back to eos[0], start to bos', () => {
    const m = mergeGeneration({ bosTokenId: 3, eosTokenId: [5, 6] }, {});
    expect([m.decoderStartTokenId, m.padTokenId, m.eosTokenIds]).toEqual([3, 5, [5, 6]]);
    expect(() => mergeGeneration({ eosTokenId: 2 }, {})).toThrow('`decoder_start_token_id` or `bos_token_id` has to be defined');
  });

  it('modes', () => {
    expect(mergeGeneration(model, { numBeams: 1 }).mode).toBe('greedy');
    expect(mergeGeneration(model, { numBeams: 1, doSample: true }).mode).toBe('sample');
    expect(mergeGeneration(model, { doSample: true }).mode).toBe('beam_sample');
  });

  it('raises where Python raises', () => {
    expect(() => mergeGeneration(model, { numBeams: 1, numReturnSequences: 2 })).toThrow('Greedy methods (do_sample != True) without beam search');
    expect(() => mergeGeneration(model, { numReturnSequences: 5 })).toThrow('`num_return_sequences` (5) has to be smaller or equal to `num_beams` (4).');
    expect(() => mergeGeneration(model, { earlyStopping: 'sometimes' as never })).toThrow("`early_stopping` must be a boolean or 'never', but is sometimes.");
    expect(() => mergeGeneration(model, { maxNewTokens: 0 })).toThrow('`max_new_tokens` must be greater than 0, but is 0.');
    expect(() => mergeGeneration(model, { numBeamGroups: 2 })).toThrow('Group Beam Search requires `trust_remote_code=True`');
    expect(() => mergeGeneration(model, { numBeams: 1, penaltyAlpha: 0.6 })).toThrow('Contrastive Search requires');
    expect(() => mergeGeneration(model, { constraints: [1] })).toThrow('Constrained Beam Search requires');
    expect(() => mergeGeneration(model, { lowMemory: true })).toThrow('`low_memory=True` is not supported');
    expect(() => mergeGeneration(model, { outputAttentions: true })).toThrow('"outputAttentions" is not supported');
    expect(() => mergeGeneration(model, { forcedBosTokenId: 3, suppressTokens: [3, 4] })).toThrow('Every token in `forced_bos_token_id` ([3]) is also in `suppress_tokens`');
  });

  it('warns, as Python does, for encoder-input options', () => {
    const warnings: string[] = [];
    mergeGeneration(model, { encoderRepetitionPenalty: 1.3, encoderNoRepeatNgramSize: 2 }, (m) => warnings.push(m));
    expect(warnings).toHaveLength(2);
    expect(warnings[0]).toContain('ignoring the argument');
  });
});

describe('prepareLengths (GenerationMixin._prepare_generated_length)', () => {
  const base = { decoderStartTokenId: 0 };

  it('nothing set: 20 new tokens (max_length counts the prompt), with a warning', () => {
    const warnings: string[] = [];
    const r = resolveGeneration(base, {}, 3, (m) => warnings.push(m));
    expect(r.maxLength).toBe(23);
    expect(warnings[0]).toContain('model-agnostic default `max_length` (=23)');
  });

  it('max_length from the model or the call is the total length; max_new_tokens wins over it', () => {
    expect(resolveGeneration({ ...base, maxLength: 10 }, {}, 1).maxLength).toBe(10);
    expect(resolveGeneration({ ...base, maxLength: 20 }, {}, 1).maxLength).toBe(20);
    expect(resolveGeneration(base, { maxLength: 8 }, 2).maxLength).toBe(8);
    expect(resolveGeneration({ ...base, maxLength: 10 }, { maxNewTokens: 4 }, 2).maxLength).toBe(6);
  });

  it('min_new_tokens sets min_length = prompt + min_new_tokens', () => {
    expect(resolveGeneration(base, { minNewTokens: 3 }, 2).minLength).toBe(5);
    expect(resolveGeneration(base, { minLength: 4 }, 2).minLength).toBe(4);
  });

  it('a prompt as long as max_length is an error', () => {
    const merged = mergeGeneration(base, { maxLength: 3 });
    expect(() => prepareLengths(merged, 3)).toThrow('Input length of decoder_input_ids is 3, but `max_length` is set to 3.');
  });
});
