import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { VedError, type VedErrorCode } from '../errors.js';
import { planShards, serializeShardIndex } from './shard-plan.js';
import { loadShardedSafetensors, parseShardIndex } from './sharded.js';
import { serializeSafetensors, type TensorToSave } from './writer.js';

const directories: string[] = [];
afterAll(() => {
  for (const directory of directories) rmSync(directory, { recursive: true, force: true });
});

const readBytes = async (name: string): Promise<Uint8Array> => new Uint8Array(await readFile(name));

function tensor(name: string, values: number[]): TensorToSave {
  return { name, dtype: 'F32', shape: [values.length], data: Float32Array.from(values) };
}

/** Writes shard files and an index (an object, or raw text) to a fresh directory; returns the index path. */
function writeSet(shards: Record<string, TensorToSave[]>, index: unknown): string {
  const directory = mkdtempSync(join(tmpdir(), 'ved-sharded-'));
  directories.push(directory);
  for (const [file, tensors] of Object.entries(shards)) writeFileSync(join(directory, file), serializeSafetensors(tensors));
  const indexPath = join(directory, 'model.safetensors.index.json');
  writeFileSync(indexPath, typeof index === 'string' ? index : JSON.stringify(index));
  return indexPath;
}

async function expectLoadError(indexPath: string, code: VedErrorCode, ...fragments: string[]): Promise<void> {
  const error = await loadShardedSafetensors(indexPath, readBytes).then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(VedError);
  expect((error as VedError).code).toBe(code);
  for (const fragment of fragments) expect((error as VedError).message).toContain(fragment);
}

const A = 'model-00001-of-00003.safetensors';
const B = 'model-00002-of-00003.safetensors';
const C = 'model-00003-of-00003.safetensors';

describe('loadShardedSafetensors', () => {
  it('loads a set written with planShards and serializeShardIndex', async () => {
    const tensors = [
      tensor('embeddings.weight', [1, 2, 3, 4]),
      tensor('encoder.layer.0.weight', [5, 6, 7, 8]),
      tensor('encoder.layer.1.weight', [9, 10]),
      tensor('pooler.weight', [11, 12, 13]),
    ];
    const plan = planShards(tensors, 24);
    expect(plan.shards.map((s) => s.fileName)).toEqual([A, B, C]);
    const byName = new Map(tensors.map((t) => [t.name, t]));
    const shards = Object.fromEntries(plan.shards.map((s) => [s.fileName, s.tensorNames.map((n) => byName.get(n)!)]));
    const indexPath = writeSet(shards, serializeShardIndex(plan));

    const source = await loadShardedSafetensors(indexPath, readBytes);
    expect(source.names()).toEqual(tensors.map((t) => t.name));
    expect(source.index.metadata['total_size']).toBe(52);
    expect(source.shards.map((s) => s.fileName)).toEqual([A, B, C].map((f) => join(indexPath, '..', f)));
    expect([...source.getFloat32('pooler.weight')]).toEqual([11, 12, 13]);
    expect(source.sourceOf('encoder.layer.1.weight')).toBe(join(indexPath, '..', B));
    expect(source.info('encoder.layer.0.weight')).toMatchObject({ dtype: 'F32', shape: [4] });
    expect(source.has('missing')).toBe(false);
    const missing = await Promise.resolve().then(() => source.getFloat32('encoder.layer.2.weight')).catch((e: unknown) => e);
    expect(missing).toBeInstanceOf(VedError);
    expect((missing as VedError).code).toBe('MISSING_WEIGHT');
    expect((missing as VedError).message).toContain('model.safetensors.index.json');
  });

  it('keeps tensors a shard holds but the index does not list', async () => {
    const indexPath = writeSet(
      { [A]: [tensor('a', [1]), tensor('extra', [2])], [B]: [tensor('b', [3])] },
      { metadata: { total_size: 8 }, weight_map: { a: A, b: B } },
    );
    const source = await loadShardedSafetensors(indexPath, readBytes);
    expect(source.names().sort()).toEqual(['a', 'b', 'extra']);
  });

  it('reports a missing shard, naming it and the index', async () => {
    const indexPath = writeSet({ [A]: [tensor('a', [1])] }, { weight_map: { a: A, b: B } });
    await expectLoadError(indexPath, 'FILE_NOT_FOUND', `"${B}"`, 'model.safetensors.index.json', 'listed for 1 tensor(s)');
  });

  it('reports a missing index', async () => {
    await expectLoadError('/nonexistent-ved-dir/model.safetensors.index.json', 'FILE_NOT_FOUND', 'Shard index');
  });

  it('reports a tensor listed in the index but absent from its shard', async () => {
    const indexPath = writeSet({ [A]: [tensor('a', [1])], [B]: [tensor('b', [2])] }, { weight_map: { a: A, b: B, c: B } });
    await expectLoadError(indexPath, 'INVALID_SAFETENSORS', 'tensor "c"', B, 'does not contain it');
  });

  it('reports a tensor that appears in two shards', async () => {
    const indexPath = writeSet(
      { [A]: [tensor('a', [1]), tensor('shared', [2])], [B]: [tensor('b', [3]), tensor('shared', [4])] },
      { weight_map: { a: A, b: B, shared: A } },
    );
    await expectLoadError(indexPath, 'INVALID_SAFETENSORS', 'Tensor "shared" appears in two shards', A, B);
  });

  it('reports an index that is not JSON and a shard that is not safetensors', async () => {
    await expectLoadError(writeSet({}, '{"weight_map": '), 'INVALID_JSON', 'model.safetensors.index.json');
    const indexPath = writeSet({ [A]: [tensor('a', [1])] }, { weight_map: { a: A } });
    const shardPath = join(indexPath, '..', A);
    writeFileSync(shardPath, readFileSync(shardPath).subarray(0, 20));
    await expectLoadError(indexPath, 'INVALID_SAFETENSORS', A, 'truncated');
  });

  it('passes other read errors through unchanged', async () => {
    const failure = new Error('permission denied');
    const error = await loadShardedSafetensors('model.safetensors.index.json', () => Promise.reject(failure)).catch((e: unknown) => e);
    expect(error).toBe(failure);
  });
});

