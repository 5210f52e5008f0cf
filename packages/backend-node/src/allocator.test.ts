/**
 * allocator.ts: finding tcmalloc, recognising the allocator a process runs
 * under, and composing LD_PRELOAD. `ved train` under tcmalloc as a process:
 * cli/train-allocator.e2e.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { findTcmalloc, preloadWith, processAllocator, TCMALLOC_PATHS } from './allocator.js';

const line = (path: string) => `7f1c2a000000-7f1c2a021000 r-xp 00000000 08:01 1234 ${path}\n`;

describe('findTcmalloc', () => {
  it('returns the first installed path, in the order of TCMALLOC_PATHS', () => {
    const installed = new Set([TCMALLOC_PATHS[2]!, TCMALLOC_PATHS[3]!]);
    expect(findTcmalloc(TCMALLOC_PATHS, (p) => installed.has(p))).toBe(TCMALLOC_PATHS[2]);
  });

  it('returns undefined when none is installed', () => {
    expect(findTcmalloc(TCMALLOC_PATHS, () => false)).toBeUndefined();
  });
});

describe('processAllocator', () => {
  it('names a preloaded tcmalloc, jemalloc or mimalloc from the mapped libraries', () => {
    const libc = line('/usr/lib/x86_64-linux-gnu/libc.so.6');
    expect(processAllocator(libc + line('/usr/lib/x86_64-linux-gnu/libtcmalloc_minimal.so.4.5.10'))).toBe('tcmalloc');
    expect(processAllocator(line('/usr/lib64/libtcmalloc.so.4') + libc)).toBe('tcmalloc');
    expect(processAllocator(libc + line('/usr/lib/x86_64-linux-gnu/libjemalloc.so.2'))).toBe('jemalloc');
    expect(processAllocator(libc + line('/usr/lib/x86_64-linux-gnu/libmimalloc.so.2.0'))).toBe('mimalloc');
  });

  it('is the system allocator otherwise, and where there is no /proc', () => {
    expect(processAllocator(line('/usr/lib/x86_64-linux-gnu/libc.so.6') + line('/opt/app/tcmalloc-notes.txt'))).toBe('system');
    expect(processAllocator(undefined)).toBe('system');
  });

  it('reads this process on Linux', () => {
    if (process.platform === 'linux') expect(['tcmalloc', 'jemalloc', 'mimalloc', 'system']).toContain(processAllocator());
    else expect(processAllocator()).toBe('system');
  });
});

describe('preloadWith', () => {
  it('puts the library first and keeps what was preloaded, once', () => {
    expect(preloadWith('/lib/t.so', undefined)).toBe('/lib/t.so');
    expect(preloadWith('/lib/t.so', '')).toBe('/lib/t.so');
    expect(preloadWith('/lib/t.so', '/lib/a.so:/lib/b.so')).toBe('/lib/t.so:/lib/a.so:/lib/b.so');
    expect(preloadWith('/lib/t.so', '/lib/a.so /lib/t.so')).toBe('/lib/t.so:/lib/a.so');
  });
});
