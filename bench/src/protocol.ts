/**
 * What the bench's parent process asks a runner child for, and what the child
 * answers. Each runtime runs in its own child process (so its peak RSS is its
 * own); the request travels as a JSON file, the result comes back as one.
 * `bench/torch_runner.py` speaks the same protocol.
 */

export const RUNTIMES = ['ved', 'transformers.js', 'pytorch'] as const;
export type RuntimeName = (typeof RUNTIMES)[number];

export const DTYPES = ['fp32', 'fp16', 'q8', 'q4'] as const;
export type Dtype = (typeof DTYPES)[number];

/** encoder: one image through the encoder; greedy: one image, `newTokens` forced; beam: one image,
 * `numBeams` beams; batch: `batchSize` images greedy; logits: teacher-forced logits on the
 * reference sequences (fidelity, not timed). */
export const TASKS = ['encoder', 'greedy', 'beam', 'batch'] as const;
export type TaskName = (typeof TASKS)[number];

export interface RunRequest {
  runtime: RuntimeName;
  /** Model name (a directory under the cache, e.g. `vit-gpt2`). */
  model: string;
  modelDir: string;
  dtype: Dtype;
  /** Intra-op threads (inter-op: 1). */
  threads: number;
  warmup: number;
  runs: number;
  encoderRuns: number;
  newTokens: number;
  numBeams: number;
  batchSize: number;
  tasks: TaskName[];
  /** `<modelDir>/inputs/pixel_values.bin`: float32 [images, 3, H, W]. */
  pixelValuesFile: string;
  pixelShape: [number, number, number, number];
  /** Teacher-forced decoder inputs [rows][T] for the fidelity logits (rows = images 0..rows-1). */
  referenceInputIds?: number[][];
  /** Where to write the teacher-forced logits (float32 [rows, T, vocab]) when `referenceInputIds` is set. */
  logitsOut?: string;
  /** ved, dtype other than fp32: the fp32 logits file, to tell whether the dtype changed anything. */
  fp32Logits?: string;
  /** Where the child writes its `RunResult`. */
  resultFile: string;
}

export interface TaskResult {
  /** Wall-clock milliseconds of each measured run (after warm-up). */
  timesMs: number[];
  /** Generated sequences of the last run (start token first), for generation tasks. */
  sequences?: number[][];
  /** Why the task has no measurement (unsupported, failed). */
  skipped?: string;
}

export interface RunResult {
  runtime: RuntimeName;
  model: string;
  dtype: Dtype;
  threads: number;
  /** Runtime and version, e.g. `onnxruntime-node 1.30.0`. */
  version: string;
  loadMs?: number;
  rssBeforeLoadMb?: number;
  rssAfterLoadMb?: number;
  peakRssMb?: number;
  tasks: Partial<Record<TaskName, TaskResult>>;
  logits?: { file: string; shape: [number, number, number] };
  /** Notes the report prints (e.g. the attention implementation). */
  notes?: string[];
  /** The machine's 1-minute load average when the run started (set by the parent). */
  loadAverage?: number;
  /** Set when the run as a whole failed (load error, crash). */
  error?: string;
}
