/**
 * The training graph of a composed model: one ONNX graph that runs
 * `VisionEncoderDecoderModel.forward(pixel_values, labels=…)` (encoder,
 * `enc_to_dec_proj`, cross-attention keys/values, the teacher-forced decoder
 * with no cache, and the mean cross-entropy over labels that are not -100, as
 * `transformers/models/vision_encoder_decoder/modeling_vision_encoder_decoder.py`
 * computes it), then its reverse-mode gradient with respect to every trained
 * weight (autodiff/).
 *
 * Inputs: `pixel_values` [batch, C, H, W], `decoder_input_ids` and `labels`
 * [batch, sequence] (int64), `dropout_keys` when dropout is on, and one input
 * per trained weight under its checkpoint name. Outputs: `loss` and
 * `<name>.grad` per trained weight. Frozen weights stay initializers and get
 * no gradient nodes.
 */
import { VedError } from '../errors.js';
import { GraphBuilder, type BuiltModel } from '../onnx/graph-builder.js';
import { BuildContext, type TrainingMode } from '../nn/context.js';
import { linear } from '../nn/layers.js';
import type { WeightBinder } from '../weights/weight-binder.js';
import type { Composition } from '../model/composition.js';
import { DECODER_PREFIX, ENCODER_PREFIX } from '../model/graphs.js';
import { addGradients } from '../autodiff/backward.js';
import { IGNORE_INDEX } from '../model/loss.js';
import { HashedDropoutMasks } from './dropout-masks.js';

export const PIXEL_VALUES = 'pixel_values';
export const DECODER_INPUT_IDS = 'decoder_input_ids';
export const LABELS = 'labels';
export const LOSS = 'loss';
export const gradName = (weight: string) => `${weight}.grad`;

export interface TrainingGraphSpec {
  /** Trained weights by stored checkpoint name (default: all). */
  trainable: (name: string) => boolean;
  /** Train-mode dropout (masks from `dropout_keys`); false: the eval-mode forward. */
  dropout: boolean;
  /** Add the backward pass (false: forward and loss only). */
  backward: boolean;
  /**
   * Recompute the attention probabilities in the backward instead of keeping them (default true;
   * autodiff/recompute.ts): the same gradients, less memory, a little more arithmetic.
   */
  recomputeAttention?: boolean;
  /**
   * HF Trainer's `label_smoothing_factor` ε (default 0): the loss becomes `LabelSmoother`'s
   * (transformers/trainer_pt_utils.py), `(1 - ε) · nll + ε · Σ_tokens Σ_v -log p_v / (tokens · V)` over the
   * labels that are not -100, instead of the model's own cross-entropy.
   */
  labelSmoothing?: number;
}

export interface TrainingGraph {
  built: BuiltModel;
  /** The trained weights the graph takes as inputs, in input order, with their shapes. */
  parameters: Array<{ name: string; shape: number[] }>;
  /** The dropout masks' key source, when dropout is on and the config has dropout sites. */
  dropout: HashedDropoutMasks | undefined;
  /** Graph nodes: forward, and backward (for reports). */
  nodeCount: { forward: number; backward: number };
}

