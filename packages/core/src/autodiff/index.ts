/** Reverse-mode differentiation of ved's ONNX graphs (see docs/training.md, "Gradients"). */
export { addGradients, type BackwardOptions } from './backward.js';
export { registerGradient, NON_DIFFERENTIABLE, type GradientRule, type GradientContext } from './gradient-rule.js';
export { ShapeTable, type ValueInfo } from './shape-inference.js';
export { BUILTIN_GRADIENTS } from './rules/index.js';
