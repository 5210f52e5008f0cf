import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { VedError, type VedErrorCode } from '../errors.js';
import type { SafetensorsDtype } from './dtype.js';
import { float32ToBfloat16, float32ToFloat16 } from './half-precision.js';
import { parseSafetensors } from './reader.js';
import { joinBytes, safetensorsParts, serializeSafetensors, type TensorToSave } from './writer.js';

const text = (bytes: Uint8Array): string => new TextDecoder().decode(bytes);
const headerOf = (bytes: Uint8Array): string => {
  const length = new DataView(bytes.buffer, bytes.byteOffset).getUint32(0, true);
  return text(bytes.subarray(8, 8 + length));
};
const bytesOf = (view: ArrayBufferView): number[] => [...new Uint8Array(view.buffer, view.byteOffset, view.byteLength)];

function expectError(action: () => unknown, code: VedErrorCode, ...fragments: string[]): void {
  let error: unknown;
  try {
    action();
  } catch (caught) {
    error = caught;
  }
  expect(error).toBeInstanceOf(VedError);
  expect((error as VedError).code).toBe(code);
  for (const fragment of fragments) expect((error as VedError).message).toContain(fragment);
}

/** One tensor of each dtype, with extreme values. */
const EVERY_DTYPE: TensorToSave[] = [
  { name: 'f64', dtype: 'F64', shape: [2], data: Float64Array.of(Math.PI, -Number.MAX_VALUE) },
  { name: 'f32', dtype: 'F32', shape: [2, 2], data: Float32Array.of(1, -0, Infinity, NaN) },
  { name: 'f16', dtype: 'F16', shape: [3], data: Uint16Array.of(0x3c00, 0x0001, 0x7e00) },
  { name: 'bf16', dtype: 'BF16', shape: [1, 3], data: Uint16Array.of(0x3f80, 0xff80, 0x0001) },
  { name: 'i64', dtype: 'I64', shape: [2], data: BigInt64Array.of(-(2n ** 63n), 2n ** 63n - 1n) },
  { name: 'i32', dtype: 'I32', shape: [2], data: Int32Array.of(-(2 ** 31), 2 ** 31 - 1) },
  { name: 'i16', dtype: 'I16', shape: [2], data: Int16Array.of(-32768, 32767) },
  { name: 'i8', dtype: 'I8', shape: [2], data: Int8Array.of(-128, 127) },
  { name: 'u8', dtype: 'U8', shape: [2], data: Uint8Array.of(0, 255) },
  { name: 'bool', dtype: 'BOOL', shape: [3], data: Uint8Array.of(1, 0, 1) },
  { name: 'scalar', dtype: 'F32', shape: [], data: Float32Array.of(7) },
  { name: 'empty', dtype: 'I64', shape: [0, 5], data: new BigInt64Array(0) },
];

