/** The restricted unpickler: opcodes and globals as torch's weights-only unpickler (torch 2.13) takes them. */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ALLOWED_GLOBALS, mapGlobal } from './allowed-globals.js';
import { unpickle, type UnpicklerHooks } from './unpickler.js';
import { PyDict, PyGlobal, PyTuple } from './values.js';
import { torchHooks, StorageRef } from '../torch/torch-objects.js';

const hooks: UnpicklerHooks = torchHooks({ source: 'test.pkl', storage: (key, dtype, numel, untyped) => new StorageRef(key, dtype, numel, untyped) });
const run = (...parts: Array<string | number[]>) =>
  unpickle(new Uint8Array(parts.flatMap((p) => (typeof p === 'string' ? [...p].map((c) => c.charCodeAt(0)) : p))), { source: 'test.pkl', hooks });
const u32 = (n: number) => [n & 255, (n >> 8) & 255, (n >> 16) & 255, (n >>> 24) & 255];
const str = (s: string) => {
  const utf8 = [...new TextEncoder().encode(s)];
  return ['X', u32(utf8.length), utf8] as const;
};

describe('allowlist', () => {
  it("equals torch 2.13's _get_allowed_globals()", () => {
    const torch = JSON.parse(readFileSync(fileURLToPath(new URL('../../../../../fixtures/formats/torch/allowed_globals.json', import.meta.url)), 'utf8')) as string[];
    expect([...ALLOWED_GLOBALS].sort()).toEqual([...torch].sort());
  });

  it("applies Python 2's renames first, as _read_global_instruction does", () => {
    expect(mapGlobal('__builtin__', 'set')).toEqual({ module: 'builtins', name: 'set' });
    expect(mapGlobal('__builtin__', 'intern')).toEqual({ module: 'sys', name: 'intern' });
    expect(mapGlobal('copy_reg', '_reconstructor')).toEqual({ module: 'copyreg', name: '_reconstructor' });
  });
});

describe('opcodes', () => {
  it('ints, floats, strings, tuples, lists, dicts and the memo', () => {
    const value = run([0x80, 2], '(', 'J', u32(-7 >>> 0), 'K', [200], 'M', [1, 2], 'G', [0x40, 0x09, 0x21, 0xfb, 0x54, 0x44, 0x2d, 0x18], ...str('é'), 'U', [2], 'ab', [0x8a, 9, 0, 0, 0, 0, 0, 0, 0, 0, 0x80], 'N', [0x88, 0x89], 't', 'q', [0], ']', 'h', [0], 'a', '.');
    expect(value).toEqual([new PyTuple([-7, 200, 513, Math.PI, 'é', 'ab', -(2n ** 71n), null, true, false])]);
  });

  it('an OrderedDict with _metadata set by BUILD', () => {
    const value = run([0x80, 2], 'ccollections\nOrderedDict\n)R', ...str('k'), 'K', [1], 's', '}', ...str('_metadata'), '}', 's', 'b', '.');
    expect(value).toBeInstanceOf(PyDict);
    expect((value as PyDict).type).toBe('collections.OrderedDict');
    expect([...(value as PyDict).entries.values()]).toEqual([['k', 1]]);
    expect((value as PyDict).attributes.has('_metadata')).toBe(true);
  });

  it('dict keys hash as in Python (1 == 1.0 == True)', () => {
    const value = run([0x80, 2], '}(', 'K', [1], ...str('a'), [0x88], ...str('b'), 'u', '.') as PyDict;
    expect([...value.entries.values()]).toEqual([[1, 'b']]);
  });

  it('refuses unknown globals without looking anything up', () => {
    expect(() => run([0x80, 2], 'cnumpy\ncore\n.')).toThrow(expect.objectContaining({ code: 'UNSAFE_PICKLE', message: expect.stringContaining('GLOBAL numpy.core') }));
    expect(() => run([0x80, 2], 'cos\nsystem\n.')).toThrow(/module os is blocked/);
    expect(run([0x80, 2], 'ctorch\nFloatStorage\n.')).toEqual(new PyGlobal('torch.FloatStorage'));
  });

  it('a list used as a dict key is refused as unhashable, a truncated pickle as truncated', () => {
    expect(() => run([0x80, 2], '}]K', [1], 's.')).toThrow(expect.objectContaining({ code: 'INVALID_CHECKPOINT', message: expect.stringContaining('unhashable list') }));
    expect(() => run([0x80, 2], 'X', [5, 0, 0, 0], 'ab')).toThrow(/truncated/);
    expect(() => run([0x80, 2], 't.')).toThrow(/MARK that was never set/);
  });

  it('deep nesting fails with a typed error, not a stack overflow', () => {
    // 200k nested 1-tuples parse (no recursion); using one as a dict key needs hashing, which recurses.
    const nested = new Uint8Array([0x80, 2, 0x7d, 0x4e, ...new Array<number>(200_000).fill(0x85), 0x4e, 0x73, 0x2e]);
    expect(() => unpickle(nested, { source: 'test.pkl', hooks })).toThrow(expect.objectContaining({ code: 'INVALID_CHECKPOINT' }));
});
});
