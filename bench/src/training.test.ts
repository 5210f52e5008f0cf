/** The training section's FLOP count and report (no runs). */
import { describe, expect, it } from 'vitest';
import { renderTraining, trainStepFlops, type TrainingReport } from './training.js';
import { decoderStepFlops, encoderFlops, modelShape } from './work.js';

const config = {
  encoder: { model_type: 'vit', image_size: 224, patch_size: 16, hidden_size: 768, num_hidden_layers: 12, intermediate_size: 3072 },
  decoder: { model_type: 'gpt2', n_embd: 768, n_layer: 12, vocab_size: 50257 },
};

describe('training section', () => {
  it('counts an update as 3 × the forward of the encoder and every teacher-forced token', () => {
    const shape = modelShape(config);
    const enc = encoderFlops(shape);
    let dec = 0;
    for (let t = 1; t <= 20; t++) dec += decoderStepFlops(shape, t);
    expect(trainStepFlops(shape, 8, 20)).toBe(3 * 8 * (enc.encoder + enc.crossKv + dec));
    // ViT-B/16 is ~17.6 GFLOP a forward per image: 8 images, forward and backward, are above 400 GFLOP.
    expect(trainStepFlops(shape, 8, 20) / 1e9).toBeGreaterThan(400);
  });

  it('renders the times, images/s, floor, peak RSS, first losses and the targets', () => {
    const report: TrainingReport = {
      model: 'vit-gpt2',
      shape: modelShape(config),
      batchSize: 8,
      tokens: 20,
      runs: 2,
      loadAverage: 1,
      results: [
        { runtime: 'ved', model: 'vit-gpt2', version: 'ved', timesMs: [4000, 4200], losses: [10.5, 10.1, 9.9], peakRssMb: 5000 },
        { runtime: 'pytorch', model: 'vit-gpt2', version: 'torch', timesMs: [5000, 5200], losses: [10.50001, 10.1, 9.9], peakRssMb: 6000 },
      ],
    };
    const md = renderTraining([report], { gflops: 100, gbps: 10 }, 2);
    expect(md).toContain('| update (ms) | 4100 (4000–4200) | 5100 (5000–5200) | 0.80× |');
    expect(md).toContain('| images/s | 1.95 | 1.57 |');
    expect(md).toContain('| peak RSS (MiB) | 5000 | 6000 | 0.83× |');
    expect(md).toContain('|diff| 1.0e-5');
    expect(md).toContain('Targets: update ≤ 1.0× PyTorch: met; peak RSS ≤ PyTorch: met.');
    expect(md).toContain("ved ran with glibc's allocator and onnxruntime's CPU memory arena");
    const tc = renderTraining([{ ...report, tcmalloc: '/usr/lib/libtcmalloc_minimal.so.4' }], { gflops: 100, gbps: 10 }, 2);
    expect(tc).toContain("ved ran under tcmalloc (`LD_PRELOAD=/usr/lib/libtcmalloc_minimal.so.4`) with onnxruntime's CPU memory arena off");
  });
});
