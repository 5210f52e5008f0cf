/**
 * Composing, initialising, the loss and saving (issue 6), against Python
 * (fixtures/compose, made by tools/reference/make_compose_fixtures.py).
 *
 * The checkpoints under fixtures/compose/ved-saved are written by ved (run
 * this file with VED_UPDATE_FIXTURES=1 to rewrite them), then loaded by Python
 * (`make_compose_fixtures.py --ved-saved`), whose logits are compared here.
 */
import { describe, expect, it, beforeAll, afterAll } from 'vitest';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { VedError, VisionEncoderDecoderConfig, VisionEncoderDecoderModel, composeFromPretrained, type PixelBatch } from '@ved/core';
import './register-builtins.js';
import { DirectoryFiles } from './directory-files.js';
import { nodeRuntime } from './runtime.js';
import { savePretrained, writeCheckpoint } from './save.js';
import { fixturePath, loadModelReference, maxAbsDiff, REPO_ROOT } from './test-utils/fixtures.js';

const COMPOSE = fixturePath('compose');
const SIDES = join(COMPOSE, 'sides');
const UPDATE = process.env.VED_UPDATE_FIXTURES === '1';
const quiet = { onNewWeights: () => {} };
let work: string;

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'ved-compose-'));
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

const side = (name: string) => new DirectoryFiles(join(SIDES, name));
const pythonReport = JSON.parse(readFileSync(join(COMPOSE, 'compose.json'), 'utf8'));

function refInputs(): { pixelValues: PixelBatch; ids: number[][] } {
  const ref = loadModelReference('vit-gpt2-a');
  const all = ref.tensors.getFloat32('pixel_values');
  const [, c, h, w] = ref.tensors.info('pixel_values').shape as number[];
  return { pixelValues: { data: all.slice(0, 2 * c! * h! * w!), dims: [2, c!, h!, w!] }, ids: ref.json.decoder_input_ids.slice(0, 2) };
}

function stats(data: Float32Array) {
  let mean = 0;
  for (const v of data) mean += v;
  mean /= data.length;
  let sq = 0;
  for (const v of data) sq += (v - mean) ** 2;
  return { mean, std: data.length > 1 ? Math.sqrt(sq / (data.length - 1)) : 0 };
}

