/**
 * What the training worker does with each message (training-worker.ts binds
 * it to the worker scope; tests drive it directly): load a checkpoint,
 * fine-tune it with `@ved/training`'s Trainer on onnxruntime-web, posting
 * every update's metrics, and caption images with the weights as they are
 * now. Messages run one at a time, in order; `abort` acts at once (the
 * running `train` stops after its current micro-batch and keeps the updates
 * done).
 */
import { VedError, VisionEncoderDecoderModel } from '@ved/core';
import { generate } from '@ved/generation';
import { Trainer, withFloat32Weights, type TrainingExample } from '@ved/training';
import { loadImage } from './image-input.js';
import { ImageToText, type WebPretrainedOptions } from './pipeline.js';
import type { FromTrainingWorker, ToTrainingWorker, WorkerTrainingExample } from './training-worker-protocol.js';
import type { ErrorInfo } from './worker-protocol.js';

export interface TrainingWorkerHandlerOptions {
  post: (message: FromTrainingWorker) => void;
  /** How `load` opens a model (default `ImageToText.fromPretrained`). */
  open?: (model: string, options: WebPretrainedOptions) => Promise<ImageToText>;
}

function errorInfo(error: unknown): ErrorInfo {
  const e = error instanceof Error ? error : new Error(String(error));
  return { name: e.name, message: e.message, ...(e instanceof VedError ? { code: e.code } : {}) };
}

/** Returns the function to call with every message the worker receives. */
export function createTrainingWorkerHandler(options: TrainingWorkerHandlerOptions): (message: ToTrainingWorker) => void {
  const { post } = options;
  const open = options.open ?? ((model: string, o: WebPretrainedOptions) => ImageToText.fromPretrained(model, o));
  let pipe: ImageToText | undefined;
  /** The weights training starts from and captions use: the checkpoint's (as float32), then the trained ones. */
  let current: VisionEncoderDecoderModel | undefined;
  const running = new Map<number, AbortController>();
  let queue: Promise<void> = Promise.resolve();

  const need = (): { pipe: ImageToText; model: VisionEncoderDecoderModel } => {
    if (pipe === undefined || current === undefined) throw new VedError('INVALID_INPUT', 'The training worker has no model: send "load" first (TrainingWorker.load).');
    return { pipe, model: current };
  };

  const release = async () => {
    if (current !== undefined && current !== pipe?.model) await current.dispose();
    await pipe?.dispose();
    current = undefined;
    pipe = undefined;
  };

  const examples = (list: readonly WorkerTrainingExample[]): Promise<TrainingExample<Awaited<ReturnType<typeof loadImage>>>[]> =>
    Promise.all(
      list.map(async (e, i) => ({
        // Decoded once: every epoch reads the same pixels.
        image: await loadImage(e.image),
        ...(e.text !== undefined ? { text: e.text } : {}),
        ...(e.labels !== undefined ? { labels: e.labels } : {}),
        where: `example ${i}`,
      })),
    );

  async function handle(message: ToTrainingWorker): Promise<void> {
    const { id } = message;
    switch (message.type) {
      case 'load': {
        await release();
        const { cache, ...rest } = message.options;
        pipe = await open(message.model, { ...rest, ...(cache !== undefined ? { cache } : {}), onProgress: (progress) => post({ type: 'progress', id, progress }) });
        if (!(pipe.model instanceof VisionEncoderDecoderModel)) {
          throw new VedError('INVALID_INPUT', `${message.model} was loaded from an ONNX export; training needs the safetensors checkpoint.`);
        }
        // float16 checkpoints (the default model) train in float32.
        current = await withFloat32Weights(pipe.model, pipe.runtime);
        post({ type: 'loaded', id, runtime: { ...pipe.runtime.report } });
        return;
      }
      case 'train': {
        const { pipe: p, model } = need();
        const controller = new AbortController();
        running.set(id, controller);
        const trainer = new Trainer({
          model,
          runtime: p.runtime,
          args: message.args,
          trainDataset: await examples(message.examples),
          ...(message.evalExamples
            ? {
                evalDataset: Array.isArray(message.evalExamples)
                  ? await examples(message.evalExamples)
                  : Object.fromEntries(await Promise.all(Object.entries(message.evalExamples).map(async ([name, list]) => [name, await examples(list)] as const))),
              }
            : {}),
          prepareImages: (images) => p.preprocess(images),
          ...(p.tokenizer ? { tokenizer: p.tokenizer } : {}),
          callbacks: {
            onStep: (metrics) => post({ type: 'step', id, metrics }),
            onEvaluate: (metrics) => post({ type: 'evaluate', id, metrics }),
          },
        });
        try {
          let aborted = false;
          let result;
          try {
            result = await trainer.train({ signal: controller.signal });
          } catch (error) {
            if (!controller.signal.aborted) throw error;
            aborted = true;
          }
          // The weights after the last complete update become the current model.
          if (trainer.step > 0) {
            const trained = await trainer.toModel();
            if (current !== p.model) await current?.dispose();
            current = trained;
          }
          post({
            type: 'trained',
            id,
            result: {
              globalStep: trainer.step,
              trainingLoss: result?.trainingLoss ?? Number.NaN,
              steps: result?.steps ?? [],
              evaluations: result?.evaluations ?? [],
              aborted,
              ...(result?.bestMetric !== undefined ? { bestMetric: result.bestMetric } : {}),
              ...(result?.bestGlobalStep !== undefined ? { bestGlobalStep: result.bestGlobalStep } : {}),
              ...(result?.bestModelStep !== undefined ? { bestModelStep: result.bestModelStep } : {}),
              stoppedEarly: result?.stoppedEarly ?? false,
            },
          });
        } finally {
          running.delete(id);
          await trainer.dispose();
        }
        return;
      }
      case 'caption': {
        const { pipe: p, model } = need();
        const pixelValues = await p.preprocess(message.images);
        const out = await generate(model, { pixelValues, modelGenerationConfig: p.generationConfig, ...(p.tokenizer ? { tokenizer: p.tokenizer } : {}) }, message.options);
        const texts = p.tokenizer?.batchDecode(out.sequences, { skipSpecialTokens: true }) ?? [];
        post({ type: 'result', id, result: { sequences: out.sequences, texts } });
        return;
      }
      case 'dispose':
        await release();
        post({ type: 'done', id });
        return;
      case 'abort':
        return; // handled on arrival
    }
  }

  return (message: ToTrainingWorker) => {
    if (message.type === 'abort') {
      running.get(message.target)?.abort(new DOMException('Training stopped', 'AbortError'));
      post({ type: 'done', id: message.id });
      return;
    }
    queue = queue.then(() => handle(message).catch((error) => post({ type: 'error', id: message.id, error: errorInfo(error) })));
  };
}
