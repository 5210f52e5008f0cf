/**
 * Property-based fuzzing (fast-check, fixed seeds, bounded runs) of the
 * safetensors reader and the shard-index reader: on any generated input they
 * either succeed or throw a `VedError`, never a TypeError, RangeError or a
 * crash, and what they return can be read back without one.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { VedError } from '../errors.js';
import { SAFETENSORS_DTYPES } from './dtype.js';
import { parseSafetensors } from './reader.js';
import { loadShardedSafetensors, parseShardIndex } from './sharded.js';
import { serializeSafetensors } from './writer.js';

const RUNS = { seed: 1919, numRuns: 400 };

/** Runs `fn`; any error must be a VedError. Returns the error, if any. */
function onlyVedErrors(fn: () => void): VedError | undefined {
  try {
    fn();
    return undefined;
  } catch (err) {
    if (!(err instanceof VedError)) throw new Error(`not a VedError: ${(err as Error)?.stack ?? String(err)}`);
    return err;
  }
}

async function onlyVedErrorsAsync(fn: () => Promise<void>): Promise<void> {
  try {
    await fn();
  } catch (err) {
    if (!(err instanceof VedError)) throw new Error(`not a VedError: ${(err as Error)?.stack ?? String(err)}`);
  }
}

/** Parses and then reads every tensor of a file (the reads must hold too). */
function parseAndRead(bytes: Uint8Array): void {
  const file = parseSafetensors(bytes, 'fuzz.safetensors');
  for (const name of file.names()) {
    const info = file.info(name);
    expect(Array.isArray(info.shape)).toBe(true);
    onlyVedErrors(() => void file.getFloat32(name));
  }
}

function fileOf(header: string, dataBytes: number): Uint8Array {
  const json = new TextEncoder().encode(header);
  const out = new Uint8Array(8 + json.length + dataBytes);
  new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
  out.set(json, 8);
  return out;
}

const junk = fc.oneof(
  fc.integer({ min: -3, max: 1 << 20 }),
  fc.constantFrom(2 ** 53, 2 ** 61, 2 ** 64, -0, 1.5, Number.MAX_SAFE_INTEGER, 1e300),
  fc.string({ maxLength: 6 }),
  fc.constant(null),
  fc.boolean(),
);

/** A header entry close to a real one, each field sometimes wrong. */
const tensorEntry = fc.record(
  {
    dtype: fc.oneof(fc.constantFrom(...SAFETENSORS_DTYPES), fc.string({ maxLength: 5 }), junk),
    shape: fc.oneof(fc.array(fc.oneof(fc.integer({ min: 0, max: 6 }), junk), { maxLength: 4 }), junk),
    data_offsets: fc.oneof(fc.tuple(fc.integer({ min: 0, max: 64 }), fc.integer({ min: 0, max: 64 })), fc.array(junk, { maxLength: 3 }), junk),
  },
  { requiredKeys: [] },
);

const header = fc.dictionary(
  fc.oneof(fc.string({ maxLength: 8 }), fc.constantFrom('__metadata__', 'a.weight', 'b', '')),
  fc.oneof(tensorEntry, fc.dictionary(fc.string({ maxLength: 4 }), fc.string({ maxLength: 4 })), junk),
  { maxKeys: 5 },
);

describe('safetensors reader under fuzzing', () => {
  it('arbitrary bytes', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 256 }), (bytes) => void onlyVedErrors(() => parseAndRead(bytes))), RUNS);
  });

  it('an 8-byte length followed by anything', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }), fc.uint8Array({ maxLength: 128 }), (length, rest) => {
        const bytes = new Uint8Array(8 + rest.length);
        new DataView(bytes.buffer).setBigUint64(0, length, true);
        bytes.set(rest, 8);
        onlyVedErrors(() => parseAndRead(bytes));
      }),
      RUNS,
    );
  });

  it('headers close to real ones, with any data length', () => {
    fc.assert(
      fc.property(header, fc.integer({ min: 0, max: 96 }), (h, dataBytes) => void onlyVedErrors(() => parseAndRead(fileOf(JSON.stringify(h), dataBytes)))),
      RUNS,
    );
  });

  it('JSON text that is not an object, or not JSON', () => {
    fc.assert(
      fc.property(fc.oneof(fc.json(), fc.string({ maxLength: 40 }), fc.constantFrom('{"a":', '{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}  ', '\u0000{}')), (text) =>
        void onlyVedErrors(() => parseAndRead(fileOf(text, 4))),
      ),
      RUNS,
    );
  });

  it('real files with flipped bytes and truncations', () => {
    const valid = serializeSafetensors(
      [
        { name: 'w', dtype: 'F32', shape: [2, 3], data: Float32Array.from([1, 2, 3, 4, 5, 6]) },
        { name: 'h', dtype: 'F16', shape: [4], data: new Uint16Array([15360, 16384, 0, 1]) },
        { name: 'i', dtype: 'I64', shape: [1], data: BigInt64Array.from([7n]) },
      ],
      { format: 'pt' },
    );
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.nat({ max: valid.length - 1 }), fc.integer({ min: 1, max: 255 })), { maxLength: 6 }),
        fc.nat({ max: valid.length }),
        (flips, keep) => {
          const bytes = valid.slice(0, keep === 0 ? valid.length : keep);
          for (const [at, xor] of flips) if (at < bytes.length) bytes[at] = bytes[at]! ^ xor;
          onlyVedErrors(() => parseAndRead(bytes));
        },
      ),
      RUNS,
    );
  });
});

describe('shard index reader under fuzzing', () => {
  const weightMap = fc.dictionary(fc.string({ maxLength: 6 }), fc.oneof(fc.constantFrom('a.safetensors', 'b.safetensors', '../x.safetensors', ''), junk), { maxKeys: 4 });

  it('any JSON value, and objects close to a real index', () => {
    const index = fc.record(
      { metadata: fc.oneof(fc.record({ total_size: junk }, { requiredKeys: [] }), junk), weight_map: fc.oneof(weightMap, junk) },
      { requiredKeys: [] },
    );
    fc.assert(fc.property(fc.oneof(fc.jsonValue(), index), (json) => void onlyVedErrors(() => void parseShardIndex(json, 'model.safetensors.index.json'))), RUNS);
  });

  it('loading an index whose shards are arbitrary bytes', async () => {
    await fc.assert(
      fc.asyncProperty(weightMap, fc.uint8Array({ maxLength: 64 }), fc.boolean(), async (map, shardBytes, missing) => {
        const files: Record<string, Uint8Array> = {
          'model.safetensors.index.json': new TextEncoder().encode(JSON.stringify({ metadata: {}, weight_map: map })),
        };
        if (!missing) files['a.safetensors'] = shardBytes;
        await onlyVedErrorsAsync(async () => {
          await loadShardedSafetensors('model.safetensors.index.json', async (name) => {
            const f = files[name];
            if (f === undefined) throw new VedError('FILE_NOT_FOUND', `${name} not found`);
            return f;
          });
        });
      }),
      { ...RUNS, numRuns: 200 },
    );
  });
});
