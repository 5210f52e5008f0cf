/**
 * @ved/training: fine-tuning of ved's `VisionEncoderDecoderModel` with
 * PyTorch's optimizers and HF Trainer's loop — AdamW and SGD as torch.optim,
 * gradient-norm clipping, transformers' learning-rate schedules, gradient
 * accumulation, freezing, evaluation, and checkpoints that resume exactly.
 * Backend-agnostic: the caller supplies the runtime and image decoding.
 */
export { Trainer, type TrainerInit, type TrainerCallbacks, type TrainOptions, type TrainOutput, type StepMetrics, type PredictionOutput, type EvaluateOptions, type PredictOptions } from './trainer.js';
export type { ComputeMetrics, EvalMetrics, EvalPrediction } from './evaluation.js';
export {
  resolveArguments,
  planTraining,
  updateBatches,
  OPTIMIZERS,
  BEST_MODEL_METRICS,
  type BestModelMetric,
  type TrainingArguments,
  type ResolvedArguments,
  type TrainingPlan,
  type OptimizerChoice,
} from './training-arguments.js';
export { TrainingDivergedError } from './errors.js';
export { AdamW, runAdamWJob, type AdamWJob, type AdamWOptions, type AdamWResult, type ParallelUpdates } from './optim/adamw.js';
export { SGD, type SGDOptions } from './optim/sgd.js';
export { Adafactor, type AdafactorOptions } from './optim/adafactor.js';
export type { Optimizer, OptimizerName, OptimizerState } from './optim/optimizer.js';
export { clipCoefficient, clipGradNorm, normFromSums, sumOfSquares, totalGradNorm } from './optim/clip-grad-norm.js';
export { isNoDecayParameter, decayParameterNames } from './optim/decay-parameters.js';
export { LearningRateSchedule, SCHEDULER_TYPES, type SchedulerType, type ScheduleOptions } from './schedule/lr-schedule.js';
export { prepareExamples, type TrainingExample, type TrainingDataset, type PreparedExample } from './data/examples.js';
export { collateLabels, type CollatedLabels } from './data/collate.js';
export { tokenizeTarget } from './data/tokenize-target.js';
export { EpochOrder } from './data/epoch-order.js';
export { LengthGroupedOrder, lengthGroupedIndices } from './data/length-grouped.js';
export { textMetrics, levenshtein, type TextMetrics } from './metrics.js';
export {
  TRAINER_STATE_FILE,
  OPTIMIZER_FILE,
  trainerStateJson,
  parseTrainerState,
  optimizerFile,
  parseOptimizerFile,
  modelFingerprint,
  weightsChecksum,
  BEST_MODEL_FILE,
  type BestModelState,
  type TrainerState,
  type LogEntry,
  type RunIdentity,
} from './checkpoint/trainer-state.js';
export { withFloat32Weights } from './float32-weights.js';
export { defaultSessionFactory, type TrainingSessionLike, type SessionFactory } from './session.js';
