/**
 * One ved load in a fresh process for the cold-start bench (cold-start.ts):
 * `VisionEncoderDecoderModel.fromPretrained` with or without the
 * optimized-session cache, its phases (`onTiming`), then the model's first
 * encoder run (which pays any page-ins the load deferred). Prints one JSON line.
 * `node dist/runners/cold-load.js <modelDir> <threads> <cacheDir|none> [noprepack]`
 */
import { DirectoryFiles, VisionEncoderDecoderModel, nodeRuntime, type LoadTiming } from '@ved/backend-node';
import { peakRssMb, rssMb } from './harness.js';

const [modelDir, threadsArg, cacheArg, prepackArg] = process.argv.slice(2) as [string, string, string, string | undefined];
const phases: LoadTiming[] = [];
const t0 = performance.now();
const model = await VisionEncoderDecoderModel.fromPretrained(new DirectoryFiles(modelDir), nodeRuntime, {
  sessionOptions: { intraOpNumThreads: Number(threadsArg), interOpNumThreads: 1 },
  sessionCache: cacheArg === 'none' ? false : cacheArg,
  onTiming: (t) => phases.push(t),
  ...(prepackArg === 'noprepack' ? { prepackWeights: false } : {}),
});
const loadMs = performance.now() - t0;
const rssAfterLoadMb = rssMb();
const [h, w] = model.imageSize;
const pixels = new Float32Array(3 * h * w).map((_, i) => Math.sin(i * 0.01));
const t1 = performance.now();
await model.encode({ dims: [1, 3, h, w], data: pixels });
const firstEncoderMs = performance.now() - t1;
process.stdout.write(`${JSON.stringify({ loadMs, phases, rssAfterLoadMb, firstEncoderMs, peakRssMb: peakRssMb() })}\n`);
await model.dispose();
