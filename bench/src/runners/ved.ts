/**
 * The ved runner: `VisionEncoderDecoderModel.fromPretrained` on the
 * checkpoint directory (safetensors, graphs built in TypeScript) and
 * `generate` from @ved/generation, on onnxruntime-node.
 */
import * as ort from 'onnxruntime-node';
import {
  DirectoryFiles,
  VisionEncoderDecoderModel,
  generate,
  modelGenerationConfig,
  nodeRuntime,
  type GenerationOptions,
  type LoadOptions,
  type PixelBatch,
} from '@ved/backend-node';
import type { RunResult, TaskName, TaskResult } from '../protocol.js';
import { log, maxAbsDiff, peakRssMb, readFloats, readPixels, rssMb, runChild, timeTask, writeFloats } from './harness.js';

await runChild(async (req) => {
  const pixels = readPixels(req);
  const rssBeforeLoadMb = rssMb();
  const options: LoadOptions = {
    sessionOptions: { intraOpNumThreads: req.threads, interOpNumThreads: 1 },
    dtype: req.dtype,
  };
  const t0 = performance.now();
  const model = await VisionEncoderDecoderModel.fromPretrained(new DirectoryFiles(req.modelDir), nodeRuntime, options);
  const loadMs = performance.now() - t0;
  const rssAfterLoadMb = rssMb();
  log(req, `loaded in ${loadMs.toFixed(0)} ms, RSS ${rssAfterLoadMb.toFixed(0)} MiB`);
  const result: RunResult = {
    runtime: 'ved',
    model: req.model,
    dtype: req.dtype,
    threads: req.threads,
    version: `ved (onnxruntime-node ${ort.env.versions.node ?? ort.env.versions.common})`,
    loadMs,
    rssBeforeLoadMb,
    rssAfterLoadMb,
    tasks: {},
    notes: [],
  };

  if (req.referenceInputIds && req.logitsOut) {
    const ids = req.referenceInputIds;
    const logitsOut = req.logitsOut;
    // In a function of its own: a variable of this async callback would keep the logits ([8, 21, vocab]
    // floats, 34 MB on GPT-2) referenced through every task below, and in the peak RSS.
    const identical = await (async () => {
      const logits = await model.logits(pixels.take(ids.length), ids);
      writeFloats(logitsOut, logits.data);
      result.logits = { file: logitsOut, shape: [logits.rows, logits.positions, logits.vocab] };
      return req.fp32Logits !== undefined && maxAbsDiff(logits.data, readFloats(req.fp32Logits)) === 0;
    })();
    if (identical) {
      // Quantized weights always move the logits: identical ones mean the option was not applied.
      const why = `ved ignored dtype '${req.dtype}' (its logits are identical to fp32's)`;
      for (const t of req.tasks) result.tasks[t] = { timesMs: [], skipped: why };
      result.peakRssMb = peakRssMb();
      await model.dispose();
      return result;
    }
  }

  const generationConfig = modelGenerationConfig(model.config.raw, model.generationConfigJson);
  const forced: GenerationOptions = { maxNewTokens: req.newTokens, minNewTokens: req.newTokens, doSample: false };
  const one: PixelBatch = pixels.take(1);
  const batch: PixelBatch = pixels.take(req.batchSize);
  const run = async (pixelValues: PixelBatch, extra: GenerationOptions) =>
    (await generate(model, { pixelValues, modelGenerationConfig: generationConfig }, { ...forced, ...extra })).sequences;
  const tasks: Record<TaskName, () => Promise<TaskResult>> = {
    encoder: () => timeTask(req, 'encoder', req.encoderRuns, async () => void (await model.encode(one))),
    greedy: () => timeTask(req, 'greedy', req.runs, () => run(one, { numBeams: 1 })),
    beam: () => timeTask(req, 'beam', req.runs, () => run(one, { numBeams: req.numBeams })),
    batch: () => timeTask(req, 'batch', req.runs, () => run(batch, { numBeams: 1 })),
  };
  for (const name of req.tasks) result.tasks[name] = await tasks[name]();
  result.peakRssMb = peakRssMb();
  await model.dispose();
  return result;
});