export function buildTrainingGraph(parts: Composition, binder: WeightBinder, spec: TrainingGraphSpec): TrainingGraph {
  const g = new GraphBuilder(spec.backward ? 'ved_training' : 'ved_training_forward');
  const parameters: Array<{ name: string; shape: number[] }> = [];
  const declared = new Set<string>();
  const masks = spec.dropout ? new HashedDropoutMasks() : undefined;
  const mode: TrainingMode = {
    trainable: spec.trainable,
    parameter: (name, shape) => {
      if (!declared.has(name)) {
        declared.add(name);
        parameters.push({ name, shape: [...shape] });
        g.input(name, 'float32', [...shape]);
      }
      return name;
    },
    ...(masks ? { dropout: masks } : {}),
  };
  const root = new BuildContext(g, binder, '', 'fp32', mode);
  const [h, w] = parts.encoder.imageSize(parts.encoderConfig);
  const channels = parts.encoder.numChannels(parts.encoderConfig);
  const pixels = g.input(PIXEL_VALUES, 'float32', ['batch', channels, h, w]);
  const inputIds = g.input(DECODER_INPUT_IDS, 'int64', ['batch', 'sequence']);
  const labels = g.input(LABELS, 'int64', ['batch', 'sequence']);

  const hidden = g.scope('encoder', () => parts.encoder.buildGraph(root.at(ENCODER_PREFIX), parts.encoderConfig, pixels, {}));
  const states = parts.hasProjection ? linear(root, hidden, 'enc_to_dec_proj', parts.encoderHidden, parts.decoderHidden) : hidden;
  const decoder = root.at(DECODER_PREFIX);
  const cross = g.scope('cross', () => parts.decoder.buildCrossKeyValues(decoder, parts.decoderConfig, states));
  const layers = cross.length;
  const out = g.scope('decoder', () =>
    parts.decoder.buildStep(decoder, parts.decoderConfig, {
      inputIds,
      pastLength: g.constInt(0, []),
      queryLength: g.op('Gather', [g.op('Shape', [inputIds]), g.constInt(1, [])], { axis: 0 }),
      // No cache: appendToCache takes '' as "nothing cached".
      pastKeys: Array<string>(layers).fill(''),
      pastValues: Array<string>(layers).fill(''),
      crossKeys: cross.map((c) => c.key),
      crossValues: cross.map((c) => c.value),
    }),
  );
  const vocab = parts.decoder.vocabSize(parts.decoderConfig);
  // CrossEntropyLoss()(logits.reshape(-1, vocab), labels.reshape(-1)): mean over labels != -100.
  const scores = g.op('Reshape', [out.logits, g.constInt([-1, vocab])]);
  const targets = g.op('Reshape', [labels, g.constInt([-1])]);
  const [nll] = g.opMulti('SoftmaxCrossEntropyLoss', [scores, targets], { ignore_index: IGNORE_INDEX, reduction: 'mean' }, { outputs: 2 });
  const loss = smoothedLoss(g, nll!, scores, targets, vocab, spec.labelSmoothing ?? 0);
  g.output(LOSS, loss, 'float32', []);
  const forwardNodes = g.nodeRecords.length;
  if (spec.backward) {
    if (parameters.length === 0) throw new VedError('INVALID_OPTION', 'No weight is trainable: the "trainable" option rejected every weight the model uses.');
    const grads = addGradients(g, loss, parameters.map((p) => p.name), { recomputeAttention: spec.recomputeAttention ?? true });
    for (const p of parameters) {
      // A weight the loss does not depend on (none in ved's architectures) gets zeros.
      const grad = grads.get(p.name) ?? g.op('ConstantOfShape', [g.constInt(p.shape)]);
      g.output(gradName(p.name), grad, 'float32', p.shape);
    }
  }
  return {
    built: g.build(),
    parameters,
    dropout: masks !== undefined && masks.sites > 0 ? masks : undefined,
    nodeCount: { forward: forwardNodes, backward: g.nodeRecords.length - forwardNodes },
  };
}

/**
 * transformers' `LabelSmoother.__call__` (trainer_pt_utils.py) with `shift_labels=False`, as HF Trainer applies
 * it to a VisionEncoderDecoderModel when `label_smoothing_factor` is set: the mean negative log-likelihood of
 * the labels (`nll`, the model's own loss) mixed with the mean over the same tokens of the negative
 * log-probabilities summed over the vocabulary, divided by the vocabulary size. ε = 0 is the plain loss.
 */
function smoothedLoss(g: GraphBuilder, nll: string, scores: string, targets: string, vocab: number, epsilon: number): string {
  if (epsilon === 0) return nll;
  const logProbs = g.op('LogSoftmax', [scores], { axis: 1 });
  const active = g.op('Cast', [g.op('Not', [g.op('Equal', [targets, g.constInt(IGNORE_INDEX, [])])])], { to: 1 });
  const perToken = g.op('ReduceSum', [logProbs, g.constInt([1])], { keepdims: 0 });
  const total = g.op('ReduceSum', [g.op('Mul', [perToken, active])], { keepdims: 0 });
  const count = g.op('Mul', [g.op('ReduceSum', [active], { keepdims: 0 }), g.constFloat(vocab)]);
  const smoothed = g.op('Neg', [g.op('Div', [total, count])]);
  return g.op('Add', [g.op('Mul', [nll, g.constFloat(1 - epsilon)]), g.op('Mul', [smoothed, g.constFloat(epsilon)])]);
}
