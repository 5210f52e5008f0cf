/**
 * One part of `pnpm bench:soak`, run in its own process by soak.ts
 * (`node --expose-gc dist/soak-child.js <part> <options JSON>`); prints its
 * `SoakPart` as JSON on stdout.
 */
import { readdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ImageToText, checkManifest, readImageFile } from '@ved/backend-node';
import type { SoakOptions } from './soak.js';
import { flatness, percentile, type MemorySample, type SoakPart } from './soak-report.js';

const MB = 1 << 20;
/** The embedded default model (packages/default-model), by path: the bench does not depend on that package. */
const defaultModelDir = resolve(dirname(fileURLToPath(import.meta.url)), '../../packages/default-model/model');

const gc = (globalThis as { gc?: () => void }).gc ?? (() => {});

function memory(done: number, start: number): MemorySample {
  gc();
  const m = process.memoryUsage();
  return { done, seconds: (performance.now() - start) / 1000, rssMB: m.rss / MB, heapMB: m.heapUsed / MB, externalMB: (m.external + m.arrayBuffers) / MB };
}

const peakRssMB = () => (process.resourceUsage().maxRSS * 1024) / MB;

/** 10 000 generations by 8 callers sharing one model; each output must equal the image's sequential reading. */
async function generate(options: SoakOptions): Promise<SoakPart> {
  const heldout = join(defaultModelDir, '..', 'examples', 'heldout');
  const images = readdirSync(heldout)
    .filter((f) => f.endsWith('.png'))
    .sort()
    .map((f) => join(heldout, f));
  const pipe = await ImageToText.fromPretrained(defaultModelDir);
  const reference: string[] = [];
  for (const image of images) reference.push((await pipe.generate([image])).texts[0]!);
  const start = performance.now();
  const samples: MemorySample[] = [memory(0, start)];
  const every = Math.max(1, Math.floor(options.generations / 40));
  const latencies: number[] = [];
  let next = 0;
  let done = 0;
  let mismatches = 0;
  const caller = async () => {
    while (next < options.generations) {
      const i = next++;
      const t0 = performance.now();
      const { texts } = await pipe.generate([images[i % images.length]!]);
      latencies.push(performance.now() - t0);
      if (texts[0] !== reference[i % images.length]) mismatches++;
      done++;
      if (done % every === 0) samples.push(memory(done, start));
    }
  };
  await Promise.all(Array.from({ length: options.callers }, caller));
  const seconds = (performance.now() - start) / 1000;
  await pipe.dispose();
  const flat = flatness(samples);
  const ok = mismatches === 0 && flat.growthMB < 32;
  return {
    name: 'generate',
    ok,
    summary:
      `${options.generations} generations, ${options.callers} concurrent callers on one model (default model, ${images.length} held-out images): ` +
      `${mismatches} outputs differ from the sequential reading; RSS ${flat.firstMB.toFixed(0)} → ${flat.lastMB.toFixed(0)} MB after warm-up ` +
      `(least-squares growth over the last 3/4: ${flat.growthMB.toFixed(1)} MB), heap ${flat.firstHeapMB.toFixed(1)} → ${flat.lastHeapMB.toFixed(1)} MB; ` +
      `${(options.generations / seconds).toFixed(1)} generations/s, latency p50 ${percentile(latencies, 0.5).toFixed(1)} ms, p95 ${percentile(latencies, 0.95).toFixed(1)} ms`,
    figures: {
      generations: options.generations,
      callers: options.callers,
      mismatches,
      seconds,
      generationsPerSecond: options.generations / seconds,
      latencyP50Ms: percentile(latencies, 0.5),
      latencyP95Ms: percentile(latencies, 0.95),
      ...flat,
      peakRssMB: peakRssMB(),
    },
    samples,
  };
}

/** `ved eval`'s manifest check (checkManifest) over the manifest soak.ts wrote. */
async function manifest(options: SoakOptions): Promise<SoakPart> {
  const before = memory(0, performance.now());
  const start = performance.now();
  const count = await checkManifest(options.manifestPath!);
  const seconds = (performance.now() - start) / 1000;
  const peak = peakRssMB();
  return {
    name: 'manifest',
    ok: count === options.manifestLines,
    summary: `checkManifest on ${options.manifestLines} lines: ${seconds.toFixed(1)} s, peak RSS ${peak.toFixed(0)} MB (${before.rssMB.toFixed(0)} MB before)`,
    figures: { lines: options.manifestLines, seconds, peakRssMB: peak, rssBeforeMB: before.rssMB },
  };
}

/** A batch of large PNGs (written by soak.ts) through the pipeline's preprocess: one image at a time, or all decoded at once as before. */
async function images(options: SoakOptions, allAtOnce: boolean): Promise<SoakPart> {
  const side = options.imageSide;
  const paths = readdirSync(options.imageDir!)
    .filter((f) => f.endsWith('.png'))
    .sort()
    .map((f) => join(options.imageDir!, f));
  const pipe = await ImageToText.fromPretrained(defaultModelDir);
  const before = memory(0, performance.now());
  const start = performance.now();
  const pixels = allAtOnce ? pipe.processor!.preprocess(await Promise.all(paths.map((p) => readImageFile(p)))) : await pipe.preprocess(paths);
  const seconds = (performance.now() - start) / 1000;
  const peak = peakRssMB();
  await pipe.dispose();
  const how = allAtOnce ? 'all decoded at once (before)' : 'one image at a time (preprocessEach)';
  return {
    name: allAtOnce ? 'images-all-at-once' : 'images',
    ok: pixels.dims[0] === paths.length,
    summary: `${paths.length} PNGs of ${side}x${side} RGB (${((side * side * 3) / MB).toFixed(0)} MB decoded each), ${how}: peak RSS ${peak.toFixed(0)} MB (${before.rssMB.toFixed(0)} MB before), ${seconds.toFixed(1)} s`,
    figures: { images: paths.length, side, seconds, peakRssMB: peak, rssBeforeMB: before.rssMB },
  };
}

const [part, json] = process.argv.slice(2);
const options = JSON.parse(json ?? '{}') as SoakOptions;
const result =
  part === 'generate'
    ? await generate(options)
    : part === 'manifest'
      ? await manifest(options)
      : part === 'images'
        ? await images(options, false)
        : part === 'images-all-at-once'
          ? await images(options, true)
          : undefined;
if (result === undefined) throw new Error(`unknown soak part ${part}`);
process.stdout.write(JSON.stringify(result));
