/**
 * A stand-in for the gradient engine in Trainer tests: the trainable weights
 * of a real model, a loss with an exact gradient computed in JavaScript, so
 * the loop (batching, accumulation, clipping, schedules, saving, resuming) is
 * tested on its own. The loss of a row is `½ · mean((θ − a)²)` summed over the
 * trainable tensors, with `a` the row's mean label id / 1000 plus the image's
 * mean pixel value; a batch's loss is the mean over rows.
 */
import { InMemoryTensors, TensorUnion, VisionEncoderDecoderModel, type Runtime } from '@ved/core';
import type { TrainingBatch, TrainingGraphOptions, TrainingStepResult } from '@ved/core';
import type { TrainingSessionLike } from '@ved/training';

export class SyntheticSession implements TrainingSessionLike {
  readonly parameters = new Map<string, Float32Array>();
  /** Every batch given to `step`, for assertions. */
  readonly batches: TrainingBatch[] = [];
  /** Makes `step` return this loss at the given call (1-based), e.g. NaN. */
  lossOverride: { call: number; loss: number } | undefined;
  private calls = 0;

  private constructor(
    private readonly model: VisionEncoderDecoderModel,
    private readonly runtime: Runtime,
    readonly options: TrainingGraphOptions,
  ) {
    for (const name of model.weights.names()) {
      if (options.trainable?.(name) ?? true) this.parameters.set(name, Float32Array.from(model.weights.getFloat32(name)));
    }
  }

  static async create(model: VisionEncoderDecoderModel, runtime: Runtime, options: TrainingGraphOptions = {}): Promise<SyntheticSession> {
    return new SyntheticSession(model, runtime, options);
  }

  private targets(batch: TrainingBatch): number[] {
    const [b] = batch.pixelValues.dims;
    const per = batch.pixelValues.data.length / b;
    return batch.labels.map((row, r) => {
      const ids = row.filter((id) => id !== -100);
      let px = 0;
      for (let i = r * per; i < (r + 1) * per; i++) px += batch.pixelValues.data[i]!;
      return ids.reduce((s, id) => s + id, 0) / ids.length / 1000 + px / per;
    });
  }

  private compute(batch: TrainingBatch, withGrads: boolean): TrainingStepResult {
    const targets = this.targets(batch);
    let loss = 0;
    const grads = new Map<string, Float32Array>();
    for (const [name, theta] of this.parameters) {
      const g = withGrads ? new Float32Array(theta.length) : undefined;
      for (const a of targets) {
        let sum = 0;
        for (let i = 0; i < theta.length; i++) {
          const d = theta[i]! - a;
          sum += d * d;
          if (g) g[i] = g[i]! + d / theta.length / targets.length;
        }
        loss += (0.5 * sum) / theta.length / targets.length;
      }
      if (g) grads.set(name, g);
    }
    const tokens = batch.labels.flat().filter((id) => id !== -100).length;
    return { loss, tokens, grads };
  }

  async step(batch: TrainingBatch): Promise<TrainingStepResult> {
    this.calls += 1;
    this.batches.push(batch);
    const result = this.compute(batch, true);
    if (this.lossOverride?.call === this.calls) return { ...result, loss: this.lossOverride.loss };
    return result;
  }

  async loss(batch: TrainingBatch): Promise<{ loss: number; tokens: number }> {
    const { loss, tokens } = this.compute(batch, false);
    return { loss, tokens };
  }

  async toModel(): Promise<VisionEncoderDecoderModel> {
    const trained = new InMemoryTensors('trained');
    for (const [name, data] of this.parameters) trained.set(name, this.model.weights.info(name).shape, Float32Array.from(data));
    const weights = new TensorUnion([
      { source: trained, from: '', to: '' },
      { source: this.model.weights, from: '', to: '' },
    ]);
    return VisionEncoderDecoderModel.fromWeights(this.model.config, weights, this.runtime, { generationConfigJson: this.model.generationConfigJson });
  }

  async dispose(): Promise<void> {}
}
