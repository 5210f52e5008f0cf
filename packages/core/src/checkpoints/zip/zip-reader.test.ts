/**
 * The ZIP reader on archives built byte by byte: ZIP64 sizes and offsets (what torch writes for
 * files over 4 GiB), an archive comment, and the malformed or hostile cases it refuses.
 */
import { deflateSync } from 'fflate';
import { describe, expect, it } from 'vitest';
import { bytesFile } from '../random-access.js';
import { crc32 } from './crc32.js';
import { ZipArchive } from './zip-reader.js';

interface EntrySpec {
  name: string;
  data: Uint8Array;
  method?: number;
  flags?: number;
  /** Store sizes and offset as 0xFFFFFFFF with a ZIP64 extra field. */
  zip64?: boolean;
  /** Claimed uncompressed size (default: the real one). */
  claimedSize?: number;
}

class Writer {
  readonly bytes: number[] = [];
  u16(v: number) {
    this.bytes.push(v & 255, (v >> 8) & 255);
  }
  u32(v: number) {
    this.u16(v & 0xffff);
    this.u16(Math.floor(v / 0x10000) & 0xffff);
  }
  u64(v: number) {
    this.u32(v % 0x100000000);
    this.u32(Math.floor(v / 0x100000000));
  }
  raw(b: ArrayLike<number>) {
    for (let i = 0; i < b.length; i++) this.bytes.push(b[i]!);
  }
}

function zip(entries: EntrySpec[], options: { comment?: string; zip64Eocd?: boolean } = {}): Uint8Array {
  const w = new Writer();
  const central = new Writer();
  for (const e of entries) {
    const name = new TextEncoder().encode(e.name);
    const method = e.method ?? 0;
    const stored = method === 8 ? deflateSync(e.data) : e.data;
    const size = e.claimedSize ?? e.data.length;
    const offset = w.bytes.length;
    w.u32(0x04034b50);
    w.u16(45);
    w.u16(e.flags ?? 0);
    w.u16(method);
    w.u32(0);
    w.u32(crc32(e.data));
    w.u32(e.zip64 ? 0xffffffff : stored.length);
    w.u32(e.zip64 ? 0xffffffff : size);
    w.u16(name.length);
    w.u16(0);
    w.raw(name);
    w.raw(stored);
    const extra = new Writer();
    if (e.zip64) {
      extra.u16(1);
      extra.u16(24);
      extra.u64(size);
      extra.u64(stored.length);
      extra.u64(offset);
    }
    central.u32(0x02014b50);
    central.u16(45);
    central.u16(45);
    central.u16(e.flags ?? 0);
    central.u16(method);
    central.u32(0);
    central.u32(crc32(e.data));
    central.u32(e.zip64 ? 0xffffffff : stored.length);
    central.u32(e.zip64 ? 0xffffffff : size);
    central.u16(name.length);
    central.u16(extra.bytes.length);
    central.u16(0);
    central.u16(0);
    central.u16(0);
    central.u32(0);
    central.u32(e.zip64 ? 0xffffffff : offset);
    central.raw(name);
    central.raw(extra.bytes);
  }
  const cdOffset = w.bytes.length;
  w.raw(central.bytes);
  if (options.zip64Eocd) {
    const at = w.bytes.length;
    w.u32(0x06064b50);
    w.u64(44);
    w.u16(45);
    w.u16(45);
    w.u32(0);
    w.u32(0);
    w.u64(entries.length);
    w.u64(entries.length);
    w.u64(central.bytes.length);
    w.u64(cdOffset);
    w.u32(0x07064b50);
    w.u32(0);
    w.u64(at);
    w.u32(1);
  }
  const comment = new TextEncoder().encode(options.comment ?? '');
  w.u32(0x06054b50);
  w.u16(0);
  w.u16(0);
  w.u16(options.zip64Eocd ? 0xffff : entries.length);
  w.u16(options.zip64Eocd ? 0xffff : entries.length);
  w.u32(options.zip64Eocd ? 0xffffffff : central.bytes.length);
  w.u32(options.zip64Eocd ? 0xffffffff : cdOffset);
  w.u16(comment.length);
  w.raw(comment);
  return new Uint8Array(w.bytes);
}

const data = Uint8Array.from({ length: 300 }, (_, i) => (i * 7) % 256);
const open = (bytes: Uint8Array) => ZipArchive.open(bytesFile(bytes, 'test.zip'));

describe('ZipArchive', () => {
  it('reads stored and deflated entries, by range too, past an archive comment', () => {
    const archive = open(zip([{ name: 'a/x', data }, { name: 'a/y', data, method: 8 }], { comment: 'PK\x05\x06 looks like a signature' }));
    expect(archive.entries.map((e) => e.name)).toEqual(['a/x', 'a/y']);
    expect(archive.read('a/x', 1000)).toEqual(data);
    expect(archive.read('a/y', 1000)).toEqual(data);
    expect(archive.readRange('a/y', 10, 20)).toEqual(data.subarray(10, 20));
    expect(archive.dataStart('a/x')).toBe(30 + 3);
  });

  it('ZIP64: sizes and offsets from the extra field, the directory from the ZIP64 end record', () => {
    const archive = open(zip([{ name: 'a/x', data, zip64: true }, { name: 'a/y', data, zip64: true }], { zip64Eocd: true }));
    expect(archive.entry('a/y').uncompressedSize).toBe(300);
    expect(archive.read('a/y', 1000)).toEqual(data);
  });

  it.each([
    ['an encrypted entry', zip([{ name: 'a/x', data, flags: 1 }]), 'encrypted'],
    ['bzip2', zip([{ name: 'a/x', data, method: 12 }]), 'compression method 12'],
    ['a duplicate name', zip([{ name: 'a/x', data }, { name: 'a/x', data }]), 'appears twice'],
    ['a backslash', zip([{ name: 'a\\..\\x', data }]), 'backslash'],
    ['a drive letter', zip([{ name: 'C:/x', data }]), 'absolute path'],
    ['a stored entry claiming another size', zip([{ name: 'a/x', data, claimedSize: 10 }]), 'declares 300 stored bytes'],
    ['no end record', zip([{ name: 'a/x', data }]).subarray(0, 340), 'no end-of-central-directory'],
  ])('refuses %s', (_, bytes, message) => {
    expect(() => open(bytes)).toThrow(expect.objectContaining({ code: 'INVALID_CHECKPOINT', message: expect.stringContaining(message) }));
  });

  it('bounds what a read may allocate', () => {
    const archive = open(zip([{ name: 'a/x', data, method: 8 }]));
    expect(() => archive.read('a/x', 100)).toThrow(/more than the 100 expected/);
  });
});