describe('fromEncoderDecoderPretrained', () => {
  for (const pair of ['vit+gpt2-lm', 'vit-cls+gpt2-base', 'vit+bert-lm', 'vit+bert-base']) {
    it(`${pair}: newly initialised weights are exactly Python's missing ones, with matching mean/std`, async () => {
      const py = pythonReport[pair];
      let warned: string[] = [];
      const model = await VisionEncoderDecoderModel.fromEncoderDecoderPretrained(side(py.encoder), side(py.decoder), nodeRuntime, {
        seed: 3,
        onNewWeights: (names) => (warned = names),
      });
      try {
        // Python lists a tied alias (e.g. BERT's cls.predictions.decoder.bias) besides the tensor it shares;
        // ved lists each tensor once.
        const tied = Object.keys(model.parts.decoder.tiedWeights?.(model.parts.decoderConfig) ?? {}).map((n) => `decoder.${n}`);
        const expectedMissing = (py.missing as string[]).filter((n) => !tied.includes(n));
        expect([...model.newlyInitialized].sort()).toEqual([...expectedMissing].sort());
        expect(warned).toEqual(model.newlyInitialized);
        for (const name of expectedMissing) {
          const data = model.weights.getFloat32(name);
          const { mean, std } = stats(data);
          const expected = py.stats[name];
          expect(model.weights.info(name).shape).toEqual(expected.shape);
          // Sampling error of the two independent draws, with a wide margin.
          const n = data.length;
          expect(Math.abs(mean - expected.mean)).toBeLessThanOrEqual(6 * Math.max(std, expected.std) * Math.sqrt(2 / n) + 1e-7);
          expect(Math.abs(std - expected.std)).toBeLessThanOrEqual(6 * expected.std / Math.sqrt(n) + 1e-7);
        }
        expect(model.parts.hasProjection).toBe(py.has_enc_to_dec_proj);
      } finally {
        await model.dispose();
      }
    });
  }

  it('loads the checkpoints\' own weights unchanged (classification prefix stripped, base-model prefix added)', async () => {
    const model = await VisionEncoderDecoderModel.fromEncoderDecoderPretrained(side('vit-cls'), side('gpt2-base'), nodeRuntime, quiet);
    try {
      const enc = new DirectoryFiles(join(SIDES, 'vit-cls'));
      const { loadWeights } = await import('@ved/core');
      const encWeights = await loadWeights(enc);
      expect(model.weights.getFloat32('encoder.embeddings.cls_token')).toEqual(encWeights.getFloat32('vit.embeddings.cls_token'));
      const decWeights = await loadWeights(side('gpt2-base'));
      expect(model.weights.getFloat32('decoder.transformer.wte.weight')).toEqual(decWeights.getFloat32('wte.weight'));
      expect(model.weights.has('encoder.classifier.weight')).toBe(false);
    } finally {
      await model.dispose();
    }
  });

  it('config overrides reach either side (Python\'s encoder_*/decoder_* kwargs)', async () => {
    const model = await VisionEncoderDecoderModel.fromEncoderDecoderPretrained(side('vit'), side('gpt2-lm'), nodeRuntime, {
      ...quiet,
      encoder: { layer_norm_eps: 1e-6 },
      decoder: { resid_pdrop: 0.25 },
      config: { pad_token_id: 299, decoder_start_token_id: 298 },
    });
    try {
      expect(model.config.encoder.layer_norm_eps).toBe(1e-6);
      expect(model.config.decoder.resid_pdrop).toBe(0.25);
      expect(model.config.decoder.is_decoder).toBe(true);
      expect(model.config.decoder.add_cross_attention).toBe(true);
      expect(model.config.raw.pad_token_id).toBe(299);
    } finally {
      await model.dispose();
    }
  });

  it('mismatched checkpoints fail clearly', async () => {
    const err = await VisionEncoderDecoderModel.fromEncoderDecoderPretrained(side('vit'), side('vit'), nodeRuntime, quiet).catch((e) => e);
    expect(err).toBeInstanceOf(VedError);
    expect(err.code).toBe('UNKNOWN_MODEL_TYPE');
    expect(err.message).toMatch(/decoder model_type "vit".*Known decoders/);
    const err2 = await VisionEncoderDecoderModel.fromEncoderDecoderPretrained(side('gpt2-lm'), side('gpt2-lm'), nodeRuntime, quiet).catch((e) => e);
    expect(err2.code).toBe('UNKNOWN_MODEL_TYPE');
    expect(err2.message).toMatch(/encoder model_type "gpt2"/);
  });

  it("a side's bad config field names that checkpoint's config.json", async () => {
    const err = await VisionEncoderDecoderModel.fromEncoderDecoderPretrained(side('vit'), side('gpt2-lm'), nodeRuntime, { ...quiet, encoder: { hidden_act: 'prelu' } }).catch((e) => e);
    expect(err).toMatchObject({ code: 'INVALID_CONFIG' });
    expect(err.message).toContain(`${join(SIDES, 'vit')}/config.json (the encoder checkpoint): field "hidden_act" is "prelu"`);
  });
});

describe('fromEncoderDecoderPretrained: sizes checked before anything is read', () => {
  it('overrides implying a tensor too large, or more weights than memory, are MODEL_TOO_LARGE at once', async () => {
    const err = await VisionEncoderDecoderModel.fromEncoderDecoderPretrained(side('vit'), side('gpt2-lm'), nodeRuntime, { ...quiet, decoder: { n_embd: 999_999_999 } }).catch((e) => e);
    expect(err).toBeInstanceOf(VedError);
    expect(err.code).toBe('MODEL_TOO_LARGE');
    expect(err.message).toMatch(/decoder\.transformer\.wte\.weight|values one tensor can hold/);
    const err2 = await composeFromPretrained(side('vit'), side('gpt2-lm'), { ...quiet, memoryBytes: 1000 }).catch((e) => e);
    expect(err2).toMatchObject({ code: 'MODEL_TOO_LARGE', message: expect.stringMatching(/more than the .* of memory/) });
  });
});

