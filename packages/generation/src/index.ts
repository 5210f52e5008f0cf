/** @ved/generation: search strategies, logits processors and stopping for encoder-decoder models. */
export { generate, type GenerateInputs, type GenerateOutput } from './generate.js';
export { greedySearch, argmax, type GreedyInputs } from './greedy.js';
export {
  resolveGeneration,
  modelGenerationConfig,
  fromJson as generationOptionsFromJson,
  toJson as generationOptionsToJson,
  GLOBAL_DEFAULTS,
  type GenerationOptions,
  type ResolvedGeneration,
} from './generation-config.js';
