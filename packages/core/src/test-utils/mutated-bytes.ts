/**
 * A fast-check arbitrary for the fuzz tests: a real file with a few random edits (bytes overwritten,
 * a slice removed or repeated, a cut, a byte near either end changed).
 */
import fc from 'fast-check';

export function mutatedBytes(base: Uint8Array): fc.Arbitrary<Uint8Array> {
  const edit = fc.oneof(
    fc.record({ kind: fc.constant('set' as const), at: fc.nat(), value: fc.integer({ min: 0, max: 255 }) }),
    fc.record({ kind: fc.constant('remove' as const), at: fc.nat(), length: fc.integer({ min: 1, max: 64 }) }),
    fc.record({ kind: fc.constant('repeat' as const), at: fc.nat(), length: fc.integer({ min: 1, max: 64 }) }),
    fc.record({ kind: fc.constant('cut' as const), at: fc.nat() }),
    // Directories and headers sit at the ends of ZIP (central directory) and HDF5 (superblock) files.
    fc.record({ kind: fc.constant('tail' as const), at: fc.nat({ max: 2047 }), value: fc.integer({ min: 0, max: 255 }) }),
    fc.record({ kind: fc.constant('head' as const), at: fc.nat({ max: 2047 }), value: fc.integer({ min: 0, max: 255 }) }),
  );
  return fc.array(edit, { minLength: 1, maxLength: 6 }).map((edits) => {
    let bytes = base.slice();
    for (const e of edits) {
      const at = bytes.length === 0 ? 0 : e.at % bytes.length;
      if (e.kind === 'set') bytes[at] = e.value;
      else if (e.kind === 'remove') bytes = new Uint8Array([...bytes.subarray(0, at), ...bytes.subarray(at + e.length)]);
      else if (e.kind === 'repeat') bytes = new Uint8Array([...bytes.subarray(0, at + e.length), ...bytes.subarray(at)]);
      else if (e.kind === 'tail') bytes[Math.max(0, bytes.length - 1 - e.at)] = e.value;
      else if (e.kind === 'head') bytes[Math.min(bytes.length - 1, e.at)] = e.value;
      else bytes = bytes.slice(0, at);
    }
    return bytes;
  });
}
