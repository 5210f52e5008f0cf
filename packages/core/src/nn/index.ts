export { BuildContext, transpose2d, WEIGHT_DTYPES, type WeightDtype } from './context.js';
export { quantizedMatMul, quantizeQ8, quantizeQ4, Q4_BLOCK_SIZE, MIN_QUANTIZED_ELEMENTS } from './quantize.js';
export { linear, conv1d, lmHead, layerNorm, activation, ACTIVATIONS } from './layers.js';
export { splitHeads, mergeHeads, scaledDotProductAttention, causalMask, appendToCache, MASK_VALUE } from './attention.js';
export type { AttentionOptions } from './attention.js';
export { sequentialPositionIds, paddingAwarePositionIds, embeddingInit } from './embeddings.js';
export { bertDecoderLayer, bertCrossKeyValues, type BertLayerDims } from './bert-layer.js';
export { vitEmbeddings, vitLayer, patchGrid, type ViTEmbeddingDims, type ViTLayerDims } from './vit-blocks.js';
export { bartDecoderLayer, type BartLayerDims } from './bart-layer.js';
