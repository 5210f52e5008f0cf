/** Errors of a training run. */
import { VedError } from '@ved/core';

/**
 * The loss or the gradient norm of an update is NaN or infinite: training
 * stops before that update touches the weights, so the weights (and the last
 * checkpoint saved) are those of the previous update.
 */
export class TrainingDivergedError extends VedError {
  constructor(
    /** The update (1-based) whose loss or gradient was not finite. */
    readonly step: number,
    /** What was not finite: `loss` or `grad_norm`. */
    readonly quantity: 'loss' | 'grad_norm',
    readonly value: number,
    detail: string,
  ) {
    super('TRAINING_DIVERGED', `Training diverged at step ${step}: the ${quantity === 'loss' ? 'loss' : 'gradient norm'} is ${value} (${detail}). ` +
      'The weights are those after the previous step; lower the learning rate, or check the data of this step.');
    this.name = 'TrainingDivergedError';
  }
}
