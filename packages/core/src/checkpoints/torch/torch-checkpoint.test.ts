/**
 * torch's ZIP checkpoints against torch itself: fixtures/formats/torch (written by
 * tools/reference/make_checkpoint_format_fixtures.py with torch.save) hold views, shared storages,
 * every dtype ved reads, the same archive deflated, and torch's legacy format.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { VedError } from '../../errors.js';
import { bytesFile, type RandomAccessFile } from '../random-access.js';
import { TorchCheckpoint } from './torch-checkpoint.js';

const DIR = fileURLToPath(new URL('../../../../../fixtures/formats/torch/', import.meta.url));
const entries = JSON.parse(readFileSync(`${DIR}views.json`, 'utf8')) as Array<{
  name: string;
  dtype: string;
  shape: number[];
  contiguous: boolean;
  values: Array<number | string>;
}>;
const expected = Object.fromEntries(entries.map((e) => [e.name, e]));

function file(name: string, localPath?: string): RandomAccessFile {
  const bytes = new Uint8Array(readFileSync(DIR + name));
  return localPath === undefined ? bytesFile(bytes, name) : { ...bytesFile(bytes, name), localPath };
}

const DTYPES: Record<string, string> = {
  float32: 'F32', float64: 'F64', float16: 'F16', bfloat16: 'BF16', int64: 'I64', int32: 'I32', int16: 'I16', int8: 'I8', uint8: 'U8', bool: 'BOOL',
};

describe.each(['views.bin', 'views-deflated.bin', 'views-big-endian.bin'])('%s', (name) => {
  const checkpoint = TorchCheckpoint.open(file(name));

  it('lists the state dict in order', () => {
    expect(checkpoint.names()).toEqual(Object.keys(expected));
  });

  it.each(Object.entries(expected))('%s: dtype, shape and values as torch.load gives them', (tensor, want) => {
    const info = checkpoint.info(tensor);
    expect(info.dtype).toBe(DTYPES[want.dtype]);
    expect(info.shape).toEqual(want.shape);
    expect(info.contiguous).toBe(want.contiguous);
    if (want.dtype === 'int64' || want.dtype === 'int32') {
      const raw = checkpoint.getRaw(tensor);
      const values = want.dtype === 'int64' ? new BigInt64Array(raw.slice().buffer) : new Int32Array(raw.slice().buffer);
      expect(Array.from(values, String)).toEqual(want.values);
      expect(() => checkpoint.getFloat32(tensor)).toThrow(VedError);
    } else {
      expect(Array.from(checkpoint.getFloat32(tensor))).toEqual(want.values);
    }
  });
});

describe('external data', () => {
  it('a contiguous float32 tensor of a stored entry on disk is a range of the file', () => {
    const checkpoint = TorchCheckpoint.open(file('views.bin', `${DIR}views.bin`));
    const where = checkpoint.external('contiguous');
    expect(where).toBeDefined();
    const bytes = readFileSync(`${DIR}views.bin`).subarray(where!.offset, where!.offset + where!.length);
    expect(Array.from(new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength)))).toEqual(expected.contiguous!.values);
    expect(where!.offset % 64).toBe(0); // torch aligns storages to 64 bytes
  });

  it('views, other dtypes, deflated entries and in-memory files are read through JavaScript instead', () => {
    const onDisk = TorchCheckpoint.open(file('views.bin', `${DIR}views.bin`));
    expect(onDisk.external('transposed')).toBeUndefined();
    expect(onDisk.external('f16')).toBeUndefined();
    expect(onDisk.external('sliced')).toBeUndefined();
    expect(TorchCheckpoint.open(file('views-deflated.bin', `${DIR}views-deflated.bin`)).external('contiguous')).toBeUndefined();
    expect(TorchCheckpoint.open(file('views.bin')).external('contiguous')).toBeUndefined();
  });
});

describe('formats ved does not read', () => {
  it("torch's legacy (pre-1.6) format: a typed error that says how to convert", () => {
    expect(() => TorchCheckpoint.open(file('legacy.bin'))).toThrow(
      expect.objectContaining({ code: 'UNSUPPORTED_CHECKPOINT', message: expect.stringContaining('torch.save(torch.load(') }),
    );
  });
});
