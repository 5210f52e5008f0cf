/**
 * Which golden checks apply to a fixture follows from the data it holds, and the fixture reader
 * refuses what is not a golden fixture with a VedError naming the file.
 */
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { VedError, parseSafetensors, serializeSafetensors } from '@ved/core';
import { errorOf } from './assert.js';
import { goldenChecks } from './golden-checks.js';
import { loadGoldenFixture, maxAbsDiff, type GoldenFixture, type ReferenceJson } from './fixture.js';

const pixels = { name: 'pixel_values', dtype: 'F32' as const, shape: [1, 3, 2, 2], data: new Float32Array(12) };

function fixture(json: Partial<ReferenceJson>, tensors: string[], encoderWeights = false): GoldenFixture {
  const file = parseSafetensors(
    serializeSafetensors([pixels, ...tensors.map((name) => ({ name, dtype: 'F32' as const, shape: [1], data: new Float32Array(1) }))]),
    'reference.safetensors',
  );
  return {
    name: 'f',
    dir: '/nowhere',
    json: { greedy: { max_new_tokens: 2, sequences: [[1, 2, 3]] }, ...json },
    tensors: file,
    ...(encoderWeights ? { encoderWeights: {} } : {}),
  };
}

describe('goldenChecks', () => {
  it('a minimal fixture: first-step logits and greedy ids only', () => {
    expect(goldenChecks(fixture({}, ['first_step_logits'])).map((c) => c.name)).toEqual(['first-step logits within 1e-4', 'greedy ids identical to Python']);
  });

  it("a generator fixture with describePairGolden's weights: every check but masks, texts and the pipeline", () => {
    const f = fixture(
      {
        decoder_model_type: 'electra',
        decoder_input_ids: [[1, 5]],
        has_enc_to_dec_proj: false,
        generation_config_file: true,
        beam: { num_beams: 3, max_new_tokens: 2, sequences: [[1, 2, 3]] },
        loss: { labels: [[5, -100]], value: 4.2 },
        interpolate_pos_encoding: [{ height: 4, width: 6, pixel_values: 'a', last_hidden_state: 'b', shape: [1, 2, 3] }],
      },
      ['encoder_last_hidden_state', 'first_step_logits', 'teacher_forced_logits'],
      true,
    );
    expect(goldenChecks(f, { weights: 'both' }).map((c) => c.name)).toEqual([
      "weights(): the names, shapes and init rules of Python's encoder",
      "electra weights(): the decoder tensors of Python's checkpoint, with their init rules",
      'enc_to_dec_proj is absent, as in Python',
      'encoder last_hidden_state within 1e-4',
      'interpolatePosEncoding: encoder output at 4x6 within 1e-4',
      'first-step logits within 1e-4',
      'teacher-forced logits within 1e-4',
      'cached step-by-step decoding equals one teacher-forced pass',
      'generation config from generation_config.json',
      'greedy ids identical to Python',
      'beam search (3 beams) ids identical to Python',
      'loss (labels shifted right) within 1e-4',
    ]);
  });

  it('padded masks, texts and the pipeline when the fixture and options have them; select filters', () => {
    const f = fixture(
      {
        decoder_model_type: 'bert',
        images: ['a.png'],
        masked: { decoder_input_ids: [[1, 0]], decoder_attention_mask: [[1, 0]] },
        greedy_text: ['x'],
        beam: { num_beams: 2, max_new_tokens: 2, sequences: [[1, 2, 3]] },
        beam_text: ['x'],
      },
      ['first_step_logits', 'incremental_masked_logits'],
    );
    const pipeline = { fromPretrained: () => Promise.reject(new Error('unused')), imageRoot: '/' };
    const names = goldenChecks(f, { pipeline }).map((c) => c.name);
    expect(names).toContain('padded decoder_attention_mask: one-pass logits within 1e-4');
    expect(names).toContain("padded decoder_attention_mask: cached logits within 1e-4 of Python's cached pass");
    expect(names).toContain('texts equal Python batch_decode(skip_special_tokens=True) of the greedy and beam ids');
    expect(goldenChecks(f, { pipeline, select: (n) => n.startsWith('pipeline:') }).map((c) => c.name)).toEqual([
      'pipeline: pixel_values from the image files within 1e-5, same ids and texts',
    ]);
  });
});

describe('loadGoldenFixture', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ved-testing-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const write = (name: string, json: unknown, tensors?: Uint8Array) => {
    mkdirSync(join(dir, name, 'reference'), { recursive: true });
    writeFileSync(join(dir, name, 'reference', 'reference.json'), typeof json === 'string' ? json : JSON.stringify(json));
    if (tensors) writeFileSync(join(dir, name, 'reference', 'reference.safetensors'), tensors);
    return join(dir, name);
  };
  const greedy = { greedy: { max_new_tokens: 1, sequences: [[1, 2]] } };

  it('reads reference.json, reference.safetensors and the optional encoder_weights.json', () => {
    const path = write('ok', greedy, serializeSafetensors([pixels]));
    const f = loadGoldenFixture(path);
    expect([f.name, f.json.greedy.sequences, f.tensors.names(), f.encoderWeights]).toEqual(['ok', [[1, 2]], ['pixel_values'], undefined]);
    writeFileSync(join(path, 'reference', 'encoder_weights.json'), '{"a": {"shape": [2], "kind": "zeros"}}');
    expect(loadGoldenFixture(path, 'named').encoderWeights).toEqual({ a: { shape: [2], kind: 'zeros' } });
  });

  it('refuses a missing folder, invalid JSON, a reference without greedy ids or pixel values', () => {
    const error = (path: string) => {
      try {
        loadGoldenFixture(path);
      } catch (e) {
        return e instanceof VedError ? `${e.code}: ${e.message}` : String(e);
      }
      return 'no error';
    };
    expect(error(join(dir, 'absent'))).toMatch(/^FILE_NOT_FOUND: Cannot read the golden fixture file .*absent\/reference\/reference.json/);
    expect(error(write('bad-json', '{'))).toMatch(/^INVALID_JSON: .*bad-json\/reference\/reference.json is not valid JSON/);
    expect(error(write('no-greedy', { beam: {} }))).toMatch(/^INVALID_INPUT: .*no-greedy\/reference\/reference.json: no "greedy"/);
    expect(error(write('no-tensors', greedy))).toMatch(/^FILE_NOT_FOUND: .*no-tensors\/reference\/reference.safetensors/);
    const other = serializeSafetensors([{ ...pixels, name: 'logits' }]);
    expect(error(write('no-pixels', greedy, other))).toMatch(/^INVALID_INPUT: .*has no "pixel_values" tensor \(found logits\)/);
  });
});

describe('maxAbsDiff', () => {
  it('is the largest difference, NaN counting as Infinity; lengths must match', () => {
    expect(maxAbsDiff([1, 2, 3], [1, 2.5, 2])).toBe(1);
    expect(maxAbsDiff([0, Number.NaN], [0, 0])).toBe(Infinity);
    expect(() => maxAbsDiff([1], [1, 2])).toThrow(/length 1, expected 2/);
  });
});

describe('errorOf', () => {
  it("gives a VedError's code and message, says when something else is thrown or nothing", () => {
    expect(errorOf(() => { throw new VedError('INVALID_CONFIG', 'cfg: bad'); })).toBe('INVALID_CONFIG: cfg: bad');
    expect(errorOf(() => { throw new RangeError('x'); })).toBe('not a VedError: RangeError: x');
    expect(errorOf(() => 1)).toBe('no error');
  });
});
