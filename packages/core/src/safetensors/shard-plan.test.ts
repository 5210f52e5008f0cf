import { describe, expect, it } from 'vitest';
import { VedError } from '../errors.js';
import { dumpsPythonJson, pythonFloat } from './python-json.js';
import { parseSizeToInt, planShards, serializeShardIndex } from './shard-plan.js';

/** U8 tensors, so that each shape is the tensor's size in bytes. */
const sized = (sizes: Record<string, number>) =>
  Object.entries(sizes).map(([name, size]) => ({ name, dtype: 'U8' as const, shape: [size] }));

const SIZES = { 'b.weight': 40, 'a.weight': 30, é: 100, '😀': 10, '\uffff': 20, z: 5 };

describe('planShards', () => {
  it('splits as huggingface_hub does: in order, oversized tensors alone', () => {
    // Python: split_state_dict_into_shards_factory(..., max_shard_size=60) on the same sizes.
    const plan = planShards(sized(SIZES), 60);
    expect(plan.isSharded).toBe(true);
    expect(plan.totalSize).toBe(205);
    expect(plan.shards.map((s) => [s.fileName, s.tensorNames, s.byteLength])).toEqual([
      ['model-00001-of-00004.safetensors', ['b.weight'], 40],
      ['model-00002-of-00004.safetensors', ['é'], 100],
      ['model-00003-of-00004.safetensors', ['a.weight', '😀', '\uffff'], 60],
      ['model-00004-of-00004.safetensors', ['z'], 5],
    ]);
    expect(plan.weightMap.get('z')).toBe('model-00004-of-00004.safetensors');
  });

  it('keeps everything in model.safetensors when it fits, and plans nothing for no tensors', () => {
    const single = planShards(sized(SIZES), '1KB');
    expect(single.isSharded).toBe(false);
    expect(single.shards.map((s) => s.fileName)).toEqual(['model.safetensors']);
    expect(single.shards[0]!.tensorNames).toEqual(Object.keys(SIZES));
    expect(planShards([], '1KB')).toMatchObject({ isSharded: false, shards: [], totalSize: 0 });
  });

  it('sizes tensors by dtype and shape, and accepts a filename pattern', () => {
    const plan = planShards(
      [
        { name: 'w', dtype: 'F32', shape: [2, 3] },
        { name: 'ids', dtype: 'I64', shape: [2] },
      ],
      24,
      { filenamePattern: 'model.fp16{suffix}.safetensors' },
    );
    expect(plan.shards.map((s) => [s.fileName, s.byteLength])).toEqual([
      ['model.fp16-00001-of-00002.safetensors', 24],
      ['model.fp16-00002-of-00002.safetensors', 16],
    ]);
  });

  it('rejects bad options and tensors', () => {
    const codeOf = (action: () => unknown): string | undefined => {
      try {
        action();
      } catch (error) {
        return error instanceof VedError ? error.code : 'not a VedError';
      }
      return undefined;
    };
    expect(codeOf(() => planShards(sized(SIZES), 0))).toBe('INVALID_OPTION');
    expect(codeOf(() => planShards(sized(SIZES), '5 parsecs'))).toBe('INVALID_OPTION');
    expect(codeOf(() => planShards(sized(SIZES), 10, { filenamePattern: 'model.safetensors' }))).toBe('INVALID_OPTION');
    expect(codeOf(() => planShards([...sized({ x: 1 }), ...sized({ x: 2 })], 10))).toBe('INVALID_INPUT');
    expect(codeOf(() => planShards([{ name: 'x', dtype: 'U8', shape: [-1] }], 10))).toBe('INVALID_INPUT');
  });
});

describe('serializeShardIndex', () => {
  it("matches transformers' json.dumps(index, indent=2, sort_keys=True) byte for byte", () => {
    // Python output for the plan above with total_parameters=51 (ensure_ascii escapes, code point key order).
    const expected =
      '{\n  "metadata": {\n    "total_parameters": 51,\n    "total_size": 205\n  },\n  "weight_map": {\n' +
      '    "a.weight": "model-00003-of-00004.safetensors",\n    "b.weight": "model-00001-of-00004.safetensors",\n' +
      '    "z": "model-00004-of-00004.safetensors",\n    "\\u00e9": "model-00002-of-00004.safetensors",\n' +
      '    "\\uffff": "model-00003-of-00004.safetensors",\n    "\\ud83d\\ude00": "model-00003-of-00004.safetensors"\n  }\n}\n';
    expect(serializeShardIndex(planShards(sized(SIZES), 60), { totalParameters: 51 })).toBe(expected);
  });

  it('omits total_parameters unless given', () => {
    const text = serializeShardIndex(planShards(sized({ a: 1, b: 1 }), 1));
    expect(JSON.parse(text)).toEqual({
      metadata: { total_size: 2 },
      weight_map: { a: 'model-00001-of-00002.safetensors', b: 'model-00002-of-00002.safetensors' },
    });
  });
});

describe('dumpsPythonJson', () => {
  it('writes the value kinds ved needs as Python does', () => {
    expect(dumpsPythonJson({ b: [1, true, null], a: {}, c: [], d: 'tab\there\u007f' })).toBe(
      '{\n  "a": {},\n  "b": [\n    1,\n    true,\n    null\n  ],\n  "c": [],\n  "d": "tab\\there\\u007f"\n}',
    );
  });

  it("writes floats as Python's repr, and integers as floats where floatKeys says Python holds a float", () => {
    // repr() of these floats in CPython 3.11.
    const numbers = [0.0, -0.0, 4.0, 0.1, 1e-5, 1e-12, 0.0001, 0.00012345, 1e-4 * 0.99, 1e16, 1e15, 123456789012345.6, 1.5e16, 2.5e-7,
      1 / 3, -2.0, 1e22, 1e100, 5e-324, 1.7976931348623157e308, 0.02, 6.103515625e-5, 1234567890123456.0, 12345678901234567.0];
    const python = ['0.0', '-0.0', '4.0', '0.1', '1e-05', '1e-12', '0.0001', '0.00012345', '9.900000000000001e-05', '1e+16',
      '1000000000000000.0', '123456789012345.6', '1.5e+16', '2.5e-07', '0.3333333333333333', '-2.0', '1e+22', '1e+100', '5e-324',
      '1.7976931348623157e+308', '0.02', '6.103515625e-05', '1234567890123456.0', '1.2345678901234568e+16'];
    expect(numbers.map(pythonFloat)).toEqual(python);
    // json.dumps({'b': 1.0, 'a': [0.5, 2], 'c': {'x': 1e-05}}, indent=2, sort_keys=True)
    const floatKeys = (o: Readonly<Record<string, unknown>>) => new Set('b' in o ? ['b'] : []);
    expect(dumpsPythonJson({ b: 1, a: [0.5, 2], c: { x: 1e-5 }, gone: undefined }, 2, { floatKeys })).toBe(
      '{\n  "a": [\n    0.5,\n    2\n  ],\n  "b": 1.0,\n  "c": {\n    "x": 1e-05\n  }\n}',
    );
  });
});

describe('parseSizeToInt', () => {
  it('uses decimal units as huggingface_hub does', () => {
    expect(parseSizeToInt('5GB')).toBe(5_000_000_000);
    expect(parseSizeToInt(' 1.5 mb ')).toBe(1_500_000);
    expect(parseSizeToInt('2TB')).toBe(2e12);
    expect(parseSizeToInt('10KB')).toBe(10_000);
    expect(() => parseSizeToInt('5GiB')).toThrow(VedError);
    expect(() => parseSizeToInt('GB')).toThrow(VedError);
  });
});
