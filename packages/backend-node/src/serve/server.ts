/**
 * The HTTP server of `ved serve`, on fastify (node:http):
 *
 * - `POST /v1/caption`: the image's bytes with snake_case query options, or
 *   JSON `{"image": "<base64>", "generation_config": {...}}`; answers
 *   `{"sequences": [{"ids", "text", "score"?}]}`, or server-sent events with
 *   `Accept: text/event-stream` (`token` events, then `done` with the sequences);
 * - `GET /healthz`, `GET /metrics` (Prometheus);
 * - errors as `{"error": {"code", "message"}}`: 400 bad image or option, 413 body
 *   over the limit, 415 not an image, 503 + `Retry-After` when the queue is full.
 *
 * A client that disconnects cancels its request: its rows leave the batch at
 * the next decoder step.
 */
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { VedError, isRecord, type RawImage } from '@ved/core';
import type { GenerationOptions } from '@ved/generation';
import type { CaptionEngine, PostProcess, SequenceJson } from './engine.js';
import { ServeError, errorBody, toHttpError, type HttpError } from './errors.js';
import { MAX_IMAGE_PIXELS, base64Image, decodeRequestImage } from './image-body.js';
import type { ServeMetrics } from './metrics.js';
import { optionsFromJson, optionsFromQuery } from './options.js';

export interface ServerOptions {
  /** Largest request body, bytes (default 20 MiB): 413 over it. */
  maxBodyBytes?: number;
  /** Largest image, pixels, read from its header (default Pillow's decompression-bomb limit, 178956970). */
  maxImagePixels?: number;
}

export { DEFAULT_MAX_BODY_BYTES } from './limits.js';
import { DEFAULT_MAX_BODY_BYTES } from './limits.js';

const JSON_KEYS = new Set(['image', 'generation_config', 'post_process', 'fix_markdown']);

interface ParsedRequest {
  image: RawImage;
  options: GenerationOptions;
  /** Nougat's `post_process_generation` on the texts (`post_process`, `fix_markdown`). */
  post: PostProcess | undefined;
}

/** `post_process` and `fix_markdown` (query values or JSON members): true or false. */
function postProcessOf(postProcess: unknown, fixMarkdown: unknown, where: string): PostProcess | undefined {
  const flag = (name: string, value: unknown, fallback: boolean): boolean => {
    if (value === undefined) return fallback;
    if (value === true || value === 'true') return true;
    if (value === false || value === 'false') return false;
    throw new VedError('INVALID_OPTION', `${where}: "${name}" is ${JSON.stringify(value)}; expected true or false.`);
  };
  const on = flag('post_process', postProcess, false);
  const fix = flag('fix_markdown', fixMarkdown, true);
  if (!on && fixMarkdown !== undefined) throw new VedError('INVALID_OPTION', `${where}: "fix_markdown" needs "post_process": true.`);
  return on ? { fixMarkdown: fix } : undefined;
}

