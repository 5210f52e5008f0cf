/**
 * Hostile-input catalogue, part 2: what used to be accepted without a word.
 * Unexpected checkpoint tensors are reported as Python's load report does
 * (transformers 5.18, checked with tools/reference/probe_hardening.py), a
 * config implying weights larger than memory is refused before anything is
 * allocated, and a disposed model says so.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cpSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { VedError, parseSafetensors, serializeSafetensors, type PixelBatch, type TensorToSave } from '@ved/core';
import '../register-builtins.js';
import { ImageToText } from '../pipeline.js';
import { fixturePath } from '../test-utils/fixtures.js';

let work: string;
beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'ved-silent-'));
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

function copy(from: string, name: string): string {
  const dir = join(work, name);
  cpSync(from, dir, { recursive: true });
  return dir;
}

function editConfig(dir: string, edit: (config: any) => void): void {
  const file = join(dir, 'config.json');
  const config = JSON.parse(readFileSync(file, 'utf8'));
  edit(config);
  writeFileSync(file, JSON.stringify(config));
}

/** Adds tensors of 2 zeros under `names` to the checkpoint. */
function addTensors(dir: string, names: string[]): void {
  const file = join(dir, 'model.safetensors');
  const source = parseSafetensors(new Uint8Array(readFileSync(file)), file);
  const tensors: TensorToSave[] = source.names().map((name) => ({ name, dtype: 'F32', shape: source.info(name).shape, data: source.getFloat32(name) }));
  for (const name of names) tensors.push({ name, dtype: 'F32', shape: [2], data: new Float32Array(2) });
  writeFileSync(file, serializeSafetensors(tensors, { format: 'pt' }));
}

async function failure(promise: Promise<unknown>): Promise<VedError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(VedError);
  return err as VedError;
}

const FIXTURE_MODELS = [
  ...readdirSync(fixturePath('models')).map((n) => fixturePath('models', n)),
  ...readdirSync(fixturePath('decoders'))
    .filter((n) => n !== 'tokenizers')
    .map((n) => fixturePath('decoders', n)),
  ...readdirSync(fixturePath('encoders')).map((n) => fixturePath('encoders', n)),
].filter((dir) => existsSync(join(dir, 'model.safetensors')));

describe('unexpected checkpoint tensors (Python: "UNEXPECTED" in the load report)', () => {
  it.each(FIXTURE_MODELS)('none in the Python-saved checkpoint %s, as Python reports none', async (dir) => {
    const warnings: string[] = [];
    const pipe = await ImageToText.fromPretrained(dir, { onWarning: (m) => warnings.push(m) });
    try {
      expect((pipe.model as { unexpectedWeights: string[] }).unexpectedWeights).toEqual([]);
      expect(warnings.filter((w) => w.includes('not used by the model'))).toEqual([]);
    } finally {
      await pipe.dispose();
    }
  });

  it('a config with fewer layers than its checkpoint warns with the unused layer (Python lists decoder.transformer.h.1.*)', async () => {
    const dir = copy(fixturePath('models', 'vit-gpt2-a'), 'fewer-layers');
    editConfig(dir, (c) => (c.decoder.n_layer = 1));
    const warnings: string[] = [];
    const pipe = await ImageToText.fromPretrained(dir, { onWarning: (m) => warnings.push(m) });
    try {
      const unexpected = (pipe.model as { unexpectedWeights: string[] }).unexpectedWeights;
      // Python 5.18's unexpected_keys for this checkpoint: the 16 tensors of decoder.transformer.h.1.
      expect(unexpected).toHaveLength(16);
      expect(unexpected.every((n) => n.startsWith('decoder.transformer.h.1.'))).toBe(true);
      expect(warnings).toHaveLength(1);
      expect(warnings[0]).toContain('16 checkpoint tensor(s) are not used by the model');
      expect(warnings[0]).toContain('decoder.transformer.h.1.');
      expect(warnings[0]).toContain('and 8 more');
      expect(warnings[0]).toContain('--strict');
    } finally {
      await pipe.dispose();
    }
  });

  it('strict loading refuses them with UNEXPECTED_WEIGHTS', async () => {
    const dir = copy(fixturePath('models', 'vit-gpt2-a'), 'fewer-layers-strict');
    editConfig(dir, (c) => (c.decoder.n_layer = 1));
    const err = await failure(ImageToText.fromPretrained(dir, { strict: true }));
    expect(err.code).toBe('UNEXPECTED_WEIGHTS');
    expect(err.message).toContain('model.safetensors: 16 checkpoint tensor(s)');
  });

  it('applies the architectures\' ignore patterns as Python does', async () => {
    // Python on this checkpoint: unexpected = [masked_bias, encoder.embeddings.position_ids, foo.bar]; attn.bias is ignored (GPT-2's pattern).
    const gpt2 = copy(fixturePath('models', 'vit-gpt2-a'), 'extra-gpt2');
    addTensors(gpt2, ['decoder.transformer.h.0.attn.bias', 'decoder.transformer.h.0.attn.masked_bias', 'encoder.embeddings.position_ids', 'foo.bar']);
    const a = await ImageToText.fromPretrained(gpt2, { onWarning: () => {} });
    expect([...(a.model as { unexpectedWeights: string[] }).unexpectedWeights].sort()).toEqual([
      'decoder.transformer.h.0.attn.masked_bias',
      'encoder.embeddings.position_ids',
      'foo.bar',
    ]);
    await a.dispose();
    // Python on this checkpoint: unexpected = [decoder.bert.pooler.dense.weight]; BERT's position_ids buffer makes saved ones expected.
    const bert = copy(fixturePath('decoders', 'vit-bert'), 'extra-bert');
    addTensors(bert, ['decoder.bert.embeddings.position_ids', 'decoder.bert.pooler.dense.weight']);
    const b = await ImageToText.fromPretrained(bert, { onWarning: () => {} });
    expect((b.model as { unexpectedWeights: string[] }).unexpectedWeights).toEqual(['decoder.bert.pooler.dense.weight']);
    await b.dispose();
  });
});

