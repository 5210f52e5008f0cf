/**
 * What a gradient rule is and where rules live: for one ONNX op, a function
 * that, given the gradients of the node's outputs, adds ONNX nodes computing
 * the gradients of its inputs (reverse mode, vector-Jacobian products). Rules
 * emit standard ONNX ops only (the builder's default opset), so the training
 * graph runs wherever inference runs: onnxruntime-node and onnxruntime-web.
 */
import { create } from '@bufbuild/protobuf';
import { TensorProtoSchema, TensorProto_DataType } from 'onnx-buf';
import type { Dim, GraphBuilder, NodeRecord } from '../onnx/graph-builder.js';
import type { ValueInfo } from './shape-inference.js';

export interface GradientContext {
  readonly g: GraphBuilder;
  /** The forward node whose input gradients the rule builds. */
  readonly node: NodeRecord;
  /** Static type and shape of a forward value (see shape-inference.ts). */
  info(value: string): ValueInfo;
  /** Whether input `i` of the node needs a gradient. */
  needs(i: number): boolean;
  /** A scalar constant of the element type of `like`. */
  scalar(value: number, like: string): string;
  /**
   * `grad`, shaped like the broadcast result `output` (a value, or its dimensions), summed down to
   * the shape of `input`.
   */
  unbroadcast(grad: string, input: string, output: string | readonly Dim[]): string;
  /** Zeros shaped and typed like `value`. */
  zerosLike(value: string): string;
  /** A tensor with the shape of `value` at run time: static when known, else `Shape(value)`. */
  shapeOf(value: string): string;
}

/**
 * Builds the gradients of the node's inputs from those of its outputs
 * (`undefined` where an output received no gradient; at least one did).
 * Returns one entry per input: the gradient, or undefined where none is
 * needed or the input is not differentiable.
 */
export type GradientRule = (ctx: GradientContext, outputGrads: ReadonlyArray<string | undefined>) => ReadonlyArray<string | undefined>;

const custom = new Map<string, GradientRule>();

/** The key of an op in rule tables: its type, prefixed by `domain:` outside ONNX's default domain. */
export const ruleKey = (type: string, domain: string) => (domain === '' ? type : `${domain}:${type}`);

/**
 * Registers the gradient rule of an op (domain '' is ONNX's default domain),
 * e.g. for an op a third-party architecture emits; it takes precedence over a
 * built-in rule of the same op.
 */
export function registerGradient(type: string, rule: GradientRule, domain = ''): void {
  custom.set(ruleKey(type, domain), rule);
}

/** A rule registered with `registerGradient`. */
export function registeredGradient(type: string, domain: string): GradientRule | undefined {
  return custom.get(ruleKey(type, domain));
}

/** Ops whose outputs never carry a gradient (shapes, indices, masks, comparisons). */
export const NON_DIFFERENTIABLE = new Set([
  'Shape',
  'Size',
  'Range',
  'Equal',
  'Less',
  'LessOrEqual',
  'Greater',
  'GreaterOrEqual',
  'And',
  'Or',
  'Xor',
  'Not',
  'NonZero',
  'ArgMax',
  'ArgMin',
  'OneHot',
  'Mod',
  'Floor',
  'Ceil',
  'Round',
  'Sign',
  'BitShift',
  'BitwiseAnd',
  'BitwiseOr',
  'BitwiseXor',
  'BitwiseNot',
  'ConstantOfShape',
  'RandomUniformLike',
  'RandomNormalLike',
]);

export const FLOAT_TYPES = new Set(['float32', 'float64', 'float16']);

const ONNX_TYPE = { float32: TensorProto_DataType.FLOAT, float64: TensorProto_DataType.DOUBLE } as const;

/** The `value` attribute of a `ConstantOfShape` producing zeros of a float type. */
export function zeroTensorAttr(type: 'float32' | 'float64') {
  const bytes = new Uint8Array(type === 'float64' ? 8 : 4);
  return { tensor: create(TensorProtoSchema, { dataType: ONNX_TYPE[type], dims: [1n], rawData: bytes }) };
}
