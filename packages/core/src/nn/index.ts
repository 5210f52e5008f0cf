export { BuildContext, transpose2d } from './context.js';
export { linear, conv1d, layerNorm, activation, ACTIVATIONS } from './layers.js';
export { splitHeads, mergeHeads, scaledDotProductAttention, causalMask, appendToCache, MASK_VALUE } from './attention.js';
export type { AttentionOptions } from './attention.js';
