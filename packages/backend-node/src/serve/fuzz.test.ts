/**
 * Property-based fuzzing (fast-check, fixed seed, bounded runs) of `POST /v1/caption`'s generation options:
 * query strings and JSON `generation_config` objects of any of Python's option names (and a few unknown
 * ones) with values sensible or not. The property: every answer is a 200 with sequences or a 4xx with an
 * error code, never a 500, and the server keeps serving.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { GENERATION_OPTION_NAMES, generationOptionJsonKey } from '@ved/generation';
import { REPO_ROOT, loadModelReference } from '../test-utils/fixtures.js';
import { CaptionEngine } from './engine.js';
import { ServeMetrics } from './metrics.js';
import { createServer } from './server.js';

const ref = loadModelReference('vit-gpt2-a');
const image = readFileSync(join(REPO_ROOT, ref.json.images[0]!));
const KEYS = [...GENERATION_OPTION_NAMES.map((n) => generationOptionJsonKey(n)), 'num_beam', 'maxNewTokens', ''];

const value: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 4, arbitrary: fc.integer({ min: -3, max: 12 }) },
  fc.constantFrom(0, 1, 2, -1, 1e9, 2 ** 31, 2 ** 53, 1e300, 0.5, -0.5, 1e-300, true, false, null, 'x', '', 'never', [], [1], [[1, 2]], [[0]], [[-1]], { a: 1 }, [[1, 2], [3]]),
  fc.double(),
  fc.array(fc.integer({ min: -2, max: 40 }), { maxLength: 3 }),
  fc.array(fc.array(fc.integer({ min: -2, max: 40 }), { maxLength: 3 }), { maxLength: 2 }),
);
const options = fc.dictionary(fc.constantFrom(...KEYS), value, { maxKeys: 4 });

let app: FastifyInstance;
let engine: CaptionEngine;
beforeAll(async () => {
  engine = await CaptionEngine.load(ref.dir, {}, { maxNewTokensCap: 8 });
  const metrics = new ServeMetrics({ queueDepth: () => engine.queueDepth, activeRows: () => engine.activeRows, inFlight: () => engine.inFlight });
  app = createServer(engine, metrics);
});
afterAll(async () => {
  await app.close();
  await engine.close();
});

function expectAnswer(status: number, body: string, sent: unknown): void {
  const json = JSON.parse(body) as { sequences?: unknown[]; error?: { code: string } };
  if (status === 200) expect(Array.isArray(json.sequences), JSON.stringify(sent)).toBe(true);
  else {
    expect(status, `${JSON.stringify(sent)} → ${body}`).toBeGreaterThanOrEqual(400);
    expect(status, `${JSON.stringify(sent)} → ${body}`).toBeLessThan(500);
    expect(typeof json.error?.code).toBe('string');
  }
}

describe('ved serve under fuzzing of generation options', () => {
  it('query parameters', async () => {
    await fc.assert(
      fc.asyncProperty(options, async (opts) => {
        const query = new URLSearchParams(Object.entries(opts).map(([k, v]) => [k, typeof v === 'string' ? v : JSON.stringify(v)])).toString();
        const res = await app.inject({ method: 'POST', url: `/v1/caption?${query}`, headers: { 'content-type': 'image/png' }, payload: image });
        expectAnswer(res.statusCode, res.body, opts);
      }),
      { seed: Number(process.env.FUZZ_SEED ?? 2026), numRuns: Number(process.env.FUZZ_RUNS ?? 60) },
    );
  }, 120_000);

  it('JSON generation_config', async () => {
    await fc.assert(
      fc.asyncProperty(fc.oneof(options, value), async (config) => {
        const payload = JSON.stringify({ image: image.toString('base64'), generation_config: config });
        const res = await app.inject({ method: 'POST', url: '/v1/caption', headers: { 'content-type': 'application/json' }, payload });
        expectAnswer(res.statusCode, res.body, config);
      }),
      { seed: Number(process.env.FUZZ_SEED ?? 2026), numRuns: Number(process.env.FUZZ_RUNS ?? 60) },
    );
  }, 120_000);
});
