/** The bench's command line (`pnpm bench [options]`). */
import { availableParallelism } from 'node:os';
import { parseArgs } from 'node:util';
import { DTYPES, RUNTIMES, TASKS, type Dtype, type RuntimeName, type TaskName } from './protocol.js';

export const MODELS = ['vit-gpt2', 'deit-trocr'] as const;

export interface BenchOptions {
  models: string[];
  runtimes: RuntimeName[];
  /** ved's dtypes; fp32 is always run first (the others are judged against it). */
  dtypes: Dtype[];
  tasks: TaskName[];
  threads: number;
  warmup: number;
  runs: number;
  encoderRuns: number;
  newTokens: number;
  numBeams: number;
  batchSize: number;
  cacheDir: string | undefined;
  outDir: string | undefined;
  python: string | undefined;
  write: boolean;
  rebuildModels: boolean;
  /** Loads of ViT-B/16 + GPT-2 from pytorch_model.bin and from model.safetensors each (0: skip). */
  loadFormatRuns: number;
  /** Measured training updates per model and runtime (0: skip the training section). */
  trainRuns: number;
  /** ved's training child with onnxruntime's memory pattern on (ved turns it off by default). */
  trainMemPattern: boolean;
  /** ved's training child with onnxruntime's arena off and glibc's mmap threshold at 128 KiB (`ved train --no-memory-arena`). */
  trainLowMemory: boolean;
  /** ved's training child: under tcmalloc when installed (auto, as \`ved train\`) or with glibc and the arena (system). */
  trainAllocator: 'auto' | 'system';
  /** Only the training section (and the floors it needs): no inference tasks, no load formats. */
  trainingOnly: boolean;
  help: boolean;
}

export const USAGE = `pnpm bench [options]

Runs ved, transformers.js and PyTorch side by side on random-weight models of real size and writes
a markdown table to bench/results/<date>.md (see bench/README.md).

  --models LIST        ${MODELS.join(',')} (default: both)
  --runtimes LIST      ${RUNTIMES.join(',')} (default: all)
  --dtype LIST         ved weight types, from ${DTYPES.join(',')} (default: fp32,q8,q4; a dtype ved
                       does not apply is reported as such)
  --tasks LIST         ${TASKS.join(',')} (default: all)
  --threads N          intra-op threads of every runtime (default: the number of cores)
  --warmup N           unmeasured runs before each task (default 1)
  --runs N             measured runs per generation task (default 3)
  --encoder-runs N     measured runs of the encoder task (default 5)
  --new-tokens N       tokens generated, forced (min = max new tokens; default 20)
  --beams N            beams of the beam task (default 4)
  --batch N            images of the batch task (default 8)
  --cache DIR          models (default bench/.cache; made by bench/make_models.py when missing)
  --out DIR            results (default bench/results)
  --python PATH        Python with torch + transformers (default .venv-ref/bin/python, or
                       $VED_BENCH_PYTHON); without it PyTorch is skipped
  --no-write           print the table only
  --rebuild-models     remake the models even if the cache has them
  --load-format-runs N loads of vit-gpt2 from pytorch_model.bin and from model.safetensors, each in a
                       fresh process (default 3; 0 skips; needs --models vit-gpt2 and --runtimes ved)
  --train-runs N       measured AdamW training updates (batch --batch) per model, ved and PyTorch, after
                       --warmup unmeasured ones (default 2; 0 skips; needs --runtimes ved)
  --train-mem-pattern  ved's training updates with onnxruntime's memory pattern on (ved's default
                       is off: the pattern holds the activations twice)
  --train-allocator A  auto (default): ved's training child runs under tcmalloc with onnxruntime's CPU
                       arena off where tcmalloc is installed, as \`ved train\` does; system: glibc and
                       the arena (\`ved train --allocator system\`)
  --train-low-memory   ved's training updates with onnxruntime's CPU arena off and
                       MALLOC_MMAP_THRESHOLD_=131072 (as \`ved train --no-memory-arena\`)
  --training-only      run only the training section (and the floors); results go to
                       <out>/training-<date>.md and .json
`;

function list<T extends string>(value: string | undefined, allowed: readonly T[], fallback: readonly T[], name: string): T[] {
  if (value === undefined) return [...fallback];
  const items = value.split(',').map((s) => s.trim()).filter(Boolean);
  const bad = items.filter((s) => !allowed.includes(s as T));
  if (bad.length > 0 || items.length === 0) {
    throw new RangeError(`--${name} ${JSON.stringify(value)}: expected a comma-separated list of ${allowed.join(', ')}`);
  }
  return [...new Set(items)] as T[];
}

function int(value: string | undefined, fallback: number, name: string, min: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min) throw new RangeError(`--${name} ${JSON.stringify(value)}: expected an integer ≥ ${min}`);
  return n;
}

function allocatorChoice(value: string | undefined): 'auto' | 'system' {
  if (value === undefined || value === 'auto' || value === 'system') return value ?? 'auto';
  throw new RangeError(`--train-allocator ${JSON.stringify(value)}: expected auto or system`);
}

export function parseBenchArgs(argv: readonly string[]): BenchOptions {
  const { values } = parseArgs({
    args: [...argv],
    strict: true,
    options: {
      models: { type: 'string' },
      runtimes: { type: 'string' },
      dtype: { type: 'string' },
      tasks: { type: 'string' },
      threads: { type: 'string' },
      warmup: { type: 'string' },
      runs: { type: 'string' },
      'encoder-runs': { type: 'string' },
      'new-tokens': { type: 'string' },
      beams: { type: 'string' },
      batch: { type: 'string' },
      cache: { type: 'string' },
      out: { type: 'string' },
      python: { type: 'string' },
      'no-write': { type: 'boolean' },
      'rebuild-models': { type: 'boolean' },
      'load-format-runs': { type: 'string' },
      'train-runs': { type: 'string' },
      'training-only': { type: 'boolean' },
      'train-mem-pattern': { type: 'boolean' },
      'train-low-memory': { type: 'boolean' },
      'train-allocator': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  const dtypes = list(values.dtype, DTYPES, ['fp32', 'q8', 'q4'], 'dtype');
  return {
    models: list(values.models, MODELS, MODELS, 'models'),
    runtimes: list(values.runtimes, RUNTIMES, RUNTIMES, 'runtimes'),
    dtypes: ['fp32', ...dtypes.filter((d) => d !== 'fp32')],
    tasks: list(values.tasks, TASKS, TASKS, 'tasks'),
    threads: int(values.threads, availableParallelism(), 'threads', 1),
    warmup: int(values.warmup, 1, 'warmup', 0),
    runs: int(values.runs, 3, 'runs', 1),
    encoderRuns: int(values['encoder-runs'], 5, 'encoder-runs', 1),
    newTokens: int(values['new-tokens'], 20, 'new-tokens', 1),
    numBeams: int(values.beams, 4, 'beams', 2),
    batchSize: int(values.batch, 8, 'batch', 1),
    cacheDir: values.cache,
    outDir: values.out,
    python: values.python,
    write: values['no-write'] !== true,
    rebuildModels: values['rebuild-models'] === true,
    loadFormatRuns: int(values['load-format-runs'], 3, 'load-format-runs', 0),
    trainRuns: int(values['train-runs'], 2, 'train-runs', 0),
    trainingOnly: values['training-only'] === true,
    trainMemPattern: values['train-mem-pattern'] === true,
    trainLowMemory: values['train-low-memory'] === true,
    trainAllocator: allocatorChoice(values['train-allocator']),
    help: values.help === true,
  };
}
