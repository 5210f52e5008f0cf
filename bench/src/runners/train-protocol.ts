/**
 * The training section's request and result (`pnpm bench`): one child per
 * runtime and model measures full AdamW updates on one batch; ved's child is
 * `dist/runners/ved-train.js`, PyTorch's `bench/torch_train_runner.py`.
 */
export interface TrainRequest {
  runtime: 'ved' | 'pytorch';
  model: string;
  modelDir: string;
  threads: number;
  warmup: number;
  runs: number;
  /** `<modelDir>/inputs/pixel_values.bin`: float32 [images, 3, H, W]; the batch is its first `batchSize` images (repeated when fewer). */
  pixelValuesFile: string;
  pixelShape: [number, number, number, number];
  batchSize: number;
  /** Labels [batchSize][T] (no -100: every row has T tokens). */
  labels: number[][];
  learningRate: number;
  maxGradNorm: number;
  /** ved only: onnxruntime's memory pattern on (`sessionOptions.enableMemPattern`; ved turns it off by default). */
  memPattern?: boolean;
  /** ved only: onnxruntime's CPU memory arena off (`sessionOptions.enableCpuMemArena: false`). */
  noArena?: boolean;
  resultFile: string;
}

export interface TrainResult {
  runtime: 'ved' | 'pytorch';
  model: string;
  version: string;
  /** Milliseconds of each measured update (forward, backward, clipping, AdamW). */
  timesMs: number[];
  /** The loss of every update, warm-up included (the first is the same model on the same batch). */
  losses: number[];
  /** Gradient norm of the first update, before clipping. */
  firstGradNorm?: number;
  rssAfterLoadMb?: number;
  /** Resident memory after each update, warm-up included (MiB). */
  rssAfterUpdateMb?: number[];
  peakRssMb?: number;
  notes?: string[];
  error?: string;
}
