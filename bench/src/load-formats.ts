/**
 * The checkpoint-format section of `pnpm bench`: loading ViT-B/16 + GPT-2
 * from `pytorch_model.bin` against the same weights as `model.safetensors`
 * (bench/make_bin.py writes the copy), each load in a fresh child process,
 * the two formats alternating, so that times share the machine's moments
 * and each peak RSS is the load's own. Target (issue 15): the `.bin` load
 * takes ≤ 1.2× the safetensors load, with no higher peak RSS.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import type { LoadRequest, LoadResult } from './runners/load.js';
import { maxAbsDiff, readFloats } from './runners/harness.js';
import { median as medianOrUndefined } from './stats.js';

const median = (values: number[]) => medianOrUndefined(values) ?? Number.NaN;

export interface LoadFormatsReport {
  model: string;
  runs: number;
  loadAverages: number[];
  safetensors: LoadResult[];
  bin: LoadResult[];
  binBytes: number;
  safetensorsBytes: number;
  /** First-step logits of the two formats, max |diff| (0 expected: same weights). */
  logitsMaxAbsDiff?: number;
  error?: string;
}

function child(benchDir: string, request: LoadRequest, work: string, tag: string): Promise<LoadResult> {
  const requestFile = join(work, `load-${tag}-request.json`);
  writeFileSync(requestFile, JSON.stringify(request));
  return new Promise((done) => {
    const p = spawn(process.execPath, [join(benchDir, 'dist', 'runners', 'load.js'), requestFile], { stdio: ['ignore', 'inherit', 'inherit'] });
    p.on('exit', (code) => {
      if (existsSync(request.resultFile)) done(JSON.parse(readFileSync(request.resultFile, 'utf8')) as LoadResult);
      else done({ loadMs: 0, rssBeforeLoadMb: 0, rssAfterLoadMb: 0, peakRssAfterLoadMb: 0, error: `load runner exited (${code}) without a result` });
    });
  });
}

/** Makes `<cache>/<model>-bin` with bench/make_bin.py when missing; false when it cannot. */
function ensureBin(benchDir: string, cacheDir: string, model: string, python: string | undefined, say: (m: string) => void): boolean {
  const binDir = join(cacheDir, `${model}-bin`);
  const fresh = existsSync(join(binDir, 'pytorch_model.bin'));
  if (fresh) return true;
  if (python === undefined) {
    say(`Checkpoint formats skipped: ${binDir} is missing and no Python is there to make it (bench/make_bin.py).`);
    return false;
  }
  say(`Writing ${binDir} (bench/make_bin.py: the same weights as pytorch_model.bin)…`);
  const r = spawnSync(python, [join(benchDir, 'make_bin.py'), '--out', cacheDir, '--models', model], { stdio: 'inherit' });
  return r.status === 0;
}

export async function benchLoadFormats(options: {
  benchDir: string;
  cacheDir: string;
  model: string;
  runs: number;
  threads: number;
  python: string | undefined;
  work: string;
  say: (message: string) => void;
}): Promise<LoadFormatsReport | undefined> {
  const { benchDir, cacheDir, model, runs, threads, python, work, say } = options;
  if (!ensureBin(benchDir, cacheDir, model, python, say)) return undefined;
  const dirs = { safetensors: join(cacheDir, model), bin: join(cacheDir, `${model}-bin`) };
  const manifest = JSON.parse(readFileSync(join(dirs.safetensors, 'manifest.json'), 'utf8')) as {
    inputs: { file: string; shape: [number, number, number, number] };
    specials: { start: number };
  };
  const report: LoadFormatsReport = {
    model,
    runs,
    loadAverages: [],
    safetensors: [],
    bin: [],
    binBytes: statSync(join(dirs.bin, 'pytorch_model.bin')).size,
    safetensorsBytes: statSync(join(dirs.safetensors, 'model.safetensors')).size,
  };
  for (let run = 0; run < runs; run++) {
    // Alternate which goes first, so a trend in the machine's load hits both alike.
    const order = run % 2 === 0 ? (['safetensors', 'bin'] as const) : (['bin', 'safetensors'] as const);
    for (const format of order) {
      const load = loadavg()[0]!;
      report.loadAverages.push(load);
      say(`${model}: load from ${format} (run ${run + 1}/${runs}, load average ${load.toFixed(2)})`);
      const result = await child(
        benchDir,
        {
          modelDir: dirs[format],
          threads,
          pixelValuesFile: join(dirs.safetensors, manifest.inputs.file),
          imageShape: manifest.inputs.shape.slice(1) as [number, number, number],
          decoderStartTokenId: manifest.specials.start,
          logitsOut: join(work, `load-${format}.f32`),
          resultFile: join(work, `load-${format}-${run}.json`),
        },
        work,
        `${format}-${run}`,
      );
      if (result.error !== undefined) report.error = `${format}: ${result.error}`;
      report[format].push(result);
    }
  }
  const a = join(work, 'load-safetensors.f32');
  const b = join(work, 'load-bin.f32');
  if (existsSync(a) && existsSync(b)) report.logitsMaxAbsDiff = maxAbsDiff(readFloats(a), readFloats(b));
  return report;
}

const fmt = (values: number[], digits = 0) => {
  const sorted = [...values].sort((x, y) => x - y);
  return `${median(values).toFixed(digits)} (${sorted[0]!.toFixed(digits)}–${sorted[sorted.length - 1]!.toFixed(digits)})`;
};

/** The report's markdown section. */
export function renderLoadFormats(r: LoadFormatsReport): string {
  const lines = [`## Checkpoint formats: loading ${r.model} from pytorch_model.bin vs model.safetensors`, ''];
  if (r.error !== undefined) return [...lines, `Failed: ${r.error}`, ''].join('\n');
  const time = (x: LoadResult[]) => x.map((l) => l.loadMs);
  const peak = (x: LoadResult[]) => x.map((l) => l.peakRssAfterLoadMb);
  const ratio = median(time(r.bin)) / median(time(r.safetensors));
  const rss = median(peak(r.bin)) / median(peak(r.safetensors));
  lines.push(
    `${r.runs} loads of each, alternating, each in a fresh process (median, min–max); load average ${Math.min(...r.loadAverages).toFixed(2)}–${Math.max(...r.loadAverages).toFixed(2)}.`,
    '',
    '| file | bytes | load ms | RSS after load MiB | peak RSS MiB |',
    '|---|---|---|---|---|',
    `| model.safetensors | ${(r.safetensorsBytes / 1e6).toFixed(0)} MB | ${fmt(time(r.safetensors))} | ${fmt(r.safetensors.map((l) => l.rssAfterLoadMb))} | ${fmt(peak(r.safetensors))} |`,
    `| pytorch_model.bin | ${(r.binBytes / 1e6).toFixed(0)} MB | ${fmt(time(r.bin))} | ${fmt(r.bin.map((l) => l.rssAfterLoadMb))} | ${fmt(peak(r.bin))} |`,
    '',
    `- .bin / safetensors load time: **${ratio.toFixed(2)}×** (target ≤ 1.2×: ${ratio <= 1.2 ? 'met' : 'not met'})`,
    `- .bin / safetensors peak RSS: **${rss.toFixed(3)}×** (target: no higher; ${rss <= 1.0 ? 'met' : `${((rss - 1) * 100).toFixed(1)}% higher`})`,
    ...(r.logitsMaxAbsDiff !== undefined ? [`- first-step logits of the two loads: max |diff| ${r.logitsMaxAbsDiff.toExponential(2)}`] : []),
    '',
  );
  return lines.join('\n');
}
