/**
 * `ved serve [--model DIR] [--host 127.0.0.1] [--port 8080] [--max-batch 16]
 * [--max-queue 256] [--max-new-tokens-cap 256] [--max-image-pixels N]
 * [--max-body-bytes N] [--dtype fp32|fp16|q8|q4] [--format F] [--threads N] [--no-batching]`
 *
 * An HTTP server (docs/serving.md) that captions images with continuous
 * batching: requests share every decoder step. SIGTERM or SIGINT stops
 * taking requests, finishes those in flight and exits 0.
 */
import { parseArgs } from 'node:util';
import { defaultModelDir } from '@ved/default-model';
import { FORMAT_FLAG_OPTIONS, formatOptionsFromFlags } from '../exports/format-flags.js';
import { CaptionEngine } from '../serve/engine.js';
import { MAX_IMAGE_PIXELS } from '../serve/image-body.js';
import { ServeMetrics } from '../serve/metrics.js';
import { DEFAULT_MAX_BODY_BYTES, createServer } from '../serve/server.js';
import { positiveInt, usage, UsageError } from './args.js';

export async function runServe(argv: string[]): Promise<void> {
  const { values } = usage(() =>
    parseArgs({
      args: argv,
      allowPositionals: false,
      options: {
        model: { type: 'string' },
        host: { type: 'string', default: '127.0.0.1' },
        port: { type: 'string', default: '8080' },
        'max-batch': { type: 'string' },
        'max-queue': { type: 'string' },
        'max-new-tokens-cap': { type: 'string' },
        'max-image-pixels': { type: 'string' },
        'max-body-bytes': { type: 'string' },
        'no-batching': { type: 'boolean', default: false },
        threads: { type: 'string' },
        ...FORMAT_FLAG_OPTIONS,
      },
    }),
  );
  const port = Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError(`--port must be an integer from 0 to 65535, got ${JSON.stringify(values.port)}`);
  const maxBatch = positiveInt('max-batch', values['max-batch'], 16)!;
  const maxQueue = positiveInt('max-queue', values['max-queue'], 256)!;
  const maxNewTokensCap = positiveInt('max-new-tokens-cap', values['max-new-tokens-cap'], 256)!;
  const maxImagePixels = positiveInt('max-image-pixels', values['max-image-pixels'], MAX_IMAGE_PIXELS)!;
  const maxBodyBytes = positiveInt('max-body-bytes', values['max-body-bytes'], DEFAULT_MAX_BODY_BYTES)!;
  const batching = values['no-batching'] !== true;
  const modelDir = values.model ?? defaultModelDir;

  let metrics: ServeMetrics | undefined;
  const threads = positiveInt('threads', values.threads);
  const load = { ...formatOptionsFromFlags(values), ...(threads !== undefined ? { sessionOptions: { intraOpNumThreads: threads, interOpNumThreads: 1 } } : {}) };
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
}
