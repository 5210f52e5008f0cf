/**
 * The transformers.js runner: `AutoModelForVision2Seq.from_pretrained` on the
 * ONNX export in the checkpoint directory (`onnx/encoder_model.onnx`,
 * `onnx/decoder_model_merged.onnx`), fp32 on onnxruntime-node's CPU provider,
 * and its `generate`. It has no beam search (num_beams is silently ignored),
 * so the beam task is reported as not available rather than run.
 */
import { AutoModelForVision2Seq, Tensor, env } from '@huggingface/transformers';
import type { RunResult, TaskName, TaskResult } from '../protocol.js';
import { log, peakRssMb, readPixels, rssMb, runChild, timeTask } from './harness.js';

interface Vision2Seq {
  generate(options: Record<string, unknown>): Promise<unknown>;
  dispose(): Promise<unknown>;
}

/** The encoder alone, as its generate() runs it (`_encode_input` is what transformers.js itself calls). */
interface WithEncoder {
  _encode_input(session: string, inputs: Record<string, unknown>, output: string): Promise<unknown>;
}

function toIds(out: unknown): number[][] {
  const t = out as { tolist(): Array<Array<bigint | number>> };
  return t.tolist().map((row) => row.map(Number));
}

await runChild(async (req) => {
  if (req.dtype !== 'fp32') throw new Error(`this bench exports only fp32 graphs for transformers.js (asked: ${req.dtype})`);
  env.allowRemoteModels = false;
  env.allowLocalModels = true;
  env.useFSCache = false;
  const pixels = readPixels(req);
  const rssBeforeLoadMb = rssMb();
  const t0 = performance.now();
  const model = (await AutoModelForVision2Seq.from_pretrained(req.modelDir, {
    dtype: 'fp32',
    device: 'cpu',
    local_files_only: true,
    session_options: { intraOpNumThreads: req.threads, interOpNumThreads: 1 },
  })) as unknown as Vision2Seq;
  const loadMs = performance.now() - t0;
  const rssAfterLoadMb = rssMb();
  log(req, `loaded in ${loadMs.toFixed(0)} ms, RSS ${rssAfterLoadMb.toFixed(0)} MiB`);

  const tensor = (count: number) => {
    const { data, dims } = pixels.take(count);
    return new Tensor('float32', data, dims);
  };
  const one = tensor(1);
  const batch = tensor(req.batchSize);
  const forced = { max_new_tokens: req.newTokens, min_new_tokens: req.newTokens, do_sample: false, num_beams: 1 };
  const run = async (pixel_values: Tensor) => toIds(await model.generate({ pixel_values, ...forced }));
  const tasks: Record<TaskName, () => Promise<TaskResult>> = {
    encoder: () =>
      timeTask(req, 'encoder', req.encoderRuns, async () => {
        await (model as unknown as WithEncoder)._encode_input('model', { pixel_values: one }, 'last_hidden_state');
        return undefined;
      }),
    greedy: () => timeTask(req, 'greedy', req.runs, () => run(one)),
    beam: async () => ({ timesMs: [], skipped: 'transformers.js 4.3.1 has no beam search (num_beams > 1 falls back to greedy)' }),
    batch: () => timeTask(req, 'batch', req.runs, () => run(batch)),
  };
  const result: RunResult = {
    runtime: 'transformers.js',
    model: req.model,
    dtype: req.dtype,
    threads: req.threads,
    version: `transformers.js ${env.version} (onnxruntime-node)`,
    loadMs,
    rssBeforeLoadMb,
    rssAfterLoadMb,
    tasks: {},
  };
  for (const name of req.tasks) result.tasks[name] = await tasks[name]();
  result.peakRssMb = peakRssMb();
  await model.dispose();
  return result;
});
