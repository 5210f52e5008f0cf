/**
 * The load runner of the checkpoint-format comparison (see load-formats.ts):
 * one `VisionEncoderDecoderModel.fromPretrained` on a directory, in a fresh
 * process so that its peak RSS is the load's own, then the first-step logits
 * of one image (to check both formats give the same model).
 * `node dist/runners/load.js <request.json>`.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { DirectoryFiles, VisionEncoderDecoderModel, nodeRuntime } from '@ved/backend-node';
import { peakRssMb, rssMb, writeFloats } from './harness.js';

export interface LoadRequest {
  modelDir: string;
  threads: number;
  pixelValuesFile: string;
  /** [c, h, w] of one image. */
  imageShape: [number, number, number];
  decoderStartTokenId: number;
  logitsOut: string;
  resultFile: string;
}

export interface LoadResult {
  loadMs: number;
  rssBeforeLoadMb: number;
  rssAfterLoadMb: number;
  /** VmHWM right after the load (before running anything). */
  peakRssAfterLoadMb: number;
  error?: string;
}

const req = JSON.parse(readFileSync(process.argv[2]!, 'utf8')) as LoadRequest;
try {
  const rssBeforeLoadMb = rssMb();
  const t0 = performance.now();
  const model = await VisionEncoderDecoderModel.fromPretrained(new DirectoryFiles(req.modelDir), nodeRuntime, {
    sessionOptions: { intraOpNumThreads: req.threads, interOpNumThreads: 1 },
  });
  const loadMs = performance.now() - t0;
  const result: LoadResult = { loadMs, rssBeforeLoadMb, rssAfterLoadMb: rssMb(), peakRssAfterLoadMb: peakRssMb() };
  const [c, h, w] = req.imageShape;
  const buf = readFileSync(req.pixelValuesFile);
  const image = new Float32Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + c * h * w * 4));
  const logits = await model.logits({ data: image, dims: [1, c, h, w] }, [[req.decoderStartTokenId]]);
  writeFloats(req.logitsOut, logits.data);
  await model.dispose();
  writeFileSync(req.resultFile, JSON.stringify(result));
} catch (e) {
  writeFileSync(req.resultFile, JSON.stringify({ loadMs: 0, rssBeforeLoadMb: 0, rssAfterLoadMb: 0, peakRssAfterLoadMb: 0, error: e instanceof Error ? `${e.name}: ${e.message}` : String(e) }));
}
