/**
 * The ved training runner: `TrainingSession` (@ved/core, the training graph
 * on onnxruntime-node) for forward and backward, `AdamW.stepParallel`
 * (@ved/training, in place over float32 arrays, half of the tensors on a
 * second thread as `ved train` does) for the update — one full
 * update per run, dropout off (PyTorch's runner uses eval-mode dropout too).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import * as ort from 'onnxruntime-node';
import { AdamW, DirectoryFiles, TrainingSession, VisionEncoderDecoderModel, createParallelUpdates, nodeRuntime } from '@ved/backend-node';
import { peakRssMb, rssMb } from './harness.js';
import type { TrainRequest, TrainResult } from './train-protocol.js';

const req = JSON.parse(readFileSync(process.argv[2]!, 'utf8')) as TrainRequest;
const log = (m: string) => process.stderr.write(`  [ved train ${req.model}] ${m}\n`);
const result: TrainResult = { runtime: 'ved', model: req.model, version: `ved (onnxruntime-node ${ort.env.versions.node ?? ort.env.versions.common})`, timesMs: [], losses: [] };
try {
  const buf = readFileSync(req.pixelValuesFile);
  const all = new Float32Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength));
  const [n, c, h, w] = req.pixelShape;
  const per = c * h * w;
  const data = new Float32Array(req.batchSize * per);
  for (let i = 0; i < req.batchSize; i++) data.set(all.subarray((i % n) * per, ((i % n) + 1) * per), i * per);
  const pixelValues = { data, dims: [req.batchSize, c, h, w] as [number, number, number, number] };

  const sessionOptions = { intraOpNumThreads: req.threads, interOpNumThreads: 1 };
  const model = await VisionEncoderDecoderModel.fromPretrained(new DirectoryFiles(req.modelDir), nodeRuntime, { sessionOptions });
  const trainingOptions = { ...sessionOptions, ...(req.memPattern ? { enableMemPattern: true } : {}), ...(req.noArena ? { enableCpuMemArena: false } : {}) };
  const session = await TrainingSession.create(model, nodeRuntime, { dropout: false, sessionOptions: trainingOptions });
  // The inference graphs are not needed for training: release them, as PyTorch holds one copy of the weights.
  await model.dispose();
  result.rssAfterLoadMb = rssMb();
  log(`training graph ready, ${session.parameters.size} trained tensors, RSS ${result.rssAfterLoadMb.toFixed(0)} MiB`);
  const optimizer = new AdamW({ weightDecay: 0 });
  // As `ved train`: half of AdamW's update on the other core.
  const parallel = await createParallelUpdates();
  // One update in a function of its own, as the Trainer does: a loop body's variables stay referenced by the
  // suspended async function until they are assigned again, which would keep this update's gradients alive
  // through the next update's run.
  const update = async () => {
    const t0 = performance.now();
    const { loss, grads } = await session.step({ pixelValues, labels: req.labels });
    const t1 = performance.now();
    // As the Trainer: clipping measured on both threads and applied as the update reads each gradient.
    const norm = await optimizer.stepParallel(parallel, session.parameters, grads, req.learningRate, { maxGradNorm: req.maxGradNorm });
    return { loss, norm, t0, t1 };
  };
  for (let i = 0; i < req.warmup + req.runs; i++) {
    // As `ved train --no-memory-arena`: the previous update's gradients freed before this run.
    if (req.noArena) (globalThis as { gc?: () => void }).gc?.();
    const { loss, norm, t0, t1 } = await update();
    const dt = performance.now() - t0;
    result.losses.push(loss);
    (result.rssAfterUpdateMb ??= []).push(rssMb());
    if (i === 0) result.firstGradNorm = norm;
    if (i >= req.warmup) result.timesMs.push(dt);
    log(`update ${i + 1}: ${dt.toFixed(0)} ms (graph ${(t1 - t0).toFixed(0)}, clipping + AdamW ${(performance.now() - t1).toFixed(0)}), loss ${loss.toFixed(5)}`);
  }
  result.peakRssMb = peakRssMb();
  await parallel.close();
  await session.dispose();
} catch (e) {
  result.error = e instanceof Error ? `${e.name}: ${e.message}`.split('\n')[0] : String(e);
  log(`failed: ${result.error}`);
}
writeFileSync(req.resultFile, JSON.stringify(result));