describe('parseShardIndex', () => {
  const FILE = 'repo/model.safetensors.index.json';
  const expectInvalid = (json: unknown, ...fragments: string[]): void => {
    let error: unknown;
    try {
      parseShardIndex(json, FILE);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(VedError);
    expect((error as VedError).code).toBe('INVALID_SAFETENSORS');
    expect((error as VedError).message).toContain(FILE);
    for (const fragment of fragments) expect((error as VedError).message).toContain(fragment);
  };

  it('reads metadata, the weight map and the distinct shard names', () => {
    const index = parseShardIndex({ metadata: { total_size: 10 }, weight_map: { x: B, y: A, z: B } }, FILE);
    expect(index.metadata['total_size']).toBe(10);
    expect([...index.weightMap]).toEqual([
      ['x', B],
      ['y', A],
      ['z', B],
    ]);
    expect(index.shardFiles).toEqual([A, B]);
    expect(parseShardIndex({ weight_map: { x: A } }, FILE).metadata).toEqual({});
  });

  it('rejects malformed indexes', () => {
    expectInvalid([], 'expected a JSON object');
    expectInvalid({ metadata: {} }, '"weight_map" is missing');
    expectInvalid({ weight_map: [] }, '"weight_map" is []');
    expectInvalid({ weight_map: {} }, 'empty');
    expectInvalid({ weight_map: { a: 3 } }, 'weight_map["a"] is 3');
    expectInvalid({ metadata: 'x', weight_map: { a: A } }, '"metadata" is "x"');
  });

  it.each([['../secret.safetensors'], ['sub/model.safetensors'], ['C:\\model.safetensors'], ['..'], ['']])(
    'rejects the shard name %j',
    (shard) => expectInvalid({ weight_map: { a: shard } }, 'weight_map["a"]', 'plain file name'),
  );

  it('does not let "__proto__" entries touch prototypes', () => {
    const index = parseShardIndex(JSON.parse(`{"weight_map": {"__proto__": "${A}"}, "metadata": {"__proto__": 1}}`), FILE);
    expect(index.weightMap.get('__proto__')).toBe(A);
    expect(index.metadata['__proto__']).toBe(1);
  });
});
