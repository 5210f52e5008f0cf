/**
 * Bad input ends in a typed VedError whose message names the file, tensor or
 * field and what was expected — one test per kind of failure.
 */
import { describe, expect, it, beforeAll, afterAll } from 'vitest';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ACTIVATIONS, VedError, getDecoder, getEncoder } from '@ved/core';
import './register-builtins.js';
import { ImageToText } from './pipeline.js';
import { fixturePath } from './test-utils/fixtures.js';

const SOURCE = fixturePath('models', 'vit-gpt2-a');
let work: string;

function copyModel(name: string): string {
  const dir = join(work, name);
  cpSync(SOURCE, dir, { recursive: true });
  return dir;
}

function editConfig(dir: string, edit: (config: any) => void): void {
  const file = join(dir, 'config.json');
  const config = JSON.parse(readFileSync(file, 'utf8'));
  edit(config);
  writeFileSync(file, JSON.stringify(config));
}

async function loadError(dir: string): Promise<VedError> {
  const err = await ImageToText.fromPretrained(dir).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(VedError);
  return err as VedError;
}

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'ved-errors-'));
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('loading errors', () => {
  it('missing model directory', async () => {
    const err = await loadError(join(work, 'nope'));
    expect(err.code).toBe('FILE_NOT_FOUND');
    expect(err.message).toContain('nope');
  });

  it('missing config.json', async () => {
    const dir = copyModel('no-config');
    rmSync(join(dir, 'config.json'));
    const err = await loadError(dir);
    expect(err.code).toBe('FILE_NOT_FOUND');
    expect(err.message).toContain('config.json');
  });

  it('missing weights file', async () => {
    const dir = copyModel('no-weights');
    rmSync(join(dir, 'model.safetensors'));
    const err = await loadError(dir);
    expect(err.code).toBe('FILE_NOT_FOUND');
    expect(err.message).toMatch(/model\.safetensors/);
  });

  it('unknown model_type lists the known ones', async () => {
    const dir = copyModel('unknown-type');
    editConfig(dir, (c) => (c.encoder.model_type = 'resnet-ish'));
    const err = await loadError(dir);
    expect(err.code).toBe('UNKNOWN_MODEL_TYPE');
    expect(err.message).toContain('"resnet-ish"');
    expect(err.message).toContain('"vit"');
    await expect(getEncoder('resnet-ish')).rejects.toThrow(/Known encoders: .*"vit"/);
  });

  it('weight with a wrong shape names the tensor and both shapes', async () => {
    const dir = copyModel('wrong-shape');
    editConfig(dir, (c) => (c.encoder.intermediate_size = 40));
    const err = await loadError(dir);
    expect(err.code).toBe('WEIGHT_SHAPE_MISMATCH');
    expect(err.message).toMatch(/"encoder\.encoder\.layer\.0\.intermediate\.dense\.(weight|bias)"/);
    expect(err.message).toMatch(/has shape \[37(, 36)?\], but the config expects \[40(, 36)?\]/);
  });

  it('missing weight names the tensor', async () => {
    const dir = copyModel('missing-weight');
    // The checkpoint was saved with qkv_bias=False: asking for the biases finds none.
    editConfig(dir, (c) => (c.encoder.qkv_bias = true));
    const err = await loadError(dir);
    expect(err.code).toBe('MISSING_WEIGHT');
    expect(err.message).toContain('encoder.encoder.layer.0.attention.attention.query.bias');
  });

  it('truncated safetensors names the file', async () => {
    const dir = copyModel('truncated');
    const file = join(dir, 'model.safetensors');
    const bytes = readFileSync(file);
    writeFileSync(file, bytes.subarray(0, Math.floor(bytes.length / 2)));
    const err = await loadError(dir);
    expect(err.code).toBe('INVALID_SAFETENSORS');
    expect(err.message).toContain('model.safetensors');
    expect(err.message).toMatch(/truncated/i);
  });

  it('invalid config.json names the file', async () => {
    const dir = copyModel('bad-json');
    writeFileSync(join(dir, 'config.json'), '{"model_type": ');
    const err = await loadError(dir);
    expect(err.code).toBe('INVALID_JSON');
    expect(err.message).toContain('config.json');
  });

  it('an activation with weights of its own (prelu) is refused when the config is read, naming the file and the field', async () => {
    const dir = copyModel('prelu');
    editConfig(dir, (c) => (c.decoder.activation_function = 'prelu'));
    const err = await loadError(dir);
    expect(err.code).toBe('INVALID_CONFIG');
    expect(err.message).toMatch(/config\.json "decoder": field "activation_function" is "prelu"; supported: gelu, gelu_10, /);
  });

  it("every built-in architecture reads each of ACTIVATIONS and refuses any other name in its activation field", async () => {
    const fields: Array<[kind: 'encoder' | 'decoder', modelType: string, field: string]> = [
      ...['vit', 'deit', 'beit', 'swin', 'donut-swin'].map((t) => ['encoder', t, 'hidden_act'] as ['encoder', string, string]),
      ...['bert', 'roberta', 'xlm-roberta'].map((t) => ['decoder', t, 'hidden_act'] as ['decoder', string, string]),
      ...['gpt2', 'bart', 'mbart', 'trocr'].map((t) => ['decoder', t, 'activation_function'] as ['decoder', string, string]),
    ];
    for (const [kind, modelType, field] of fields) {
      const plugin = kind === 'encoder' ? await getEncoder(modelType) : await getDecoder(modelType);
      for (const name of ACTIVATIONS) expect(() => plugin.parseConfig({ [field]: name }, 'x/config.json'), `${modelType} ${name}`).not.toThrow();
      expect(() => plugin.parseConfig({ [field]: 'xielu' }, 'x/config.json'), modelType).toThrow(new RegExp(`^x/config\\.json: field "${field}" is "xielu"; supported: `));
    }
  });

  it('corrupt image names the file', async () => {
    const pipe = await ImageToText.fromPretrained(SOURCE);
    try {
      const bad = join(work, 'corrupt.png');
      writeFileSync(bad, Buffer.from('\x89PNG\r\n\x1a\nthis is not really a png'));
      const err = await pipe.generate([bad]).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(VedError);
      expect((err as VedError).code).toBe('INVALID_IMAGE');
      expect((err as VedError).message).toContain('corrupt.png');
    } finally {
      await pipe.dispose();
    }
  });
});
