/**
 * The training Web Worker entry: fine-tunes a model off the page's main
 * thread (`@ved/training` on onnxruntime-web), posting every update's
 * metrics back. Start it with `TrainingWorker` (training-worker-client.ts);
 * see docs/training.md.
 */
import './register-builtins.js';
import { createTrainingWorkerHandler } from './training-worker-handler.js';
import type { FromTrainingWorker, ToTrainingWorker } from './training-worker-protocol.js';

interface WorkerScope {
  postMessage(message: FromTrainingWorker): void;
  addEventListener(type: 'message', listener: (event: MessageEvent<ToTrainingWorker>) => void): void;
}

const scope = globalThis as unknown as WorkerScope;
const handle = createTrainingWorkerHandler({ post: (message) => scope.postMessage(message) });
scope.addEventListener('message', (event) => handle(event.data));
