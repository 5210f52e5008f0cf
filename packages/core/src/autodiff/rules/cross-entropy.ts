/**
 * Gradient of SoftmaxCrossEntropyLoss (scores [N, C], integer labels [N],
 * `ignore_index`, reduction mean or sum) with respect to the scores:
 * (softmax(scores) - onehot(label)) per row, times the loss gradient, divided
 * by the number of rows not ignored for the mean; ignored rows get zero.
 * torch's `cross_entropy` backward is the same expression.
 */
import { VedError } from '../../errors.js';
import type { GradientRule } from '../gradient-rule.js';
import { intAttr } from '../shape-inference.js';

const softmaxCrossEntropyLossGradient: GradientRule = (ctx, outputGrads) => {
  const { g, node } = ctx;
  const [dLoss, dLogProb] = outputGrads;
  const [scores, labels, weights] = node.inputs as [string, string, string | undefined];
  const fail = (why: string): never => {
    throw new VedError('INVALID_INPUT', `Cannot differentiate SoftmaxCrossEntropyLoss "${node.outputs[0]}": ${why}.`);
  };
  if (dLogProb !== undefined) fail('gradients flow only through its loss output');
  if (weights !== undefined && weights !== '') fail('class weights are not differentiated');
  const reduction = String(node.attrs.reduction ?? 'mean');
  if (reduction === 'none') fail('reduction "none" is not differentiated');
  const dims = ctx.info(scores).dims;
  if (dims?.length !== 2) fail('scores must be 2-D [N, C]');
  const logProb = node.outputs[1] && node.outputs[1] !== '' ? node.outputs[1] : g.op('LogSoftmax', [scores], { axis: 1 });
  const ignore = node.attrs.ignore_index === undefined ? undefined : intAttr(node, 'ignore_index', -100);
  let valid: string | undefined;
  let safe = labels;
  if (ignore !== undefined) {
    valid = g.op('Not', [g.op('Equal', [labels, g.constInt(ignore, [])])]);
    safe = g.op('Where', [valid, labels, g.constInt(0, [])]);
  }
  const classes = typeof dims![1] === 'number' ? g.constInt(dims![1] as number, []) : g.op('Shape', [scores], { start: 1, end: 2 });
  const type = ctx.info(scores).type === 'float64' ? 'float64' : 'float32';
  const onehot = g.op('OneHot', [safe, classes, g.constFloat([0, 1], [2], type)], { axis: -1 });
  const diff = g.op('Sub', [g.op('Exp', [logProb]), onehot]);
  let rowWeight: string;
  if (valid === undefined) {
    const rows = typeof dims![0] === 'number' ? ctx.scalar(dims![0] as number, scores) : g.op('CastLike', [g.op('Shape', [scores], { start: 0, end: 1 }), scores]);
    rowWeight = reduction === 'mean' ? g.op('Div', [dLoss!, rows]) : dLoss!;
    return [g.op('Mul', [diff, rowWeight]), undefined];
  }
  const validF = g.op('CastLike', [valid, scores]);
  if (reduction === 'mean') {
    const count = g.op('ReduceSum', [validF], { keepdims: 0 });
    rowWeight = g.op('Mul', [validF, g.op('Div', [dLoss!, count])]);
  } else {
    rowWeight = g.op('Mul', [validF, dLoss!]);
  }
  return [g.op('Mul', [diff, g.op('Unsqueeze', [rowWeight, g.constInt([1])])]), undefined];
};

/** The gradient rules of this file, by op (`domain:op` outside ONNX's default domain). */
export const crossEntropyGradients: Record<string, GradientRule> = {
  SoftmaxCrossEntropyLoss: softmaxCrossEntropyLossGradient,
};
