/** Fine-tuning support in core: the training graph and the session that runs it. */
export { TrainingSession, type TrainingGraphOptions, type TrainingStepResult, type TrainingStepOptions, type TrainingBatch } from './training-session.js';
export { buildTrainingGraph, gradName, type TrainingGraph, type TrainingGraphSpec } from './training-graph.js';
export { HashedDropoutMasks, DROPOUT_KEYS, dropoutSeed } from './dropout-masks.js';
