/**
 * Property-based fuzzing (fast-check, fixed seed, bounded runs) of the
 * manifest reader (`ved eval`): any text, line by line or as a file that
 * streams, gives entries or a `VedError` naming the line, nothing else.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { VedError } from '@ved/core';
import { parseManifest, readManifest } from '../eval.js';
import { fixturePath } from '../test-utils/fixtures.js';

const RUNS = { seed: 77, numRuns: 300 };
const IMAGE = fixturePath('images', 'rgb_64x20.png');

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'ved-fuzz-manifest-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function vedErrorOnly(err: unknown): void {
  if (!(err instanceof VedError)) throw new Error(`not a VedError: ${(err as Error)?.stack ?? String(err)}`);
  expect(err.message).toMatch(/line \d+|lists no images|not found/);
}

const line = fc.oneof(
  { weight: 3, arbitrary: fc.record({ image: fc.constantFrom(IMAGE, 'rgb_64x20.png', '', 'missing.png'), text: fc.string() }, { requiredKeys: [] }).map((o) => JSON.stringify(o)) },
  fc.json(),
  fc.string({ maxLength: 30 }),
  fc.constantFrom('', ' ', '\r', '{"image": "a.png", "text": "x"', '{"image": {}, "text": 1}', '\u0000', '["a.png","x"]'),
);

describe('manifest reader under fuzzing', () => {
  it('parseManifest on any lines', () => {
    fc.assert(
      fc.property(fc.array(line, { maxLength: 12 }), fc.constantFrom('\n', '\r\n'), (lines, eol) => {
        try {
          parseManifest(lines.join(eol), 'fuzz.jsonl', '/data');
        } catch (err) {
          vedErrorOnly(err);
        }
      }),
      RUNS,
    );
  });

  it('readManifest streaming a file of any bytes', async () => {
    let n = 0;
    await fc.assert(
      fc.asyncProperty(fc.oneof(fc.array(line, { maxLength: 12 }).map((l) => new TextEncoder().encode(l.join('\n'))), fc.uint8Array({ maxLength: 300 })), async (bytes) => {
        const path = join(dir, `m${n++}.jsonl`);
        writeFileSync(path, bytes);
        try {
          const entries = await readManifest(path);
          expect(entries.length).toBeGreaterThan(0);
        } catch (err) {
          vedErrorOnly(err);
        }
      }),
      RUNS,
    );
  });
});
