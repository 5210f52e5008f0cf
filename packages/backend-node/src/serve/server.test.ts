/**
 * `ved serve`'s HTTP behaviour on a tiny fixture model (fixtures/models/vit-gpt2-a):
 * both body forms, ids identical to a lone `generate()` of the same image and
 * options (= `ved caption --json IMAGE`) while requests share the batch, Python's
 * greedy ids, server-sent events, every error form (bad images, a decompression
 * bomb, an over-limit body, bad JSON, unknown options) with the server still
 * serving after them, the 503 of a full queue, /healthz and /metrics, and a
 * client that disconnects leaving the batch.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { join } from 'node:path';
import { deflateSync, crc32 } from 'node:zlib';
import type { FastifyInstance, InjectOptions } from 'fastify';
import { ImageToText } from '../pipeline.js';
import { REPO_ROOT, loadModelReference } from '../test-utils/fixtures.js';
import { CaptionEngine, type EngineOptions } from './engine.js';
import { ServeMetrics } from './metrics.js';
import { createServer, type ServerOptions } from './server.js';

const ref = loadModelReference('vit-gpt2-a');
const imagePaths = ref.json.images.map((p) => join(REPO_ROOT, p));
const imageBytes = imagePaths.map((p) => readFileSync(p));
const contentType = (path: string) => (path.endsWith('.jpg') ? 'image/jpeg' : 'image/png');

/** A PNG whose header declares `width` x `height` with almost no pixel data behind it. */
function pngHeaderOnly(width: number, height: number): Buffer {
  const chunk = (type: string, data: Buffer) => {
    const head = Buffer.alloc(8);
    head.writeUInt32BE(data.length, 0);
    head.write(type, 4, 'ascii');
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(Buffer.concat([Buffer.from(type, 'ascii'), data])) >>> 0, 0);
    return Buffer.concat([head, data, crc]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr.set([8, 2, 0, 0, 0], 8);
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk('IHDR', ihdr), chunk('IDAT', deflateSync(Buffer.alloc(64))), chunk('IEND', Buffer.alloc(0))]);
}

async function makeServer(engineOptions: EngineOptions = {}, serverOptions: ServerOptions = {}) {
  let metrics: ServeMetrics | undefined;
  const engine = await CaptionEngine.load(ref.dir, {}, { ...engineOptions, onStep: (s) => metrics?.onStep(s), onEncode: (e) => metrics?.onEncode(e) });
  metrics = new ServeMetrics({ queueDepth: () => engine.queueDepth, activeRows: () => engine.activeRows, inFlight: () => engine.inFlight });
  const app = createServer(engine, metrics, serverOptions);
  return { app, engine, metrics };
}

function post(app: FastifyInstance, image: number, query = '', headers: Record<string, string> = {}) {
  return app.inject({ method: 'POST', url: `/v1/caption${query}`, headers: { 'content-type': contentType(imagePaths[image]!), ...headers }, payload: imageBytes[image]! });
}

/** Server-sent events of a response body. */
function events(body: string): Array<{ event: string; data: any }> {
  return body
    .split('\n\n')
    .filter((block) => block.trim() !== '')
    .map((block) => {
      const event = /^event: (.*)$/m.exec(block)![1]!;
      return { event, data: JSON.parse(/^data: (.*)$/m.exec(block)![1]!) };
    });
}

interface Sequence {
  ids: number[];
  text: string;
  score?: number;
}

/** Ids and texts identical; beam scores within 1e-4 (float sums over a batch and alone differ in the last bits). */
function expectSameSequences(actual: Sequence[], expected: Sequence[], where: string): void {
  expect(actual.map((s) => ({ ids: s.ids, text: s.text })), where).toEqual(expected.map((s) => ({ ids: s.ids, text: s.text })));
  expect(actual.map((s) => s.score === undefined), where).toEqual(expected.map((s) => s.score === undefined));
  actual.forEach((s, k) => s.score !== undefined && expect(Math.abs(s.score - expected[k]!.score!), `${where} score ${k}`).toBeLessThan(1e-4));
}

