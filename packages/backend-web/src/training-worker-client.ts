/**
 * The page side of the training worker: `TrainingWorker` sends a model and
 * (image, text) examples to the worker entry (`@ved/backend-web/training-worker`),
 * which fine-tunes it off the main thread and reports every update.
 *
 * ```ts
 * const worker = new Worker(new URL('@ved/backend-web/training-worker', import.meta.url), { type: 'module' });
 * const trainer = new TrainingWorker(worker);
 * await trainer.load('./models/default/');
 * const result = await trainer.train([{ image: canvas, text: 'INV-2024' }], { maxSteps: 30, learningRate: 1e-3 }, {
 *   onStep: (m) => chart.add(m.step, m.loss),
 *   signal: stopButton.signal,
 * });
 * const { texts } = await trainer.caption([canvas]);   // read with the fine-tuned weights
 * ```
 */
import { VedError, type DownloadProgress, type VedErrorCode } from '@ved/core';
import type { GenerationOptions } from '@ved/generation';
import type { EvalMetrics, StepMetrics, TrainingArguments } from '@ved/training';
import type { WebImageInput } from './image-input.js';
import type { CaptionResult } from './pipeline.js';
import type { WebRuntimeReport } from './runtime.js';
import type { FromTrainingWorker, ToTrainingWorker, TrainSummary, WorkerTrainingExample } from './training-worker-protocol.js';
import { toTransferable } from './worker-client.js';
import type { WorkerLoadOptions } from './worker-protocol.js';

interface WorkerLike {
  postMessage(message: ToTrainingWorker, transfer?: Transferable[]): void;
  addEventListener(type: 'message', listener: (event: MessageEvent<FromTrainingWorker>) => void): void;
  addEventListener(type: 'error', listener: (event: ErrorEvent) => void): void;
  terminate(): void;
}

interface Pending {
  resolve(value: unknown): void;
  reject(error: Error): void;
  onProgress?: (progress: DownloadProgress) => void;
  onStep?: (metrics: StepMetrics) => void;
  onEvaluate?: (metrics: EvalMetrics) => void;
}

/** A training example on the page: any image the captioning API takes, and its text (or label ids). */
export interface PageTrainingExample {
  image: WebImageInput;
  text?: string;
  labels?: number[];
}

export interface WorkerTrainOptions {
  onStep?: (metrics: StepMetrics) => void;
  onEvaluate?: (metrics: EvalMetrics) => void;
  /** Stops training after the current micro-batch; the promise then resolves with `aborted: true`. */
  signal?: AbortSignal;
  evalExamples?: readonly PageTrainingExample[];
}

export class TrainingWorker {
  private next = 1;
  private readonly pending = new Map<number, Pending>();

  constructor(private readonly worker: WorkerLike) {
    worker.addEventListener('message', (event) => this.receive(event.data));
    worker.addEventListener('error', (event) => {
      const error = new VedError('RUNTIME', `The training worker failed to start or crashed: ${event.message || 'unknown error'} (check the worker script URL and that it is served as JavaScript).`);
      for (const p of this.pending.values()) p.reject(error);
      this.pending.clear();
    });
  }

  /** Loads a model (URL or repository id) in the worker; resolves with the runtime's report. */
  load(model: string, options: WorkerLoadOptions & { onProgress?: (progress: DownloadProgress) => void } = {}): Promise<WebRuntimeReport> {
    const { onProgress, ...rest } = options;
    const baseUrl = rest.baseUrl ?? (globalThis as { location?: { href: string } }).location?.href;
    return this.send({ type: 'load', model, options: { ...rest, ...(baseUrl ? { baseUrl } : {}) } }, [], onProgress ? { onProgress } : {}) as Promise<WebRuntimeReport>;
  }

  /** Fine-tunes the loaded model on `examples` with `args` (HF TrainingArguments names, see docs/training.md). */
  async train(examples: readonly PageTrainingExample[], args: TrainingArguments, options: WorkerTrainOptions = {}): Promise<TrainSummary> {
    const transfer: Transferable[] = [];
    const prepare = async (list: readonly PageTrainingExample[]): Promise<WorkerTrainingExample[]> =>
      Promise.all(
        list.map(async ({ image, ...target }) => {
          const prepared = await toTransferable(image);
          if (typeof ImageBitmap !== 'undefined' && prepared instanceof ImageBitmap) transfer.push(prepared);
          return { image: prepared, ...target };
        }),
      );
    const message = {
      type: 'train' as const,
      examples: await prepare(examples),
      ...(options.evalExamples ? { evalExamples: await prepare(options.evalExamples) } : {}),
      args,
    };
    const id = this.next;
    const onAbort = () => this.send({ type: 'abort', target: id }, [], {});
    options.signal?.addEventListener('abort', onAbort, { once: true });
    try {
      return (await this.send(message, transfer, {
        ...(options.onStep ? { onStep: options.onStep } : {}),
        ...(options.onEvaluate ? { onEvaluate: options.onEvaluate } : {}),
      })) as TrainSummary;
    } finally {
      options.signal?.removeEventListener('abort', onAbort);
    }
  }

  /** Captions images with the worker's current weights (fine-tuned after `train`). */
  async caption(images: readonly WebImageInput[], options: GenerationOptions = {}): Promise<CaptionResult> {
    const prepared = await Promise.all(images.map(toTransferable));
    const transfer = prepared.filter((img): img is ImageBitmap => typeof ImageBitmap !== 'undefined' && img instanceof ImageBitmap);
    return this.send({ type: 'caption', images: prepared, options }, transfer, {}) as Promise<CaptionResult>;
  }

  /** Releases the model in the worker. */
  dispose(): Promise<void> {
    return this.send({ type: 'dispose' }, [], {}) as Promise<void>;
  }

  terminate(): void {
    this.worker.terminate();
    const error = new VedError('RUNTIME', 'The training worker was terminated.');
    for (const p of this.pending.values()) p.reject(error);
    this.pending.clear();
  }

  private send(message: DistributiveOmit<ToTrainingWorker, 'id'>, transfer: Transferable[], callbacks: Omit<Pending, 'resolve' | 'reject'>): Promise<unknown> {
    const id = this.next++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject, ...callbacks });
      this.worker.postMessage({ ...message, id } as ToTrainingWorker, transfer);
    });
  }

  private receive(message: FromTrainingWorker): void {
    const p = this.pending.get(message.id);
    if (p === undefined) return;
    switch (message.type) {
      case 'progress':
        p.onProgress?.(message.progress);
        return;
      case 'step':
        p.onStep?.(message.metrics);
        return;
      case 'evaluate':
        p.onEvaluate?.(message.metrics);
        return;
      case 'loaded':
        this.pending.delete(message.id);
        return p.resolve(message.runtime);
      case 'trained':
      case 'result':
        this.pending.delete(message.id);
        return p.resolve(message.result);
      case 'done':
        this.pending.delete(message.id);
        return p.resolve(undefined);
      case 'error': {
        this.pending.delete(message.id);
        const { name, message: text, code } = message.error;
        return p.reject(code !== undefined ? new VedError(code as VedErrorCode, text) : Object.assign(new Error(text), { name }));
      }
    }
  }
}

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;