describe('a config implying more weights than memory', () => {
  it.each([
    ['decoder', 'n_embd', 999999999],
    ['decoder', 'vocab_size', 2 ** 40],
    ['encoder', 'hidden_size', 3 * 2 ** 20],
    ['decoder', 'n_layer', 1e9],
  ])('%s.%s = %d → MODEL_TOO_LARGE in well under a second, before any allocation', async (side, field, value) => {
    const dir = copy(fixturePath('models', 'vit-gpt2-a'), `huge-${side}-${field}`);
    editConfig(dir, (c) => {
      c[side][field] = value;
      if (field === 'hidden_size') c.encoder.intermediate_size = 4 * value;
    });
    const start = performance.now();
    const err = await failure(ImageToText.fromPretrained(dir));
    expect(err.code).toBe('MODEL_TOO_LARGE');
    expect(err.message).toContain(join(dir, 'config.json'));
    // Not a timing assertion on speed: a generous bound that only an allocation-first path would exceed.
    expect(performance.now() - start).toBeLessThan(10_000);
  });

  it('says how many bytes the config implies and how much memory there is', async () => {
    const dir = copy(fixturePath('models', 'vit-gpt2-a'), 'huge-memory');
    // 64 layers of width 8192: 1.8e11 bytes, each tensor small enough for a typed array.
    editConfig(dir, (c) => Object.assign(c.decoder, { n_embd: 8192, n_head: 64, n_layer: 64 }));
    const err = await failure(ImageToText.fromPretrained(dir));
    expect(err.code).toBe('MODEL_TOO_LARGE');
    expect(err.message).toMatch(/implies \d+(\.\d+)? (GB|TB) of float32 weights/);
    expect(err.message).toContain('of memory this machine has');
  });
});

describe('dispose()', () => {
  const pixels = (pipe: ImageToText): PixelBatch => {
    const [h, w] = (pipe.model as { imageSize: [number, number] }).imageSize;
    return { data: new Float32Array(3 * h * w), dims: [1, 3, h, w] };
  };

  it('is idempotent, and every later call is a DISPOSED error', async () => {
    const pipe = await ImageToText.fromPretrained(fixturePath('models', 'vit-gpt2-a'));
    const px = pixels(pipe);
    await pipe.dispose();
    await pipe.dispose();
    await Promise.all([pipe.dispose(), pipe.model.dispose()]);
    for (const call of [
      () => pipe.generate(px, { maxNewTokens: 2 }),
      () => pipe.model.encode(px),
      () => pipe.model.forward({ pixelValues: px, labels: [[5, 2]] }),
    ]) {
      const err = await failure(call());
      expect(err.code).toBe('DISPOSED');
      expect(err.message).toContain('after dispose()');
    }
  });

  it('a decoding session of a disposed model, or a disposed session, refuses to step', async () => {
    const pipe = await ImageToText.fromPretrained(fixturePath('models', 'vit-gpt2-a'));
    const encoded = await pipe.model.encode(pixels(pipe));
    const session = pipe.model.startDecoding(encoded, [0]);
    await session.step([[298]]);
    session.dispose();
    session.dispose();
    expect((await failure(session.step([[5]]))).code).toBe('DISPOSED');
    const other = pipe.model.startDecoding(encoded, [0]);
    await pipe.dispose();
    expect((await failure(other.step([[298]]))).code).toBe('DISPOSED');
    expect(() => pipe.model.startDecoding(encoded, [0])).toThrow(VedError);
  });

  it('disposing while generate() runs ends it with DISPOSED, not onnxruntime\'s "Session already disposed"', async () => {
    const pipe = await ImageToText.fromPretrained(fixturePath('models', 'vit-gpt2-a'));
    const running = pipe.generate(pixels(pipe), { maxNewTokens: 60, eosTokenId: null, numBeams: 3, onWarning: () => {} });
    await new Promise((r) => setTimeout(r, 5));
    await pipe.dispose();
    const err = await failure(running);
    expect(err.code).toBe('DISPOSED');
  });

  it('the same holds for ONNX exports', async () => {
    const pipe = await ImageToText.fromPretrained(fixturePath('onnx', 'vit-gpt2-a'));
    const px = pixels(pipe);
    await pipe.dispose();
    await pipe.dispose();
    expect((await failure(pipe.generate(px, { maxNewTokens: 2 }))).code).toBe('DISPOSED');
  });
});
