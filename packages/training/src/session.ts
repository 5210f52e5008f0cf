/**
 * What the Trainer needs from the gradient engine: the contract of
 * `TrainingSession` in `@ved/core` (forward + backward of one batch, the
 * trainable parameters as float32 arrays the optimizer updates in place, the
 * eval-mode loss, and the current weights as a model). Declared here as an
 * interface so the loop can also run on a stand-in (tests on synthetic
 * gradients).
 */
import type { PixelBatch, Runtime, VisionEncoderDecoderModel } from '@ved/core';

export interface TrainingGraphOptions {
  /** Which weights get gradients (default: all). */
  trainable?: (name: string) => boolean;
  /** Dropout in training mode (default true). */
  dropout?: boolean;
  /** Seed of the dropout masks. */
  seed?: number;
}

export interface TrainingBatch {
  pixelValues: PixelBatch;
  /** [B, T] target ids, -100 where ignored. */
  labels: number[][];
  /** [B, T] decoder inputs (default: the labels shifted right). */
  decoderInputIds?: number[][];
}

export interface TrainingStepResult {
  /** Mean cross-entropy over the batch's counted tokens. */
  loss: number;
  /** Counted label tokens. */
  tokens: number;
  /** The gradient of `loss` for every trainable parameter, by name. */
  grads: Map<string, Float32Array>;
}

export interface TrainingSessionLike {
  /** The trainable parameters by name; updated in place, the next step uses them. */
  readonly parameters: Map<string, Float32Array>;
  /** Forward and backward of one batch (training mode), no update. */
  step(batch: TrainingBatch): Promise<TrainingStepResult>;
  /** The loss in eval mode (no dropout, no gradients). */
  loss(batch: TrainingBatch): Promise<{ loss: number; tokens: number }>;
  /** The model with the current weights (for generation). */
  toModel(): Promise<VisionEncoderDecoderModel>;
  dispose(): Promise<void>;
}

/** Creates a session for a model (the default is `TrainingSession.create` of `@ved/core`). */
export type SessionFactory = (model: VisionEncoderDecoderModel, runtime: Runtime, options: TrainingGraphOptions) => Promise<TrainingSessionLike>;
