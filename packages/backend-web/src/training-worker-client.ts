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
import type { GenerationOptions } from '@ved/generation';
import type { EvalMetrics, StepMetrics, TrainingArguments } from '@ved/training';
import type { WebImageInput } from './image-input.js';
import type { CaptionResult } from './pipeline.js';
import type { FromTrainingWorker, ToTrainingWorker, TrainSummary, WorkerTrainingExample } from './training-worker-protocol.js';
import { WorkerRequests, toTransferable, transferableImages, type Pending, type WorkerLike } from './worker-requests.js';

type Callbacks = {
  onStep?: (metrics: StepMetrics) => void;
  onEvaluate?: (metrics: EvalMetrics) => void;
};

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
  /** The evaluation examples, or several sets by name (`eval_<name>_loss`, …; see the Trainer's `evalDataset`). */
  evalExamples?: readonly PageTrainingExample[] | Readonly<Record<string, readonly PageTrainingExample[]>>;
}

export class TrainingWorker extends WorkerRequests<ToTrainingWorker, FromTrainingWorker, Callbacks> {
  constructor(worker: WorkerLike<ToTrainingWorker, FromTrainingWorker>) {
    super(worker, 'training worker');
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
    const prepareSets = async (sets: NonNullable<WorkerTrainOptions['evalExamples']>) =>
      Array.isArray(sets)
        ? prepare(sets as readonly PageTrainingExample[])
        : Object.fromEntries(await Promise.all(Object.entries(sets).map(async ([name, list]) => [name, await prepare(list)] as const)));
    const message = {
      type: 'train' as const,
      examples: await prepare(examples),
      ...(options.evalExamples ? { evalExamples: await prepareSets(options.evalExamples) } : {}),
      args,
    };
    const id = this.nextId;
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
    const prepared = await transferableImages(images);
    return this.send({ type: 'caption', images: prepared.images, options }, prepared.transfer, {}) as Promise<CaptionResult>;
  }

  protected receive(message: FromTrainingWorker, request: Pending<Callbacks>): void {
    switch (message.type) {
      case 'progress':
        return request.onProgress?.(message.progress);
      case 'step':
        return request.onStep?.(message.metrics);
      case 'evaluate':
        return request.onEvaluate?.(message.metrics);
      case 'loaded':
        return this.resolve(message.id, message.runtime);
      case 'trained':
      case 'result':
        return this.resolve(message.id, message.result);
      case 'done':
        return this.resolve(message.id, undefined);
      case 'error':
        return this.reject(message.id, message.error);
    }
  }
}
