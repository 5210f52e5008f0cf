/**
 * @ved/core: contracts, config, ONNX graph builder, nn blocks, safetensors,
 * registry, the composed model and processing. Backend-agnostic: it speaks
 * onnxruntime-common's types and never imports a runtime implementation.
 */
export { VedError, listChoices, shortenLongRuns, MAX_MESSAGE_RUN, type VedErrorCode } from './errors.js';
export { closestName, didYouMean } from './did-you-mean.js';
export { TextScorer, editDistance, levenshtein, scoreTexts, splitWords, type TextScore } from './text-metrics.js';
export * from './config/index.js';
export * from './nn/index.js';
export { GraphBuilder, type Dim, type ElementType, type AttributeValue, type OpOptions, type BuiltModel, type ExternalLocation, type WeightSpill } from './onnx/graph-builder.js';
export { WeightBinder, type WeightSpec, type InitRule } from './weights/weight-binder.js';
export type {
  EncoderPlugin,
  DecoderPlugin,
  EncoderBuildOptions,
  DecoderStepIO,
  DecoderStepOutputs,
  CacheLayout,
  ImageProcessorDefinition,
  PersistentBuffer,
  PromptBehaviour,
} from './contracts.js';
export {
  registerEncoder,
  registerDecoder,
  registerLazy,
  registerImageProcessors,
  getEncoder,
  getDecoder,
  findEncoder,
  findDecoder,
  knownEncoders,
  knownDecoders,
  getImageProcessorDefinition,
  loadImageProcessorDefinition,
  knownImageProcessorNames,
  promptBehaviour,
  sharedRegistry,
  REGISTRY_KEY,
  REGISTRY_VERSION,
  type SharedRegistry,
} from './registry/registry.js';
export * from './safetensors/index.js';
export * from './processing/index.js';
export { nougatPostProcess, nougatPostProcessGeneration, type NougatPostProcessOptions } from './processing/nougat-post-process.js';
export { Tokenizer, type DecodeOptions, type TokenizerSource } from './tokenizer/tokenizer.js';
export { convertSlowTokenizer, SLOW_TOKENIZER_CLASSES, type ConvertedTokenizer } from './tokenizer/slow/convert.js';
export { readJson, readOptionalJson, readText, type ModelFiles } from './io/model-files.js';
export * from './io/http/index.js';
export type { Runtime, TensorType, TensorData, InferenceSession, Tensor, SessionHints, SessionCacheStatus } from './runtime.js';
export { compose, type Composition } from './model/composition.js';
export { buildEncoderGraph, buildDecoderGraph } from './model/graphs.js';
export { loadWeights, SAFETENSORS_FILE, SAFETENSORS_INDEX_FILE } from './model/weights-loader.js';
export * from './checkpoints/index.js';
export { createSession, crossRows, type OrtDecodingSession } from './model/run-graphs.js';
export { VisionEncoderDecoderModel, type LoadOptions, type ForwardInputs, type ForwardOutput } from './model/vision-encoder-decoder-model.js';
export type { LoadTiming, TimingListener } from './model/load-timing.js';
export { composeFromPretrained, type ComposeOptions, type ComposedWeights } from './model/compose-pretrained.js';
export { shiftTokensRight, crossEntropyLoss, IGNORE_INDEX } from './model/loss.js';
export { serializePretrained, configJson, generationConfigJson, generationConfigFromModelConfig, savedTensorNames, partsFile, savedFileSize, type SaveOptions, type SavedFile } from './model/serialize.js';
export { modelWeightSpecs, decoderInitializerRange } from './model/weight-specs.js';
export {
  checkLabels,
  checkStep,
  checkTokenId,
  disposedError,
  isTokenId,
  sequenceTooLong,
  tokenOutOfRange,
  type DecoderLimits,
} from './model/decoder-limits.js';
export { checkModelSize, formatBytes, impliedWeightSize, MAX_LAYERS, MAX_TENSOR_ELEMENTS, type ImpliedSize } from './model/size-check.js';
export { describeUnexpectedWeights, findUnexpectedWeights, reportUnexpectedWeights } from './model/unexpected-weights.js';
export * from './autodiff/index.js';
export * from './training/index.js';
export { SeededRandom } from './random/seeded-random.js';
export { InMemoryTensors, TensorUnion, type Mount } from './weights/in-memory-tensors.js';
export { initializeWeights, fillInit } from './weights/initialize.js';
export type { PixelBatch, EncodedImages, EncodeOptions, StepLogits, StepOptions, DecodingSession, EncoderDecoderLM, RowSource, RowBatchSession } from './model/decoding.js';
export { OrtRowBatchSession, type CrossStates } from './model/row-batch-session.js';
export * from './exports/index.js';
