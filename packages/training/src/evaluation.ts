/**
 * One evaluation pass, as HF's `Seq2SeqTrainer.evaluate` with
 * `predict_with_generate`: the eval-mode loss of every batch (averaged over
 * examples, each batch's mean loss weighted by its size, as
 * `Trainer.evaluation_loop` averages), and, when asked, the texts the current
 * weights generate (the checkpoint's generation config, skip special tokens)
 * scored against the references by exact match and character error rate.
 */
import { VedError, type PixelBatch, type Tokenizer, type VisionEncoderDecoderModel } from '@ved/core';
import { generate, modelGenerationConfig, type GenerationOptions } from '@ved/generation';
import { collateLabels } from './data/collate.js';
import type { PreparedExample } from './data/examples.js';
import { textMetrics } from './metrics.js';
import type { TrainingSessionLike } from './session.js';

export interface EvalMetrics {
  /** The update after which the evaluation ran (0 before training). */
  step: number;
  /** The evaluation set's name, when the Trainer has several by name (`eval_<dataset>_loss`, …). */
  dataset?: string;
  /** The prefix its metrics were logged under, when a call gave one other than `eval` (HF's `metric_key_prefix`). */
  metricKeyPrefix?: string;
  epoch: number;
  /** Mean eval-mode loss per example. */
  evalLoss: number;
  /** Share of generated texts equal to their reference (with `predictWithGenerate`). */
  exactMatch?: number;
  /** Character error rate of the generated texts (with `predictWithGenerate`). */
  cer?: number;
  /** Word error rate of the generated texts (with `predictWithGenerate`). */
  wer?: number;
  /** What `computeMetrics` returned, by its names (logged with the `eval_` prefix). */
  metrics?: Record<string, number>;
  examples: number;
}

/**
 * What `computeMetrics` receives after an evaluation that generated (Seq2SeqTrainer's `EvalPrediction` with
 * `predict_with_generate`): the generated ids and their texts, and each example's labels and reference text.
 */
export interface EvalPrediction {
  /** The generated sequences (decoder start token included), one per example. */
  predictionIds: number[][];
  /** Their texts (special tokens skipped). */
  predictions: string[];
  /** Each example's labels (no padding). */
  labelIds: number[][];
  /** Each example's text: its `text`, or its labels decoded. */
  references: string[];
}

/** HF's `compute_metrics`: named numbers from the evaluation's predictions (`{ bleu: 0.31 }`). */
export type ComputeMetrics = (prediction: EvalPrediction) => Record<string, number> | Promise<Record<string, number>>;

/** Names `computeMetrics` may not return: the evaluation's own. */
const OWN_METRICS = new Set(['loss', 'exact_match', 'cer', 'wer']);

export interface EvaluationInputs<Image> {
  session: TrainingSessionLike;
  examples: readonly PreparedExample<Image>[];
  batchSize: number;
  prepareBatch: (examples: readonly PreparedExample<Image>[]) => Promise<PixelBatch>;
  padTokenId: number;
  decoderStartTokenId: number;
  /** Generate and score texts. */
  generateTexts: boolean;
  generation: GenerationOptions;
  tokenizer: Tokenizer | undefined;
  signal: AbortSignal | undefined;
  computeMetrics?: ComputeMetrics;
}

/** An evaluation's metrics and, when it generated, what it generated. */
export interface EvaluationResult {
  metrics: Omit<EvalMetrics, 'step' | 'epoch'>;
  prediction?: EvalPrediction;
}

export async function runEvaluation<Image>(inputs: EvaluationInputs<Image>): Promise<EvaluationResult> {
  const { session, examples, batchSize } = inputs;
  let model: VisionEncoderDecoderModel | undefined;
  if (inputs.generateTexts) {
    if (inputs.tokenizer === undefined) {
      throw new VedError('INVALID_OPTION', 'predictWithGenerate needs the model\'s tokenizer to turn generated ids into text; give one, or turn predictWithGenerate off.');
    }
    model = await session.toModel();
  }
  try {
    let lossSum = 0;
    const predictions: string[] = [];
    const references: string[] = [];
    const predictionIds: number[][] = [];
    for (let start = 0; start < examples.length; start += batchSize) {
      inputs.signal?.throwIfAborted();
      const batch = examples.slice(start, start + batchSize);
      const pixelValues = await inputs.prepareBatch(batch);
      const { labels, decoderInputIds } = collateLabels(
        batch.map((e) => e.labels),
        inputs.padTokenId,
        inputs.decoderStartTokenId,
      );
      const { loss } = await session.loss({ pixelValues, labels, decoderInputIds });
      lossSum += loss * batch.length;
      if (model !== undefined) {
        const generation = modelGenerationConfig(model.config.raw, model.generationConfigJson, model.config.fileName);
        const out = await generate(
          model,
          { pixelValues, modelGenerationConfig: generation, tokenizer: inputs.tokenizer, ...(inputs.signal ? { signal: inputs.signal } : {}) },
          inputs.generation,
        );
        predictions.push(...inputs.tokenizer!.batchDecode(out.sequences, { skipSpecialTokens: true }));
        predictionIds.push(...out.sequences.map((row) => [...row]));
        references.push(...batch.map((e) => e.text ?? inputs.tokenizer!.decode(e.labels.filter((id) => id >= 0), { skipSpecialTokens: true })));
      }
    }
    const evalLoss = lossSum / examples.length;
    if (model === undefined) return { metrics: { evalLoss, examples: examples.length } };
    const prediction: EvalPrediction = { predictionIds, predictions, labelIds: examples.map((e) => [...e.labels]), references };
    const metrics = inputs.computeMetrics === undefined ? undefined : checkedMetrics(await inputs.computeMetrics(prediction));
    return {
      metrics: { evalLoss, ...textMetrics(predictions, references), ...(metrics !== undefined ? { metrics } : {}), examples: examples.length },
      prediction,
    };
  } finally {
    await model?.dispose();
  }
}

/** `computeMetrics`' result: an object of numbers under names that can be logged as `eval_<name>`. */
function checkedMetrics(result: unknown): Record<string, number> {
  if (typeof result !== 'object' || result === null || Array.isArray(result)) {
    throw new VedError('INVALID_OPTION', `computeMetrics returned ${JSON.stringify(result)}; expected an object of named numbers such as { bleu: 0.31 }.`);
  }
  const metrics: Record<string, number> = {};
  for (const [key, value] of Object.entries(result)) {
    const name = key.startsWith('eval_') ? key.slice('eval_'.length) : key;
    if (!/^[A-Za-z0-9_]+$/.test(name) || OWN_METRICS.has(name)) {
      throw new VedError('INVALID_OPTION', `computeMetrics returned a metric named ${JSON.stringify(key)}; expected letters, digits and _, other than the evaluation's own loss, exact_match, cer and wer.`);
    }
    if (typeof value !== 'number') throw new VedError('INVALID_OPTION', `computeMetrics returned ${JSON.stringify(value)} for "${key}"; expected a number.`);
    metrics[name] = value;
  }
  return metrics;
}