describe('configs that cannot be composed', () => {
  it('a decoder config with cross-attention switched off', async () => {
    const raw = JSON.parse(readFileSync(fixturePath('models', 'vit-gpt2-a', 'config.json'), 'utf8'));
    raw.decoder.add_cross_attention = false;
    const config = new VisionEncoderDecoderConfig(raw);
    const err = await VisionEncoderDecoderModel.fromConfig(config, nodeRuntime).catch((e) => e);
    expect(err).toBeInstanceOf(VedError);
    expect(err.message).toContain('add_cross_attention');
  });
});

describe('forward() loss', () => {
  const losses = JSON.parse(readFileSync(join(COMPOSE, 'loss.json'), 'utf8')) as Record<
    string,
    { dir: string; labels: number[][]; loss: number; pad_token_id: number; decoder_start_token_id: number }
  >;
  for (const [name, expected] of Object.entries(losses)) {
    it(`${name}: loss with -100 padding within 1e-4 of Python`, async () => {
      const dir = join(REPO_ROOT, expected.dir);
      const model = await VisionEncoderDecoderModel.fromPretrained(new DirectoryFiles(dir), nodeRuntime);
      try {
        model.config.raw.pad_token_id = expected.pad_token_id;
        model.config.raw.decoder_start_token_id = expected.decoder_start_token_id;
        const ref = JSON.parse(readFileSync(join(dir, 'reference', 'reference.json'), 'utf8'));
        void ref;
        const { parseSafetensors } = await import('@ved/core');
        const bytes = readFileSync(join(dir, 'reference', 'reference.safetensors'));
        const tensors = parseSafetensors(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength), 'reference.safetensors');
        const [, c, h, w] = tensors.info('pixel_values').shape as number[];
        const pixelValues: PixelBatch = { data: tensors.getFloat32('pixel_values').slice(0, 2 * c! * h! * w!), dims: [2, c!, h!, w!] };
        const out = await model.forward({ pixelValues, labels: expected.labels });
        expect(Math.abs(out.loss! - expected.loss)).toBeLessThan(1e-4);
      } finally {
        await model.dispose();
      }
    });
  }

  it('needs the top-level pad and decoder start ids', async () => {
    const raw = JSON.parse(readFileSync(fixturePath('models', 'vit-gpt2-a', 'config.json'), 'utf8'));
    delete raw.pad_token_id;
    const model = await VisionEncoderDecoderModel.fromConfig(new VisionEncoderDecoderConfig(raw), nodeRuntime);
    try {
      const { pixelValues } = refInputs();
      const err = await model.forward({ pixelValues, labels: [[1, 2], [3, 4]] }).catch((e) => e);
      expect(err).toBeInstanceOf(VedError);
      expect(err.message).toContain('"pad_token_id"');
    } finally {
      await model.dispose();
    }
  });
});

/** The checkpoints ved saves for Python to load. */
const SAVED_CASES: Record<string, () => Promise<{ model: VisionEncoderDecoderModel; maxShardSize?: number }>> = {
  'from-config': async () => {
    const raw = JSON.parse(readFileSync(fixturePath('models', 'vit-gpt2-a', 'config.json'), 'utf8'));
    const config = VisionEncoderDecoderConfig.fromEncoderDecoderConfigs(raw.encoder, raw.decoder, { pad_token_id: 299, decoder_start_token_id: 298 });
    return { model: await VisionEncoderDecoderModel.fromConfig(config, nodeRuntime, { seed: 42 }) };
  },
  composed: async () => ({
    model: await VisionEncoderDecoderModel.fromEncoderDecoderPretrained(side('vit'), side('gpt2-lm'), nodeRuntime, { ...quiet, seed: 7 }),
  }),
  // Decoder narrower than the encoder: an enc_to_dec_proj; small shards.
  'sharded-projection': async () => {
    const raw = JSON.parse(readFileSync(fixturePath('models', 'vit-gpt2-a', 'config.json'), 'utf8'));
    const config = VisionEncoderDecoderConfig.fromEncoderDecoderConfigs(raw.encoder, { ...raw.decoder, n_embd: 24, n_head: 3 }, { pad_token_id: 299, decoder_start_token_id: 298 });
    const model = await VisionEncoderDecoderModel.fromConfig(config, nodeRuntime, { seed: 5 });
    expect(model.parts.hasProjection).toBe(true);
    return { model, maxShardSize: 40_000 };
  },
};

