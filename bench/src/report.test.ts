import { describe, expect, it } from 'vitest';
import type { RunResult } from './protocol.js';
import { renderReport, targets, type BenchReport, type ModelReport } from './report.js';
import { modelShape } from './work.js';

const seq = (ids: number[]) => [50256, ...ids];
const greedyIds = [seq([1, 2, 3])];

function run(runtime: RunResult['runtime'], dtype: RunResult['dtype'], scale: number, extra: Partial<RunResult> = {}): RunResult {
  return {
    runtime,
    model: 'vit-gpt2',
    dtype,
    threads: 2,
    version: runtime,
    loadMs: 1000 * scale,
    peakRssMb: 1000 * scale,
    tasks: {
      encoder: { timesMs: [100 * scale, 110 * scale, 90 * scale] },
      greedy: { timesMs: [1000 * scale], sequences: greedyIds },
      beam: runtime === 'transformers.js' ? { timesMs: [], skipped: 'no beam search' } : { timesMs: [2000 * scale], sequences: greedyIds },
      batch: { timesMs: [4000 * scale], sequences: [seq([1, 2, 3]), seq([4, 5, 6])] },
    },
    ...extra,
  };
}

const model: ModelReport = {
  model: 'vit-gpt2',
  description: 'test',
  shape: modelShape({
    encoder: { model_type: 'vit', image_size: 224, patch_size: 16, hidden_size: 768, num_hidden_layers: 12, intermediate_size: 3072 },
    decoder: { model_type: 'gpt2', n_embd: 768, n_layer: 12, vocab_size: 50257 },
  }),
  parameters: 239e6,
  weightBytes: 956835520,
  greedyMargin: 5e-4,
  floatNoise: { maxAbsLogit: 7.71, eagerVsDefault: 5.36e-6 },
  results: [
    run('ved', 'fp32', 0.5),
    run('ved', 'q8', 0.25, { tasks: { ...run('ved', 'q8', 0.25).tasks, batch: { timesMs: [1000], sequences: [seq([1, 2, 3]), seq([4, 0, 6])] } } }),
    run('ved', 'q4', 1, { tasks: { encoder: { timesMs: [], skipped: "ved ignored dtype 'q4'" }, greedy: { timesMs: [], skipped: "ved ignored dtype 'q4'" } } }),
    run('transformers.js', 'fp32', 1, { tasks: { ...run('transformers.js', 'fp32', 1).tasks, greedy: { timesMs: [1000], sequences: [seq([1, 2])] } } }),
    run('pytorch', 'fp32', 1, { loadAverage: 3.25 }),
  ],
  logitDiffs: { 'ved fp32 vs PyTorch': 3e-5, 'ved q8 vs ved fp32': 0.25 },
  skipped: {},
};

const report: BenchReport = {
  date: '2030-01-01',
  machine: { cpu: 'Test CPU', cores: 2, memoryGb: 24, node: '20.20.2', platform: 'linux-x64', loadStart: 0.1, loadEnd: 3 },
  settings: { threads: 2, warmup: 1, runs: 3, encoderRuns: 3, newTokens: 3, numBeams: 4, batchSize: 2 },
  rates: { gflops: 200, gbps: 16, matmulSize: 1024, streamMb: 198 },
  models: [model],
  durationS: 60,
};

describe('renderReport', () => {
  const md = renderReport(report);

  it('has a speed row per task with median (min–max), ratios and floor', () => {
    expect(md).toContain('| encoder, 1 image (ms) | 50.0 (45.0–55.0) | 100 (90.0–110) | 100 (90.0–110) | 0.50× | 0.50× |');
    expect(md).toContain('| greedy, 1 image × 3 tokens (ms) | 500 | 1000 | 1000 | 0.50× | 0.50× |');
    expect(md).toMatch(/\| beam 4, 1 image × 3 tokens \(ms\) \| 1000 \| n\/a \| 2000 \| 0\.50× \| — \|/);
    expect(md).toContain('| peak RSS (MiB) | 500 | 1000 | 1000 | 0.50× | 0.50× | weights 913 |');
  });

  it('says the machine was busy', () => {
    expect(md).toContain('the machine was busy');
  });

  it('compares the generated ids, so doing less does not pass', () => {
    expect(md).toContain('| greedy, 1 image × 3 tokens | 100% (1/1 rows) | 66.7% (0/1 rows) | 66.7% (0/1 rows) |');
    expect(md).toContain('transformers.js fp32 greedy: rows 0 have 3 ids instead of 4');
  });

  it('lists the dtypes against fp32, and a dtype ved did not apply', () => {
    expect(md).toMatch(/\| q8 \| 228 \| 250 \| .*\| 83\.3% \(1\/2 rows\) \| 0\.250 \|/);
    expect(md).toMatch(/\| q4 \| 143 \| n\/a: ved ignored dtype 'q4'/);
  });

  it('prints the logit differences and notes', () => {
    expect(md).toContain('ved fp32 vs PyTorch: 3.00e-5');
    expect(md).toContain('transformers.js beam: n/a: no beam search');
    expect(md).toContain('- load average when each run started: pytorch fp32 3.3');
    expect(md).toContain("for scale: the largest |logit| is 7.71; PyTorch's own eager and default attention differ by up to 5.36e-6");
  });
});

describe('targets', () => {
  it('computes the issue\'s ratios', () => {
    const t = Object.fromEntries(targets(model, report).map((x) => [x.what, x.measured]));
    expect(t['fp32 greedy, 1 image: ved / PyTorch']).toBeCloseTo(0.5);
    expect(t['fp32 beam 4: ved / PyTorch']).toBeCloseTo(0.5);
    expect(t["fp32 batch of 2: ved throughput / PyTorch's"]).toBeCloseTo(2);
    expect(t['q8 greedy: ved q8 / PyTorch fp32']).toBeCloseTo(0.25);
    expect(t['peak RSS / weight bytes, ved q4']).toBeUndefined();
  });
});
