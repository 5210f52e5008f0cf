/**
 * The Web Worker entry: loads a model and captions images off the main
 * thread, posting download progress and streamed tokens back. Start it with
 * `CaptionWorker` (worker-client.ts); see docs/browser.md for bundler set-up.
 */
import './register-builtins.js';
import { VedError } from '@ved/core';
import { ImageToText } from './pipeline.js';
import type { ErrorInfo, FromWorker, ToWorker } from './worker-protocol.js';

interface WorkerScope {
  postMessage(message: FromWorker): void;
  addEventListener(type: 'message', listener: (event: MessageEvent<ToWorker>) => void): void;
}

const scope = globalThis as unknown as WorkerScope;
let pipeline: ImageToText | undefined;
// Messages run one at a time, in order: a caption waits for the load before it.
let queue: Promise<void> = Promise.resolve();

function errorInfo(error: unknown): ErrorInfo {
  const e = error instanceof Error ? error : new Error(String(error));
  return { name: e.name, message: e.message, ...(e instanceof VedError ? { code: e.code } : {}) };
}

async function handle(message: ToWorker): Promise<void> {
  const post = (m: FromWorker) => scope.postMessage(m);
  const { id } = message;
  try {
    switch (message.type) {
      case 'load': {
        await pipeline?.dispose();
        pipeline = undefined;
        const { cache, ...options } = message.options;
        pipeline = await ImageToText.fromPretrained(message.model, {
          ...options,
          ...(cache !== undefined ? { cache } : {}),
          onProgress: (progress) => post({ type: 'progress', id, progress }),
        });
        post({ type: 'loaded', id, runtime: { ...pipeline.runtime.report } });
        break;
      }
      case 'caption': {
        if (pipeline === undefined) throw new VedError('INVALID_INPUT', 'The worker has no model: send "load" first (CaptionWorker.load).');
        const result = await pipeline.generate(message.images, {
          ...message.options,
          ...(message.stream ? { onToken: (event) => post({ type: 'token', id, event }) } : {}),
        });
        post({ type: 'result', id, result });
        break;
      }
      case 'dispose': {
        await pipeline?.dispose();
        pipeline = undefined;
        post({ type: 'disposed', id });
        break;
      }
    }
  } catch (error) {
    post({ type: 'error', id, error: errorInfo(error) });
  }
}

scope.addEventListener('message', (event) => {
  queue = queue.then(() => handle(event.data));
});