describe('serializeSafetensors', () => {
  it('round-trips every dtype through parseSafetensors', () => {
    const file = parseSafetensors(serializeSafetensors(EVERY_DTYPE, { format: 'pt' }), 'roundtrip.safetensors');
    expect(new Set(file.names())).toEqual(new Set(EVERY_DTYPE.map((t) => t.name)));
    for (const tensor of EVERY_DTYPE) {
      expect(file.info(tensor.name)).toMatchObject({ dtype: tensor.dtype, shape: tensor.shape });
      expect([...file.getRaw(tensor.name)]).toEqual(bytesOf(tensor.data));
      // The reference lays out larger dtypes first, so every tensor lands aligned to its itemsize.
      expect(file.info(tensor.name).byteOffset % tensor.data.constructor.prototype.BYTES_PER_ELEMENT).toBe(0);
    }
  });

  it('orders tensors as the Rust Dtype enum, descending, then by name', () => {
    const order: SafetensorsDtype[] = ['I64', 'F64', 'F32', 'I32', 'BF16', 'F16', 'I16', 'I8', 'U8', 'BOOL'];
    const shuffled = [...EVERY_DTYPE].reverse().filter((t) => t.name !== 'scalar' && t.name !== 'empty');
    const file = parseSafetensors(serializeSafetensors(shuffled), 'order.safetensors');
    expect(file.names().map((name) => file.info(name).dtype)).toEqual(order);
    const header = headerOf(serializeSafetensors(shuffled));
    expect(order.map((dtype) => header.indexOf(`"dtype":"${dtype}"`))).toEqual(
      order.map((dtype) => header.indexOf(`"dtype":"${dtype}"`)).sort((a, b) => a - b),
    );
  });

  it('sorts names by UTF-8 bytes (code points), not UTF-16 units', () => {
    const names = ['😀', '\uffff', 'é', 'x', 'B', 'a'];
    const bytes = serializeSafetensors(names.map((name) => ({ name, dtype: 'U8', shape: [], data: Uint8Array.of(0) })));
    expect(parseSafetensors(bytes, 'names.safetensors').names()).toEqual(['B', 'a', 'x', 'é', '\uffff', '😀']);
  });

  it('matches the reference serializer test vectors', () => {
    // From safetensors/src/tensor.rs: test_serialization, test_serialization_forced_alignement, test_empty.
    const data = Float32Array.of(0, 1, 2, 3, 4, 5);
    const plain = serializeSafetensors([{ name: 'attn.0', dtype: 'F32', shape: [1, 2, 3], data }]);
    expect(plain.length).toBe(8 + 64 + 24);
    expect([...plain.subarray(0, 8)]).toEqual([64, 0, 0, 0, 0, 0, 0, 0]);
    expect(headerOf(plain)).toBe('{"attn.0":{"dtype":"F32","shape":[1,2,3],"data_offsets":[0,24]}}');
    expect([...plain.subarray(72)]).toEqual(bytesOf(data));

    const padded = serializeSafetensors([{ name: 'attn0', dtype: 'F32', shape: [1, 1, 2, 3], data }]);
    expect(headerOf(padded)).toBe('{"attn0":{"dtype":"F32","shape":[1,1,2,3],"data_offsets":[0,24]}}       ');

    expect([...serializeSafetensors([])]).toEqual([8, 0, 0, 0, 0, 0, 0, 0, 123, 125, 32, 32, 32, 32, 32, 32]);
    expect(headerOf(serializeSafetensors([], { framework: 'pt' }))).toBe('{"__metadata__":{"framework":"pt"}}     ');
  });

  it('writes __metadata__ first, and only when given (even empty)', () => {
    const one = [{ name: 'x', dtype: 'F32' as const, shape: [1], data: Float32Array.of(0) }];
    expect(headerOf(serializeSafetensors(one))).not.toContain('__metadata__');
    expect(headerOf(serializeSafetensors(one, {}))).toMatch(/^\{"__metadata__":\{\},"x":/);
    expect(headerOf(serializeSafetensors(one, { b: '1', a: '2' }))).toMatch(/^\{"__metadata__":\{"b":"1","a":"2"\},"x":/);
  });

  it('escapes names and metadata as serde_json does', () => {
    const bytes = serializeSafetensors([{ name: 'é"\\\n\u2028x', dtype: 'F32', shape: [0, 3], data: new Float32Array(0) }], {
      k: 'vé\u0001',
    });
    expect(headerOf(bytes).trimEnd()).toBe(
      '{"__metadata__":{"k":"vé\\u0001"},"é\\"\\\\\\n\u2028x":{"dtype":"F32","shape":[0,3],"data_offsets":[0,0]}}',
    );
  });

  it('reproduces a file written by Python safetensors byte for byte', () => {
    // __fixtures__/python-written.safetensors: safetensors 0.8.0 `safetensors.torch.save_file(t, path,
    // metadata={"format": "pt"})` with these tensors (F16/BF16 narrowed from float32 by torch).
    const expected = new Uint8Array(readFileSync(new URL('./__fixtures__/python-written.safetensors', import.meta.url)));
    const tensors: TensorToSave[] = [
      { name: 'weight', dtype: 'F32', shape: [2, 3], data: Float32Array.of(0, 1, -1.5, 3.25, 0.001, -7) },
      { name: 'bias', dtype: 'F32', shape: [3], data: Float32Array.of(0.1, 0.2, 0.3) },
      { name: 'a.ü', dtype: 'F32', shape: [], data: Float32Array.of(7) },
      { name: 'q"\\\n\u2028\u0001😀', dtype: 'F32', shape: [1], data: Float32Array.of(-0) },
      { name: 'empty', dtype: 'F32', shape: [0, 4], data: new Float32Array(0) },
      { name: 'h', dtype: 'F16', shape: [5], data: float32ToFloat16(Float32Array.of(1, -0.5, 65504, 6e-8, 0.1)) },
      { name: 'bf', dtype: 'BF16', shape: [3], data: float32ToBfloat16(Float32Array.of(1 / 3, -2, 1e30)) },
      { name: 'd', dtype: 'F64', shape: [2], data: Float64Array.of(Math.PI, -1e300) },
      { name: 'i64', dtype: 'I64', shape: [3], data: BigInt64Array.of(1n, -2n, 2n ** 40n) },
      { name: 'i32', dtype: 'I32', shape: [2], data: Int32Array.of(-2147483648, 2147483647) },
      { name: 'i16', dtype: 'I16', shape: [2], data: Int16Array.of(-32768, 1234) },
      { name: 'i8', dtype: 'I8', shape: [3], data: Int8Array.of(-128, 0, 127) },
      { name: 'u8', dtype: 'U8', shape: [2], data: Uint8Array.of(0, 255) },
      { name: 'mask', dtype: 'BOOL', shape: [3], data: Uint8Array.of(1, 0, 1) },
    ];
    const written = serializeSafetensors(tensors, { format: 'pt' });
    expect(headerOf(written)).toBe(headerOf(expected));
    expect(Buffer.from(written).equals(Buffer.from(expected))).toBe(true);

    const file = parseSafetensors(expected, 'python-written.safetensors');
    expect({ ...file.metadata }).toEqual({ format: 'pt' });
    expect([...file.getFloat32('h')]).toEqual([1, -0.5, 65504, 5.960464477539063e-8, 0.0999755859375]);
    expect([...file.getFloat32('bf')]).toEqual([0.333984375, -2, 1.0002555517425873e30]);
    expect([...file.getFloat32('d')]).toEqual([Math.fround(Math.PI), -Infinity]);
  });

  it('rejects bad input with messages naming the tensor', () => {
    const x = { name: 'x', dtype: 'F32' as const, shape: [2], data: new Float32Array(2) };
    expectError(() => serializeSafetensors([x, x]), 'INVALID_INPUT', '"x" is used twice');
    expectError(() => serializeSafetensors([{ ...x, name: '__metadata__' }]), 'INVALID_INPUT', 'reserved');
    expectError(() => serializeSafetensors([{ ...x, dtype: 'F8_E4M3' as SafetensorsDtype }]), 'UNSUPPORTED_DTYPE', '"x"', '"F8_E4M3"');
    expectError(() => serializeSafetensors([{ ...x, shape: [2, -1] }]), 'INVALID_INPUT', '"x"', 'has -1 at axis 1');
    expectError(() => serializeSafetensors([{ ...x, shape: [3] }]), 'INVALID_INPUT', '"x"', 'data is 8 bytes', 'needs 12 bytes');
    expectError(() => serializeSafetensors([{ ...x, dtype: 'BF16' }]), 'INVALID_INPUT', 'float32ToBfloat16');
    expectError(() => serializeSafetensors([{ ...x, data: [0, 0] as unknown as Float32Array }]), 'INVALID_INPUT', 'expected a typed array');
    expectError(() => serializeSafetensors([{ ...x, name: 'bad\uD800' }]), 'INVALID_INPUT', 'well-formed');
    expectError(() => serializeSafetensors([x], { format: 1 as unknown as string }), 'INVALID_INPUT', 'metadata["format"]');
  });
});

describe('safetensorsParts', () => {
  it('is the file of serializeSafetensors in pieces: the header, then views of the tensors (no copies)', () => {
    const parts = safetensorsParts(EVERY_DTYPE, { format: 'pt' });
    expect(joinBytes(parts)).toEqual(serializeSafetensors(EVERY_DTYPE, { format: 'pt' }));
    expect(parts).toHaveLength(1 + EVERY_DTYPE.length);
    // Each tensor's piece shares its data's memory.
    for (const tensor of EVERY_DTYPE.filter((t) => t.data.byteLength > 0)) {
      expect(parts.some((p) => p.buffer === tensor.data.buffer && p.byteOffset === tensor.data.byteOffset && p.byteLength === tensor.data.byteLength)).toBe(true);
    }
  });

  it('checks its tensors as serializeSafetensors does', () => {
    expectError(() => safetensorsParts([{ name: 'a', dtype: 'F32', shape: [3], data: new Float32Array(2) }]), 'INVALID_INPUT', 'tensor "a"', 'needs 12 bytes');
  });
});
