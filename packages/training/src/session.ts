/**
 * What the Trainer needs from the gradient engine: `TrainingSession` of
 * `@ved/core` (forward + backward of one batch, the trainable parameters as
 * float32 arrays the optimizer updates in place, the eval-mode loss, and the
 * current weights as a model). Declared as an interface so the loop can also
 * run on a stand-in (tests on synthetic gradients).
 */
import { TrainingSession, type Runtime, type TrainingBatch, type TrainingGraphOptions, type TrainingStepOptions, type TrainingStepResult, type VisionEncoderDecoderModel } from '@ved/core';

export interface TrainingSessionLike {
  /** The trainable parameters by name; updated in place, the next step uses them. */
  readonly parameters: Map<string, Float32Array>;
  /**
   * Forward and backward of one batch (training mode), no update. The Trainer
   * passes the update (1-based) and the micro-batch in it, from which the
   * dropout masks are drawn, so that a resumed run draws the same masks.
   */
  step(batch: TrainingBatch, options?: TrainingStepOptions): Promise<TrainingStepResult>;
  /** The loss in eval mode (no dropout, no gradients). */
  loss(batch: TrainingBatch): Promise<{ loss: number; tokens: number }>;
  /** The model with the current weights (for generation). */
  toModel(): Promise<VisionEncoderDecoderModel>;
  dispose(): Promise<void>;
}

/** Creates a session for a model. */
export type SessionFactory = (model: VisionEncoderDecoderModel, runtime: Runtime, options: TrainingGraphOptions) => Promise<TrainingSessionLike>;

/** ved's gradient engine: `TrainingSession.create`. */
export const defaultSessionFactory: SessionFactory = (model, runtime, options) => TrainingSession.create(model, runtime, options);
