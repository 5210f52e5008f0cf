import { describe, expect, it } from 'vitest';
import { VedError, type VedErrorCode } from '../errors.js';
import { parseSafetensors } from './reader.js';
import { serializeSafetensors } from './writer.js';

const FILE = 'dir/model.safetensors';

/** A file with exactly this header (JSON-encoded unless a string) and `data` (bytes or a length). */
function rawFile(header: unknown, data: Uint8Array | number = 0): Uint8Array {
  const text = new TextEncoder().encode(typeof header === 'string' ? header : JSON.stringify(header));
  const body = typeof data === 'number' ? new Uint8Array(data) : data;
  const out = new Uint8Array(8 + text.length + body.length);
  new DataView(out.buffer).setUint32(0, text.length, true);
  out.set(text, 8);
  out.set(body, 8 + text.length);
  return out;
}

function thrown(action: () => unknown): VedError {
  try {
    action();
  } catch (error) {
    expect(error).toBeInstanceOf(VedError);
    return error as VedError;
  }
  throw new Error('expected a VedError, but nothing was thrown');
}

function expectError(bytes: Uint8Array, code: VedErrorCode, ...fragments: string[]): void {
  const error = thrown(() => parseSafetensors(bytes, FILE));
  expect(error.code).toBe(code);
  expect(error.message).toContain(JSON.stringify(FILE));
  for (const fragment of fragments) expect(error.message).toContain(fragment);
}

const f32 = (name: string, shape: number[], begin: number, end: number) => ({
  [name]: { dtype: 'F32', shape, data_offsets: [begin, end] },
});

describe('parseSafetensors: reading', () => {
  const file = parseSafetensors(
    serializeSafetensors(
      [
        { name: 'w', dtype: 'F32', shape: [2, 2], data: Float32Array.of(1, 2, 3, 4) },
        { name: 'ids', dtype: 'I64', shape: [2], data: BigInt64Array.of(-1n, 2n ** 40n) },
        { name: 'flags', dtype: 'BOOL', shape: [3], data: Uint8Array.of(1, 0, 1) },
      ],
      { format: 'pt' },
    ),
    FILE,
  );

  it('exposes names in file order, info, metadata and raw bytes', () => {
    expect(file.fileName).toBe(FILE);
    expect(file.names()).toEqual(['ids', 'w', 'flags']);
    expect({ ...file.metadata }).toEqual({ format: 'pt' });
    expect(file.has('w')).toBe(true);
    expect(file.has('x')).toBe(false);
    const info = file.info('w');
    expect(info).toMatchObject({ dtype: 'F32', shape: [2, 2], byteLength: 16 });
    expect(file.sourceOf('w')).toBe(FILE);
    expect([...new BigInt64Array(file.getRaw('ids').slice().buffer)]).toEqual([-1n, 2n ** 40n]);
  });

  it('reads F32 as a view of the file when aligned', () => {
    const values = file.getFloat32('w');
    expect([...values]).toEqual([1, 2, 3, 4]);
    expect(values.buffer).toBe(file.getRaw('w').buffer);
  });

  it('copies F32 that is not 4-byte aligned', () => {
    const bytes = serializeSafetensors([{ name: 'w', dtype: 'F32', shape: [3], data: Float32Array.of(1.5, -2, 3) }]);
    const shifted = new Uint8Array(bytes.length + 1);
    shifted.set(bytes, 1);
    const misaligned = parseSafetensors(shifted.subarray(1), FILE);
    expect([...misaligned.getFloat32('w')]).toEqual([1.5, -2, 3]);
  });

  it('converts F64, F16, BF16 and the small integer types to float32', () => {
    const source = parseSafetensors(
      serializeSafetensors([
        { name: 'f64', dtype: 'F64', shape: [2], data: Float64Array.of(0.1, -1e300) },
        { name: 'f16', dtype: 'F16', shape: [3], data: Uint16Array.of(0x3c00, 0x0001, 0xfc00) },
        { name: 'bf16', dtype: 'BF16', shape: [2], data: Uint16Array.of(0x3f80, 0xc049) },
        { name: 'bool', dtype: 'BOOL', shape: [2], data: Uint8Array.of(0, 1) },
        { name: 'u8', dtype: 'U8', shape: [2], data: Uint8Array.of(0, 255) },
        { name: 'i8', dtype: 'I8', shape: [2], data: Int8Array.of(-128, 127) },
        { name: 'i16', dtype: 'I16', shape: [2], data: Int16Array.of(-32768, 32767) },
      ]),
      FILE,
    );
    expect([...source.getFloat32('f64')]).toEqual([Math.fround(0.1), -Infinity]);
    expect([...source.getFloat32('f16')]).toEqual([1, 2 ** -24, -Infinity]);
    expect([...source.getFloat32('bf16')]).toEqual([1, -3.140625]);
    expect([...source.getFloat32('bool')]).toEqual([0, 1]);
    expect([...source.getFloat32('u8')]).toEqual([0, 255]);
    expect([...source.getFloat32('i8')]).toEqual([-128, 127]);
    expect([...source.getFloat32('i16')]).toEqual([-32768, 32767]);
  });

  it('refuses I32 and I64 in getFloat32, pointing to getRaw', () => {
    const source = parseSafetensors(
      serializeSafetensors([
        { name: 'pos', dtype: 'I32', shape: [1], data: Int32Array.of(16777217) },
        { name: 'ids', dtype: 'I64', shape: [1], data: BigInt64Array.of(1n) },
      ]),
      FILE,
    );
    for (const name of ['pos', 'ids']) {
      const error = thrown(() => source.getFloat32(name));
      expect(error.code).toBe('UNSUPPORTED_DTYPE');
      expect(error.message).toContain(`"${name}"`);
      expect(error.message).toContain(FILE);
      expect(error.message).toContain('getRaw');
    }
  });

  it('reports a missing tensor with similar names', () => {
    const error = thrown(() => file.info('encoder.w'));
    expect(error.code).toBe('MISSING_WEIGHT');
    expect(error.message).toContain('"encoder.w"');
    expect(error.message).toContain(FILE);
    const withSuggestion = thrown(() =>
      parseSafetensors(
        serializeSafetensors([{ name: 'encoder.layer.0.weight', dtype: 'F32', shape: [], data: Float32Array.of(1) }]),
        FILE,
      ).getFloat32('encoder.layer.1.weight'),
    );
    expect(withSuggestion.message).toContain('similar names: "encoder.layer.0.weight"');
  });

  it('accepts an empty file, zero-sized tensors and a null __metadata__', () => {
    expect(parseSafetensors(serializeSafetensors([]), FILE).names()).toEqual([]);
    const zero = parseSafetensors(rawFile({ __metadata__: null, ...f32('e', [0, 3], 0, 0), ...f32('x', [1], 0, 4) }, 4), FILE);
    expect(zero.getFloat32('e').length).toBe(0);
    expect(zero.info('e').shape).toEqual([0, 3]);
    expect({ ...zero.metadata }).toEqual({});
  });

  it('treats __proto__ and constructor as ordinary names without polluting prototypes', () => {
    const header = `{"__proto__":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"constructor":{"dtype":"U8","shape":[1],"data_offsets":[4,5]},"__metadata__":{"__proto__":"x","toString":"y"}}`;
    const source = parseSafetensors(rawFile(header, 5), FILE);
    expect(source.names()).toEqual(['__proto__', 'constructor']);
    expect(source.info('__proto__').dtype).toBe('F32');
    expect(source.metadata['__proto__']).toBe('x');
    expect(source.metadata['toString']).toBe('y');
    expect(source.has('hasOwnProperty')).toBe(false);
    expect(({} as Record<string, unknown>)['dtype']).toBeUndefined();
  });
});