describe('savePretrained', () => {
  for (const [name, make] of Object.entries(SAVED_CASES)) {
    it(`${name}: Python loads what ved saves and gives ved's logits within 1e-4; the bytes are reproducible`, async () => {
      const { model, maxShardSize } = await make();
      const committed = join(COMPOSE, 'ved-saved', name);
      const out = UPDATE ? committed : join(work, name);
      try {
        // Rewriting: the earlier save's files go first (a save into a folder holding weights of the same
        // names writes its shards under other ones); Python's python.json stays.
        if (UPDATE && existsSync(committed)) for (const f of readdirSync(committed)) if (f !== 'python.json') rmSync(join(committed, f));
        await savePretrained(model, out, maxShardSize === undefined ? {} : { maxShardSize });
        if (UPDATE) mkdirSync(committed, { recursive: true });
        const weightFiles = readdirSync(committed).filter((f) => f.endsWith('.safetensors') || f.endsWith('.index.json'));
        expect(weightFiles.length).toBeGreaterThan(0);
        for (const f of [...weightFiles, 'config.json', 'generation_config.json']) {
          expect(readFileSync(join(out, f)).equals(readFileSync(join(committed, f))), f).toBe(true);
        }
        if (maxShardSize !== undefined) expect(weightFiles).toContain('model.safetensors.index.json');
        const python = JSON.parse(readFileSync(join(committed, 'python.json'), 'utf8'));
        expect(python.missing_keys).toEqual([]);
        expect(python.unexpected_keys).toEqual([]);
        const reloaded = await VisionEncoderDecoderModel.fromPretrained(new DirectoryFiles(out), nodeRuntime);
        try {
          const { pixelValues } = refInputs();
          const logits = await reloaded.logits(pixelValues, python.decoder_input_ids);
          const original = await model.logits(pixelValues, python.decoder_input_ids);
          expect([logits.rows, logits.positions, logits.vocab]).toEqual(python.logits_shape);
          expect(maxAbsDiff(logits.data, python.logits)).toBeLessThan(1e-4);
          // Saving then loading in ved is lossless.
          expect(maxAbsDiff(logits.data, original.data)).toBe(0);
        } finally {
          await reloaded.dispose();
        }
      } finally {
        await model.dispose();
      }
    });
  }

  it('reload then save again gives the same bytes', async () => {
    const first = join(work, 'again-1');
    const second = join(work, 'again-2');
    const { model } = await SAVED_CASES.composed!();
    await savePretrained(model, first);
    await model.dispose();
    const reloaded = await VisionEncoderDecoderModel.fromPretrained(new DirectoryFiles(first), nodeRuntime);
    await savePretrained(reloaded, second);
    await reloaded.dispose();
    for (const f of ['model.safetensors', 'config.json', 'generation_config.json']) {
      expect(readFileSync(join(first, f)).equals(readFileSync(join(second, f))), f).toBe(true);
    }
  });

  it('an unwritable target fails clearly and a failed save leaves the old checkpoint intact', async () => {
    const blocker = join(work, 'a-file');
    writeFileSync(blocker, 'not a directory');
    const { model } = await SAVED_CASES['from-config']!();
    try {
      const err = await savePretrained(model, join(blocker, 'model')).catch((e) => e);
      expect(err).toBeInstanceOf(VedError);
      expect(err.code).toBe('WRITE_FAILED');
      expect(err.message).toContain('a-file');

      const good = join(work, 'good');
      await savePretrained(model, good);
      const before = readFileSync(join(good, 'model.safetensors'));
      const failed = await writeCheckpoint(good, [
        { name: 'config.json', bytes: new Uint8Array([1]) },
        // Fails mid-save: config.json is a file, not a directory.
        { name: 'config.json/model.safetensors', bytes: new Uint8Array([1]) },
      ]).catch((e) => e);
      expect(failed).toBeInstanceOf(VedError);
      expect(readFileSync(join(good, 'model.safetensors')).equals(before)).toBe(true);
      expect(readdirSync(work).filter((f) => f.includes('.saving-'))).toEqual([]);
      expect(existsSync(join(good, 'config.json'))).toBe(true);
    } finally {
      await model.dispose();
    }
  });
});