export function createServer(engine: CaptionEngine, metrics: ServeMetrics, options: ServerOptions = {}): FastifyInstance {
  const maxBodyBytes = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  const maxImagePixels = options.maxImagePixels ?? MAX_IMAGE_PIXELS;
  const app = Fastify({ bodyLimit: maxBodyBytes, logger: false, return503OnClosing: true, forceCloseConnections: 'idle' });
  /** Requests accepted and still reading or decoding their image (not yet with the engine). */
  let preparing = 0;
  const queueDepth = () => preparing + engine.queueDepth;
  /** Seconds until the queue has likely moved: the mean answer time so far, at least 1. */
  const retryAfter = () => Math.min(60, Math.max(1, Math.ceil(metrics.meanAnswerSeconds)));

  // Only images and JSON are bodies (fastify would otherwise parse text/plain).
  app.removeContentTypeParser('text/plain');
  const raw = (_req: FastifyRequest, body: Buffer, done: (err: Error | null, body?: unknown) => void) => done(null, body);
  app.addContentTypeParser(/^image\//, { parseAs: 'buffer' }, raw);
  app.addContentTypeParser('application/octet-stream', { parseAs: 'buffer' }, raw);

  const send = (reply: FastifyReply, e: HttpError) => {
    if (e.retryAfter !== undefined) void reply.header('retry-after', String(e.retryAfter));
    return reply.code(e.status).send(errorBody(e));
  };
  app.setErrorHandler((err, _request, reply) => send(reply, toHttpError(err)));
  app.setNotFoundHandler((request, reply) =>
    send(reply, { status: 404, code: 'NOT_FOUND', message: `No route ${request.method} ${request.url}; routes: POST /v1/caption, GET /healthz, GET /metrics.` }),
  );

  app.get('/healthz', async (_request, reply) =>
    reply.send({
      status: 'ok',
      batching: engine.batcher !== undefined,
      mixed_lengths: engine.batcher?.mixedLengths ?? false,
      max_batch: engine.batcher?.maxBatch ?? 1,
      active_rows: engine.activeRows,
      queue_depth: queueDepth(),
    }),
  );

  app.get('/metrics', async (_request, reply) => reply.header('content-type', metrics.registry.contentType).send(await metrics.registry.metrics()));

  const started = new WeakMap<FastifyRequest, number>();
  const recorded = new WeakSet<FastifyRequest>();
  const record = (request: FastifyRequest, status: number) => {
    const at = started.get(request);
    if (at === undefined || recorded.has(request)) return;
    recorded.add(request);
    metrics.onAnswer(status, (performance.now() - at) / 1000);
  };
  app.addHook('onRequest', async (request, reply) => {
    if (request.url.split('?')[0] !== '/v1/caption' || request.method !== 'POST') return;
    started.set(request, performance.now());
    if (queueDepth() >= engine.maxQueue) {
      return send(reply, toHttpError(new ServeError('QUEUE_FULL', 503, `The queue is full (${queueDepth()} requests waiting, --max-queue ${engine.maxQueue}); retry later.`, retryAfter())));
    }
    preparing += 1;
    (request as FastifyRequest & { counted?: boolean }).counted = true;
  });
  const leaveQueue = (request: FastifyRequest) => {
    const r = request as FastifyRequest & { counted?: boolean };
    if (r.counted) {
      r.counted = false;
      preparing -= 1;
    }
  };
  app.addHook('onResponse', async (request, reply) => {
    leaveQueue(request);
    record(request, reply.statusCode);
  });
  app.addHook('onRequestAbort', async (request) => leaveQueue(request));

  async function parse(request: FastifyRequest): Promise<ParsedRequest> {
    const body = request.body;
    const query = (request.query ?? {}) as Record<string, unknown>;
    if (Buffer.isBuffer(body)) {
      const { post_process: postProcess, fix_markdown: fixMarkdown, ...generation } = query;
      const options = optionsFromQuery(generation);
      engine.prepare(options);
      const post = postProcessOf(postProcess, fixMarkdown, 'query');
      if (post !== undefined) engine.checkPostProcess();
      return { options, post, image: await decodeRequestImage(body, 'the request body', maxImagePixels) };
    }
    if (isRecord(body)) {
      const unknown = Object.keys(body).filter((k) => !JSON_KEYS.has(k));
      if (unknown.length > 0) {
        throw new VedError('INVALID_INPUT', `unknown member(s) ${unknown.map((k) => JSON.stringify(k)).join(', ')} in the JSON body; expected "image", "generation_config", "post_process" and "fix_markdown".`);
      }
      if (Object.keys(query).length > 0) throw new VedError('INVALID_OPTION', 'with a JSON body, give the options in "generation_config", not in the query string.');
      const options = optionsFromJson(body.generation_config);
      engine.prepare(options);
      const post = postProcessOf(body.post_process, body.fix_markdown, 'the JSON body');
      if (post !== undefined) engine.checkPostProcess();
      return { options, post, image: await decodeRequestImage(base64Image(body.image), 'the "image" member', maxImagePixels) };
    }
    if (body === undefined || body === null) {
      throw new ServeError('UNSUPPORTED_MEDIA_TYPE', 415, 'Send the image as the body (Content-Type: image/png, image/jpeg, ...) or JSON {"image": "<base64>", "generation_config": {...}}.');
    }
    throw new VedError('INVALID_INPUT', 'The JSON body must be an object: {"image": "<base64>", "generation_config": {...}}.');
  }

  app.post('/v1/caption', async (request, reply) => {
    const controller = new AbortController();
    reply.raw.on('close', () => {
      if (!reply.raw.writableFinished) controller.abort(new ServeError('CLIENT_CLOSED', 499, 'The client disconnected.'));
    });
    let parsed: ParsedRequest;
    try {
      parsed = await parse(request);
    } finally {
      leaveQueue(request);
    }
    const captionRequest = { image: parsed.image, options: parsed.options, signal: controller.signal };
    const wantsStream = (request.headers.accept ?? '').includes('text/event-stream');
    const { post } = parsed;
    if (!wantsStream) {
      const sequences = await engine.caption(captionRequest);
      return reply.send({ sequences: post === undefined ? sequences : engine.postProcess(sequences, post) });
    }
    const stream = engine.stream(captionRequest);
    return streamEvents(reply, post === undefined ? stream : postProcessed(stream, (s) => engine.postProcess(s, post)), (status) => record(request, status));
  });

  return app;
}

/** The stream with the final sequences post-processed (the token events carry the raw text). */
async function* postProcessed(events: AsyncGenerator<EngineEvent>, post: (sequences: SequenceJson[]) => SequenceJson[]): AsyncGenerator<EngineEvent> {
  for await (const event of events) yield 'sequences' in event ? { sequences: post(event.sequences) } : event;
}

type EngineEvent = { chunk: { step: number; tokens: number[]; text?: string[]; done?: true } } | { sequences: SequenceJson[] };

/** Server-sent events: `token` per decoder step, then `done` with the sequences (or `error`). */
async function streamEvents(reply: FastifyReply, events: AsyncGenerator<EngineEvent>, answered: (status: number) => void): Promise<void> {
  // The first event decides the status: errors before it are ordinary JSON errors.
  const first = await events.next();
  reply.hijack();
  const out = reply.raw;
  out.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache', connection: 'keep-alive' });
  const write = (event: string, data: unknown) => out.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
  const emit = (ev: EngineEvent) => {
    if ('chunk' in ev) write('token', { step: ev.chunk.step, ids: ev.chunk.tokens, ...(ev.chunk.text ? { text: ev.chunk.text } : {}) });
    else write('done', { sequences: ev.sequences });
  };
  let status = 200;
  try {
    if (!first.done) emit(first.value);
    for await (const ev of events) {
      if (out.destroyed) break;
      emit(ev);
    }
  } catch (err) {
    const e = toHttpError(err);
    status = e.status;
    if (!out.destroyed) write('error', errorBody(e));
  } finally {
    await events.return(undefined);
    out.end();
    answered(out.destroyed && status === 200 ? 499 : status);
  }
}