describe('parseSafetensors: malformed files', () => {
  it('rejects a file shorter than 8 bytes', () => {
    expectError(new Uint8Array(5), 'INVALID_SAFETENSORS', '5 byte(s)', '8-byte');
    expectError(new Uint8Array(0), 'INVALID_SAFETENSORS', '0 byte(s)');
  });

  it('rejects an absurd header length', () => {
    const huge = new Uint8Array(16);
    new DataView(huge.buffer).setUint32(0, 200_000_000, true);
    expectError(huge, 'INVALID_SAFETENSORS', '200000000-byte header', '100000000');
    const enormous = new Uint8Array(16).fill(0xff);
    expectError(enormous, 'INVALID_SAFETENSORS', '18446744073709551615-byte header');
  });

  it('rejects a header longer than the file', () => {
    const bytes = rawFile({}).subarray(0, 9);
    expectError(bytes, 'INVALID_SAFETENSORS', '2-byte header', 'at least 10 bytes', 'it is 9 bytes', 'truncated');
  });

  it('rejects a header that is not UTF-8, not JSON or not an object', () => {
    const bad = rawFile('{}');
    bad[8] = 0xff;
    expectError(bad, 'INVALID_SAFETENSORS', 'not valid UTF-8');
    expectError(rawFile('{"a": '), 'INVALID_SAFETENSORS', 'not valid JSON');
    expectError(rawFile('\uFEFF{}'), 'INVALID_SAFETENSORS', 'not valid JSON');
    expectError(rawFile('[1,2]'), 'INVALID_SAFETENSORS', 'header is [1,2], expected a JSON object');
    expectError(rawFile('null'), 'INVALID_SAFETENSORS', 'expected a JSON object');
  });

  it('rejects a tensor entry that is not an object', () => {
    expectError(rawFile({ w: [1, 2] }), 'INVALID_SAFETENSORS', 'tensor "w"', 'expected an object');
  });

  it('rejects unsupported and unknown dtypes with UNSUPPORTED_DTYPE, naming the tensor', () => {
    for (const dtype of ['F8_E4M3', 'F8_E5M2', 'U32', 'float32']) {
      const bytes = rawFile({ 'layer.w': { dtype, shape: [1], data_offsets: [0, 1] } }, 1);
      expectError(bytes, 'UNSUPPORTED_DTYPE', '"layer.w"', `"${dtype}"`, '"BF16"');
    }
    expectError(rawFile({ w: { dtype: 4, shape: [1], data_offsets: [0, 4] } }, 4), 'INVALID_SAFETENSORS', 'tensor "w" has dtype 4');
    expectError(rawFile({ w: { shape: [1], data_offsets: [0, 4] } }, 4), 'INVALID_SAFETENSORS', 'tensor "w" has dtype missing');
  });

  it.each([
    ['"2x2"', '"2x2" is not an array'],
    ['[2,-1]', 'has -1 at axis 1'],
    ['[1.5]', 'has 1.5 at axis 0'],
    ['[1e300]', 'has 1e+300 at axis 0'],
    ['["1"]', 'has "1" at axis 0'],
    ['[null]', 'has null at axis 0'],
    ['[4294967296,4294967296]', 'more than 2^53 bytes'],
  ])('rejects shape %s', (shape, fragment) => {
    const header = `{"w":{"dtype":"F32","shape":${shape},"data_offsets":[0,4]}}`;
    expectError(rawFile(header, 4), 'INVALID_SAFETENSORS', 'tensor "w"', fragment);
  });

  it.each([
    ['[0]'],
    ['[0,4,8]'],
    ['[4,0]'],
    ['[-4,0]'],
    ['[0,4.5]'],
    ['[0,1e400]'],
    ['"0-4"'],
    ['{"0":0,"1":4}'],
  ])('rejects data_offsets %s', (offsets) => {
    const header = `{"w":{"dtype":"F32","shape":[1],"data_offsets":${offsets}}}`;
    expectError(rawFile(header, 4), 'INVALID_SAFETENSORS', 'tensor "w" has data_offsets', 'expected [begin, end]');
  });

  it('rejects offsets whose length does not match dtype and shape', () => {
    expectError(rawFile(f32('w', [2, 3], 0, 20), 20), 'INVALID_SAFETENSORS', 'tensor "w"', '[0, 20] (20 bytes)', 'F32', '[2, 3]', 'needs 24 bytes');
  });

  it('reports a truncated file with expected and actual sizes', () => {
    const full = serializeSafetensors([{ name: 'w', dtype: 'F32', shape: [4], data: new Float32Array(4) }]);
    const cut = full.subarray(0, full.length - 3);
    expectError(cut, 'INVALID_SAFETENSORS', 'truncated', 'tensor "w"', `should be ${full.length} bytes`, `it is ${cut.length} bytes`);
  });

  it('rejects overlapping tensors', () => {
    const header = { ...f32('a', [2], 0, 8), ...f32('b', [2], 4, 12) };
    expectError(rawFile(header, 12), 'INVALID_SAFETENSORS', 'tensor "b" (data bytes [4, 12)) overlaps tensor "a"');
    const same = { ...f32('a', [1], 0, 4), ...f32('b', [1], 0, 4) };
    expectError(rawFile(same, 4), 'INVALID_SAFETENSORS', 'overlaps');
  });

  it('rejects holes and trailing bytes (the data must be fully covered)', () => {
    expectError(rawFile(f32('a', [1], 4, 8), 8), 'INVALID_SAFETENSORS', 'data bytes [0, 4) at the start of the data, before tensor "a"');
    const gap = { ...f32('a', [1], 0, 4), ...f32('b', [1], 8, 12) };
    expectError(rawFile(gap, 12), 'INVALID_SAFETENSORS', 'data bytes [4, 8) between tensor "a" and tensor "b" (data bytes [8, 12)) belong to no tensor');
    expectError(rawFile(f32('a', [1], 0, 4), 6), 'INVALID_SAFETENSORS', '2 trailing byte(s)');
    expectError(rawFile({}, 1), 'INVALID_SAFETENSORS', '1 trailing byte(s)');
  });

  it('rejects __metadata__ that is not a string-to-string map', () => {
    expectError(rawFile({ __metadata__: ['pt'] }), 'INVALID_SAFETENSORS', '__metadata__ is ["pt"]');
    expectError(rawFile({ __metadata__: { format: 1 } }), 'INVALID_SAFETENSORS', '__metadata__["format"] is 1, expected a string');
  });
});

describe('parseSafetensors: hostile headers', () => {
  it('fails cleanly on deeply nested JSON and infinite numbers', () => {
    const deep = `{"w":${'['.repeat(200_000)}${']'.repeat(200_000)}}`;
    expectError(rawFile(deep), 'INVALID_SAFETENSORS', 'tensor "w"');
    expectError(rawFile('{"w":{"dtype":"F32","shape":[1e400],"data_offsets":[0,4]}}', 4), 'INVALID_SAFETENSORS', 'has Infinity at axis 0');
  });

  it('rejects a huge shape or offset without allocating', () => {
    const header = { w: { dtype: 'F32', shape: [2 ** 50], data_offsets: [0, 2 ** 52] } };
    expectError(rawFile(header, 4), 'INVALID_SAFETENSORS', 'truncated', `it is ${8 + JSON.stringify(header).length + 4} bytes`);
  });
});
