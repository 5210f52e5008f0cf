/** Messages between `TrainingWorker` (the page) and the training worker entry (`@ved/backend-web/training-worker`). */
import type { DownloadProgress } from '@ved/core';
import type { GenerationOptions } from '@ved/generation';
import type { EvalMetrics, StepMetrics, TrainingArguments } from '@ved/training';
import type { CaptionResult } from './pipeline.js';
import type { WebRuntimeReport } from './runtime.js';
import type { ErrorInfo, TransferableImage, WorkerLoadOptions } from './worker-protocol.js';

/** A training example as it crosses into the worker: an image and its target text or ids. */
export interface WorkerTrainingExample {
  image: TransferableImage;
  text?: string;
  labels?: number[];
}

export interface TrainSummary {
  globalStep: number;
  /** Mean loss over this call's updates. */
  trainingLoss: number;
  steps: StepMetrics[];
  evaluations: EvalMetrics[];
  /** Stopped early by `abort`: the weights are those after the last complete update. */
  aborted: boolean;
  /** As `TrainOutput`'s (with `metricForBestModel`, `loadBestModelAtEnd`, `earlyStoppingPatience`). */
  bestMetric?: number;
  bestGlobalStep?: number;
  bestModelStep?: number;
  /** Early stopping ended training before `maxSteps`. */
  stoppedEarly: boolean;
}

export type ToTrainingWorker =
  | { type: 'load'; id: number; model: string; options: WorkerLoadOptions }
  | {
      type: 'train';
      id: number;
      examples: WorkerTrainingExample[];
      /** The evaluation examples, or several sets by name (the Trainer's `evalDataset`). */
      evalExamples?: WorkerTrainingExample[] | Record<string, WorkerTrainingExample[]>;
      args: TrainingArguments;
    }
  | { type: 'caption'; id: number; images: TransferableImage[]; options: GenerationOptions }
  | { type: 'abort'; id: number; target: number }
  | { type: 'dispose'; id: number };

export type FromTrainingWorker =
  | { type: 'progress'; id: number; progress: DownloadProgress }
  | { type: 'loaded'; id: number; runtime: WebRuntimeReport }
  | { type: 'step'; id: number; metrics: StepMetrics }
  | { type: 'evaluate'; id: number; metrics: EvalMetrics }
  | { type: 'trained'; id: number; result: TrainSummary }
  | { type: 'result'; id: number; result: CaptionResult }
  | { type: 'done'; id: number }
  | { type: 'error'; id: number; error: ErrorInfo };
