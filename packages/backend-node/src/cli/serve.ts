/**
 * `ved serve [--model DIR] [--host 127.0.0.1] [--port 8080] [--max-batch 16]
 * [--max-queue 256] [--max-new-tokens-cap 256] [--max-image-pixels N]
 * [--max-body-bytes N] [--dtype fp32|fp16|q8|q4] [--format F] [--threads N] [--no-batching]`
 *
 * An HTTP server (docs/serving.md) that captions images with continuous
 * batching: requests share every decoder step. SIGTERM or SIGINT stops
 * taking requests, finishes those in flight and exits 0.
 */
import { defaultModelDir } from '@ved/default-model';
import type { CaptionEngine } from '../serve/engine.js';
import { MAX_IMAGE_PIXELS } from '../serve/image-body.js';
import type { ServeMetrics } from '../serve/metrics.js';
import { DEFAULT_MAX_BODY_BYTES } from '../serve/limits.js';
import { defineCommand, runCommand } from './args.js';
import { MODEL_FLAGS, formatOptions } from './common-flags.js';

export const serveCommand = defineCommand({
  name: 'serve',
  summary: 'an HTTP server that captions images with continuous batching (see docs/serving.md)',
  description:
    'Requests share every decoder step. POST /v1/caption takes image bytes (options in the query, snake_case) or JSON ' +
    '{"image": base64, "generation_config": {...}}; text/event-stream streams tokens; /healthz and Prometheus /metrics. ' +
    'SIGTERM or SIGINT stops taking requests, finishes those in flight and exits 0.',
  flags: {
    ...MODEL_FLAGS,
    host: { type: 'string', metavar: 'HOST', default: '127.0.0.1', help: 'address to listen on' },
    port: { type: 'integer', min: 0, max: 65535, default: 8080, help: 'port to listen on (0: any free port)' },
    'max-batch': { type: 'integer', min: 1, default: 16, help: 'decoder rows in one continuous batch' },
    'max-queue': { type: 'integer', min: 1, default: 256, help: 'requests waiting beyond it get 503 with Retry-After' },
    'max-new-tokens-cap': { type: 'integer', min: 1, default: 256, help: "the most max_new_tokens a request may ask (the checkpoint's default is capped too)" },
    'max-image-pixels': { type: 'integer', min: 1, default: MAX_IMAGE_PIXELS, help: 'refuse images whose header declares more pixels (400 IMAGE_TOO_LARGE), before decoding' },
    'max-body-bytes': { type: 'integer', min: 1, default: DEFAULT_MAX_BODY_BYTES, help: 'largest request body (413)' },
    threads: { type: 'integer', min: 1, help: "onnxruntime's intra-op threads per session (default: onnxruntime's)" },
    'no-batching': { type: 'boolean', help: 'decode each request on its own' },
  },
  examples: ['ved serve --model ./vit-gpt2 --port 8080', 'curl --data-binary @photo.jpg "http://127.0.0.1:8080/v1/caption?max_new_tokens=20"'],
  async run({ values }) {
    const port = values.port;
    const maxBatch = values['max-batch'];
    const maxQueue = values['max-queue'];
    const maxNewTokensCap = values['max-new-tokens-cap'];
    const maxImagePixels = values['max-image-pixels'];
    const maxBodyBytes = values['max-body-bytes'];
    const batching = !values['no-batching'];
    const modelDir = values.model ?? defaultModelDir;

    // The server (fastify, prom-client) loads when the command runs, not with every `ved` command.
    const [{ CaptionEngine }, { ServeMetrics }, { createServer }, { setOutputReclaim }] = await Promise.all([
      import('../serve/engine.js'),
      import('../serve/metrics.js'),
      import('../serve/server.js'),
      import('../output-garbage.js'),
    ]);
    // A server keeps V8's own collection schedule: collecting outputs' garbage before each encoder run cost
    // it throughput (output-garbage.ts).
    setOutputReclaim(false);
    let metrics: ServeMetrics | undefined;
    const threads = values.threads;
    const load = { ...formatOptions(values), ...(threads !== undefined ? { sessionOptions: { intraOpNumThreads: threads, interOpNumThreads: 1 } } : {}) };
    const engine = await CaptionEngine.load(modelDir, load, {
      batching,
      maxBatch,
      maxQueue,
      maxNewTokensCap,
      onStep: (info) => metrics?.onStep(info),
      onEncode: (info) => metrics?.onEncode(info),
    });
    metrics = new ServeMetrics({ queueDepth: () => engine.queueDepth, activeRows: () => engine.activeRows, inFlight: () => engine.inFlight });
    const app = createServer(engine, metrics, { maxBodyBytes, maxImagePixels });
    const address = await app.listen({ host: values.host, port });
    process.stderr.write(
      `ved serve: listening on ${address} (model ${values.model ?? 'the embedded default model'}, ${batching ? `continuous batching, ${maxBatch} rows` : 'batching off'})\n`,
    );

    await new Promise<void>((resolve) => {
      let stopping = false;
      const stop = (signal: NodeJS.Signals) => {
        if (stopping) {
          process.stderr.write(`ved serve: ${signal} again, exiting now\n`);
          process.exit(1);
        }
        stopping = true;
        process.stderr.write(`ved serve: ${signal}: finishing ${engine.inFlight} request(s) in flight, taking no new ones\n`);
        resolve();
      };
      process.on('SIGTERM', stop);
      process.on('SIGINT', stop);
    });
    // Stop listening and answer 503 to new requests; wait for the requests in flight, then for the batch.
    await app.close();
    await engine.close();
    process.stderr.write('ved serve: stopped\n');
  },
});

/** `ved serve ...argv` (without plugin loading). */
export const runServe = (argv: string[]): Promise<void> => runCommand(serveCommand, argv);
