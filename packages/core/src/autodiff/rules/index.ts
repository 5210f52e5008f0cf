/** Every built-in gradient rule, by op (one file per concept). */
import type { GradientRule } from '../gradient-rule.js';
import { elementwiseGradients } from './elementwise.js';
import { unaryMathGradients } from './unary-math.js';
import { activationsGradients } from './activations.js';
import { whereGradients } from './where.js';
import { softmaxGradients } from './softmax.js';
import { layerNormGradients } from './layer-norm.js';
import { matmulGradients } from './matmul.js';
import { reshapeGradients } from './reshape.js';
import { concatSplitGradients } from './concat-split.js';
import { slicePadGradients } from './slice-pad.js';
import { gatherGradients } from './gather.js';
import { expandGradients } from './expand.js';
import { reduceGradients } from './reduce.js';
import { cumsumGradients } from './cumsum.js';
import { convGradients } from './conv.js';
import { resizeGradients } from './resize.js';
import { crossEntropyGradients } from './cross-entropy.js';

export const BUILTIN_GRADIENTS: Readonly<Record<string, GradientRule>> = {
  ...elementwiseGradients,
  ...unaryMathGradients,
  ...activationsGradients,
  ...whereGradients,
  ...softmaxGradients,
  ...layerNormGradients,
  ...matmulGradients,
  ...reshapeGradients,
  ...concatSplitGradients,
  ...slicePadGradients,
  ...gatherGradients,
  ...expandGradients,
  ...reduceGradients,
  ...cumsumGradients,
  ...convGradients,
  ...resizeGradients,
  ...crossEntropyGradients,
};