describe('ved serve', () => {
  let server: Awaited<ReturnType<typeof makeServer>>;
  let pipe: ImageToText;
  beforeAll(async () => {
    server = await makeServer({ maxBatch: 16 }, { maxBodyBytes: 64 * 1024 });
    pipe = await ImageToText.fromPretrained(ref.dir);
  });
  afterAll(async () => {
    await server?.app.close();
    await server?.engine.close();
    await pipe?.dispose();
  });

  /** What `ved caption --json IMAGE` prints for one image: a lone generate(), scores with beams. */
  async function alone(image: number, options: Record<string, unknown>) {
    const beams = ((options.numBeams as number | undefined) ?? 1) > 1;
    const out = await pipe.generate([imagePaths[image]!], { ...options, ...(beams ? { returnDictInGenerate: true, outputScores: true } : {}), onWarning: () => {} });
    return out.sequences.map((ids, k) => ({ ids, text: out.texts[k] ?? '', ...(out.sequencesScores ? { score: out.sequencesScores[k] } : {}) }));
  }

  it('answers concurrent requests with different options exactly as each alone', async () => {
    const requests: Array<{ image: number; query: string; options: Record<string, unknown> }> = [
      { image: 0, query: '?max_new_tokens=12', options: { maxNewTokens: 12 } },
      { image: 1, query: '?max_new_tokens=7&repetition_penalty=1.5', options: { maxNewTokens: 7, repetitionPenalty: 1.5 } },
      { image: 2, query: '?num_beams=3&max_new_tokens=9&length_penalty=0.5', options: { numBeams: 3, maxNewTokens: 9, lengthPenalty: 0.5 } },
      { image: 3, query: '?do_sample=true&seed=7&top_k=20&max_new_tokens=10', options: { doSample: true, seed: 7, topK: 20, maxNewTokens: 10 } },
      { image: 0, query: '?num_beams=2&num_return_sequences=2&max_new_tokens=6', options: { numBeams: 2, numReturnSequences: 2, maxNewTokens: 6 } },
      { image: 1, query: '?no_repeat_ngram_size=2&min_new_tokens=5&max_new_tokens=11', options: { noRepeatNgramSize: 2, minNewTokens: 5, maxNewTokens: 11 } },
      { image: 2, query: '?do_sample=true&seed=3&top_p=0.8&temperature=0.7&max_new_tokens=8', options: { doSample: true, seed: 3, topP: 0.8, temperature: 0.7, maxNewTokens: 8 } },
      { image: 3, query: '?early_stopping=never&num_beams=2&max_new_tokens=5', options: { earlyStopping: 'never', numBeams: 2, maxNewTokens: 5 } },
    ];
    const responses = await Promise.all(requests.map((r, i) => new Promise((resolve) => setTimeout(resolve, i * 4)).then(() => post(server.app, r.image, r.query))));
    for (const [i, r] of requests.entries()) {
      expect(responses[i]!.statusCode, responses[i]!.body).toBe(200);
      expectSameSequences(responses[i]!.json().sequences, await alone(r.image, r.options), r.query);
    }
  });

  it('greedy ids are Python\'s (each image alone: its row up to eos)', async () => {
    const responses = await Promise.all(imagePaths.map((_, i) => post(server.app, i, `?max_new_tokens=${ref.json.greedy.max_new_tokens}`)));
    responses.forEach((res, i) => {
      const ids: number[] = res.json().sequences[0].ids;
      expect(ids).toEqual(ref.json.greedy.sequences[i]!.slice(0, ids.length));
      expect(res.json().sequences[0].text).toBe(ref.json.greedy_text[i]);
    });
  });

  it('takes JSON with a base64 image and a generation_config', async () => {
    const res = await server.app.inject({
      method: 'POST',
      url: '/v1/caption',
      payload: { image: imageBytes[2]!.toString('base64'), generation_config: { num_beams: 2, max_new_tokens: 6 } },
    });
    expect(res.statusCode, res.body).toBe(200);
    expectSameSequences(res.json().sequences, await alone(2, { numBeams: 2, maxNewTokens: 6 }), 'JSON body');
    const dataUrl = await server.app.inject({ method: 'POST', url: '/v1/caption', payload: { image: `data:image/png;base64,${imageBytes[0]!.toString('base64')}` } });
    expect(dataUrl.statusCode).toBe(200);
  });

  it('streams tokens as server-sent events, then the sequences', async () => {
    const res = await post(server.app, 0, '?max_new_tokens=12', { accept: 'text/event-stream' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toContain('text/event-stream');
    const evs = events(res.body);
    const done = evs.at(-1)!;
    expect(done.event).toBe('done');
    const expected = await alone(0, { maxNewTokens: 12 });
    expect(done.data.sequences).toEqual(expected);
    const streamed = evs.filter((e) => e.event === 'token').flatMap((e) => e.data.ids as number[]);
    expect([expected[0]!.ids[0], ...streamed]).toEqual(expected[0]!.ids);
    expect(evs.filter((e) => e.event === 'token').map((e) => e.data.text.join('')).join('')).toBe(expected[0]!.text);
    // Beams cannot stream: only the final sequences come.
    const beam = events((await post(server.app, 1, '?num_beams=2&max_new_tokens=4', { accept: 'text/event-stream' })).body);
    expect(beam.map((e) => e.event)).toEqual(['done']);
    expectSameSequences(beam[0]!.data.sequences, await alone(1, { numBeams: 2, maxNewTokens: 4 }), 'beam stream');
  });

  it('bad requests get 4xx with the CLI\'s codes, and the server keeps serving', async () => {
    const png = imageBytes[0]!;
    const cases: Array<{ name: string; inject: InjectOptions; status: number; code: string }> = [
      { name: 'text body', inject: { method: 'POST', url: '/v1/caption', headers: { 'content-type': 'text/plain' }, payload: 'hello' }, status: 415, code: 'UNSUPPORTED_MEDIA_TYPE' },
      { name: 'not an image', inject: { method: 'POST', url: '/v1/caption', headers: { 'content-type': 'image/png' }, payload: Buffer.from('GIF89a nope') }, status: 400, code: 'INVALID_IMAGE' },
      { name: 'empty image', inject: { method: 'POST', url: '/v1/caption', headers: { 'content-type': 'image/png' }, payload: Buffer.alloc(0) }, status: 400, code: 'INVALID_IMAGE' },
      { name: 'truncated PNG', inject: { method: 'POST', url: '/v1/caption', headers: { 'content-type': 'image/png' }, payload: png.subarray(0, Math.floor(png.length / 2)) }, status: 400, code: 'INVALID_IMAGE' },
      { name: 'truncated JPEG', inject: { method: 'POST', url: '/v1/caption', headers: { 'content-type': 'image/jpeg' }, payload: imageBytes[2]!.subarray(0, 300) }, status: 400, code: 'INVALID_IMAGE' },
      { name: 'decompression bomb', inject: { method: 'POST', url: '/v1/caption', headers: { 'content-type': 'image/png' }, payload: pngHeaderOnly(60_000, 60_000) }, status: 400, code: 'IMAGE_TOO_LARGE' },
      { name: 'body over the limit', inject: { method: 'POST', url: '/v1/caption', headers: { 'content-type': 'image/png' }, payload: Buffer.alloc(70 * 1024) }, status: 413, code: 'BODY_TOO_LARGE' },
      { name: 'invalid JSON', inject: { method: 'POST', url: '/v1/caption', headers: { 'content-type': 'application/json' }, payload: '{"image": ' }, status: 400, code: 'INVALID_JSON' },
      { name: 'JSON array', inject: { method: 'POST', url: '/v1/caption', payload: [1, 2] }, status: 400, code: 'INVALID_INPUT' },
      { name: 'bad base64', inject: { method: 'POST', url: '/v1/caption', payload: { image: 'not base64 ***' } }, status: 400, code: 'INVALID_INPUT' },
      { name: 'unknown JSON member', inject: { method: 'POST', url: '/v1/caption', payload: { image: png.toString('base64'), options: {} } }, status: 400, code: 'INVALID_INPUT' },
      { name: 'unknown option (query)', inject: { method: 'POST', url: '/v1/caption?num_beamz=2', headers: { 'content-type': 'image/png' }, payload: png }, status: 400, code: 'INVALID_OPTION' },
      { name: 'unknown option (JSON)', inject: { method: 'POST', url: '/v1/caption', payload: { image: png.toString('base64'), generation_config: { top_kk: 3 } } }, status: 400, code: 'INVALID_OPTION' },
      { name: 'bad option value', inject: { method: 'POST', url: '/v1/caption?num_beams=two', headers: { 'content-type': 'image/png' }, payload: png }, status: 400, code: 'INVALID_OPTION' },
      { name: 'option Python refuses', inject: { method: 'POST', url: '/v1/caption?num_return_sequences=2', headers: { 'content-type': 'image/png' }, payload: png }, status: 400, code: 'INVALID_OPTION' },
      { name: 'server-set option', inject: { method: 'POST', url: '/v1/caption?output_scores=true', headers: { 'content-type': 'image/png' }, payload: png }, status: 400, code: 'INVALID_OPTION' },
      { name: 'over the token cap', inject: { method: 'POST', url: '/v1/caption?max_new_tokens=100000', headers: { 'content-type': 'image/png' }, payload: png }, status: 400, code: 'INVALID_OPTION' },
      { name: 'more rows than the batch', inject: { method: 'POST', url: '/v1/caption?num_beams=20', headers: { 'content-type': 'image/png' }, payload: png }, status: 400, code: 'INVALID_OPTION' },
      { name: 'unknown route', inject: { method: 'GET', url: '/v2/nothing' }, status: 404, code: 'NOT_FOUND' },
    ];
    for (const c of cases) {
      const res = await server.app.inject(c.inject);
      expect(res.statusCode, `${c.name}: ${res.body}`).toBe(c.status);
      const body = res.json();
      expect(body.error.code, c.name).toBe(c.code);
      expect(typeof body.error.message).toBe('string');
    }
    const ok = await post(server.app, 0, '?max_new_tokens=3');
    expect(ok.statusCode).toBe(200);
  });

  it('/healthz and /metrics', async () => {
    const health = await server.app.inject({ method: 'GET', url: '/healthz' });
    expect(health.json()).toMatchObject({ status: 'ok', batching: true, mixed_lengths: true, max_batch: 16 });
    const metrics = await server.app.inject({ method: 'GET', url: '/metrics' });
    expect(metrics.headers['content-type']).toContain('text/plain');
    for (const name of [
      'ved_requests_total{status="200"}',
      'ved_requests_total{status="400"}',
      'ved_requests_total{status="413"}',
      'ved_queue_depth 0',
      'ved_batch_rows_bucket',
      'ved_generated_tokens_total',
      'ved_tokens_per_second',
      'ved_request_duration_seconds_bucket',
      'ved_queue_wait_seconds_bucket',
      'ved_step_duration_seconds_bucket',
      'ved_encode_duration_seconds_bucket',
      'ved_process_resident_memory_bytes',
    ]) {
      expect(metrics.body, name).toContain(name);
    }
  });

  it('a client that disconnects leaves the batch at the next step', async () => {
    const address = await server.app.listen({ host: '127.0.0.1', port: 0 });
    const url = new URL('/v1/caption?max_new_tokens=200&eos_token_id=null', address);
    const rowsBefore: number[] = [];
    await new Promise<void>((resolve, reject) => {
      const req = httpRequest(url, { method: 'POST', headers: { 'content-type': 'image/png', accept: 'text/event-stream' } }, (res) => {
        let tokens = 0;
        res.on('data', (chunk: Buffer) => {
          tokens += (chunk.toString().match(/event: token/g) ?? []).length;
          if (tokens >= 3 && !req.destroyed) {
            rowsBefore.push(server.engine.activeRows);
            req.destroy();
            resolve();
          }
        });
        res.on('error', () => {});
      });
      req.on('error', (err) => (req.destroyed ? undefined : reject(err)));
      req.end(imageBytes[0]);
    });
    expect(rowsBefore[0]).toBe(1);
    const deadline = Date.now() + 5000;
    while (server.engine.inFlight > 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 5));
    expect(server.engine.inFlight).toBe(0);
    expect(server.engine.activeRows).toBe(0);
    const metrics = (await server.app.inject({ method: 'GET', url: '/metrics' })).body;
    expect(metrics).toContain('ved_requests_total{status="499"} 1');
  });
});

describe('ved serve limits', () => {
  it('sheds load with 503 and Retry-After when the queue is full', async () => {
    const { app, engine } = await makeServer({ maxBatch: 1, maxQueue: 2 });
    try {
      const responses = await Promise.all(Array.from({ length: 12 }, (_, i) => post(app, i % 4, '?max_new_tokens=12')));
      const codes = responses.map((r) => r.statusCode);
      expect(codes.filter((c) => c === 200).length).toBeGreaterThan(0);
      const shed = responses.filter((r) => r.statusCode === 503);
      expect(shed.length).toBeGreaterThan(0);
      for (const r of shed) {
        expect(r.json().error.code).toBe('QUEUE_FULL');
        expect(Number(r.headers['retry-after'])).toBeGreaterThanOrEqual(1);
      }
      expect(codes.every((c) => c === 200 || c === 503)).toBe(true);
    } finally {
      await app.close();
      await engine.close();
    }
  });

  it('--max-image-pixels refuses images whose header declares more pixels', async () => {
    const { app, engine } = await makeServer({}, { maxImagePixels: 1000 });
    try {
      // rgb_40x30.png has 1200 pixels; rgb_17x53.png 901.
      const big = await post(app, 0);
      expect(big.statusCode).toBe(400);
      expect(big.json().error.code).toBe('IMAGE_TOO_LARGE');
      expect((await post(app, 1, '?max_new_tokens=2')).statusCode).toBe(200);
    } finally {
      await app.close();
      await engine.close();
    }
  });

  it('with batching off, answers one request after another with the same ids', async () => {
    const off = await makeServer({ batching: false });
    const on = await makeServer({ maxBatch: 8 });
    try {
      const queries = ['?max_new_tokens=9', '?num_beams=3&max_new_tokens=6', '?do_sample=true&seed=4&max_new_tokens=7'];
      const a = await Promise.all(queries.map((q, i) => post(off.app, i, q)));
      const b = await Promise.all(queries.map((q, i) => post(on.app, i, q)));
      a.forEach((res, i) => {
        expect(res.statusCode).toBe(200);
        expectSameSequences(res.json().sequences, b[i]!.json().sequences, queries[i]!);
      });
      const health = (await off.app.inject({ method: 'GET', url: '/healthz' })).json();
      expect(health).toMatchObject({ batching: false, max_batch: 1 });
    } finally {
      for (const s of [off, on]) {
        await s.app.close();
        await s.engine.close();
      }
    }
  });
});
