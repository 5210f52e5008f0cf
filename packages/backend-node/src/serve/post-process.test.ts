/**
 * `ved serve`'s `post_process` (Nougat's `post_process_generation` on each returned text, as `ved caption
 * --post-process`) on a Nougat-shaped fixture (fixtures/decoders/nougat-mbart), in both body forms and in the
 * stream's final event; refused, with 400, where the checkpoint has no such step or the values are wrong.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { nougatPostProcess } from '@ved/core';
import { REPO_ROOT, fixturePath } from '../test-utils/fixtures.js';
import { CaptionEngine } from './engine.js';
import { ServeMetrics } from './metrics.js';
import { createServer } from './server.js';

const IMAGE = readFileSync(join(REPO_ROOT, 'fixtures', 'images', 'rgb_64x20.png'));

async function serve(dir: string): Promise<{ app: FastifyInstance; engine: CaptionEngine }> {
  const engine = await CaptionEngine.load(dir, {}, { maxBatch: 4 });
  const metrics = new ServeMetrics({ queueDepth: () => engine.queueDepth, activeRows: () => engine.activeRows, inFlight: () => engine.inFlight });
  return { app: createServer(engine, metrics, {}), engine };
}

describe('ved serve: post_process', () => {
  let nougat: Awaited<ReturnType<typeof serve>>;
  let other: Awaited<ReturnType<typeof serve>>;
  beforeAll(async () => {
    [nougat, other] = await Promise.all([serve(fixturePath('decoders', 'nougat-mbart')), serve(fixturePath('models', 'vit-gpt2-a'))]);
  });
  afterAll(async () => {
    for (const s of [nougat, other]) {
      await s?.app.close();
      await s?.engine.close();
    }
  });
  const png = (app: FastifyInstance, query: string, accept = 'application/json') =>
    app.inject({ method: 'POST', url: `/v1/caption${query}`, headers: { 'content-type': 'image/png', accept }, payload: IMAGE });

  it('adds "post_processed" beside each text, with the image body, a JSON body and the stream', async () => {
    const res = await png(nougat.app, '?max_new_tokens=10&num_beams=2&num_return_sequences=2&post_process=true');
    expect(res.statusCode).toBe(200);
    const sequences = res.json().sequences as Array<{ text: string; post_processed: string }>;
    expect(sequences).toHaveLength(2);
    for (const s of sequences) expect(s.post_processed).toBe(nougatPostProcess(s.text));

    const json = await nougat.app.inject({
      method: 'POST',
      url: '/v1/caption',
      payload: { image: IMAGE.toString('base64'), generation_config: { max_new_tokens: 10 }, post_process: true, fix_markdown: false },
    });
    expect(json.statusCode).toBe(200);
    const [first] = json.json().sequences as Array<{ text: string; post_processed: string }>;
    expect(first!.post_processed).toBe(nougatPostProcess(first!.text, { fixMarkdown: false }));

    const stream = await png(nougat.app, '?max_new_tokens=10&post_process=true', 'text/event-stream');
    const done = stream.body.split('\n\n').find((block) => block.startsWith('event: done'))!;
    const [final] = JSON.parse(/^data: (.*)$/m.exec(done)![1]!).sequences as Array<{ text: string; post_processed: string }>;
    expect(final!.post_processed).toBe(nougatPostProcess(final!.text));
  });

  it('answers 400 for a checkpoint without Nougat\'s processor, fix_markdown alone, or a value that is not a boolean', async () => {
    const refused = async (app: FastifyInstance, query: string) => {
      const res = await png(app, query);
      return [res.statusCode, res.json().error.code, res.json().error.message];
    };
    expect(await refused(other.app, '?post_process=true')).toEqual([400, 'INVALID_OPTION', expect.stringMatching(/postProcessGeneration is Nougat's text clean-up/)]);
    expect(await refused(nougat.app, '?fix_markdown=false')).toEqual([400, 'INVALID_OPTION', 'query: "fix_markdown" needs "post_process": true.']);
    expect(await refused(nougat.app, '?post_process=yes')).toEqual([400, 'INVALID_OPTION', 'query: "post_process" is "yes"; expected true or false.']);
    // Without post_process, the answer is as before.
    const plain = await png(nougat.app, '?max_new_tokens=4');
    expect(Object.keys(plain.json().sequences[0])).toEqual(['ids', 'text']);
  });
});
