/**
 * `pnpm bench:soak`: long runs that a test suite cannot afford, each in its
 * own child process so that its memory is its own (issue 19 §5):
 *
 * - `generate`: 10 000 generations by 8 concurrent callers sharing one model
 *   (the embedded default model on its held-out images), every output checked
 *   against the sequential reading, RSS and heap sampled throughout: RSS must
 *   stay flat once warm;
 * - `manifest`: `ved eval`'s manifest check streaming through 1 000 000 lines;
 * - `images`: a batch of large PNGs preprocessed one image at a time.
 *
 * Prints a markdown table and writes bench/results/soak-<date>.{md,json}.
 * Not part of CI (minutes of CPU). Options: --generations N --callers N
 * --manifest-lines N --image-side N --images N --only generate|manifest|images.
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, createWriteStream, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { flatPng } from './soak-png.js';
import { renderSoakReport, type SoakPart, type SoakReport } from './soak-report.js';

const BENCH_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const EXAMPLE_IMAGE = resolve(BENCH_DIR, '../packages/default-model/examples/example.png');

/** The manifest (N lines naming one image) and the large PNGs the children read. */
async function prepare(work: string, options: SoakOptions): Promise<SoakOptions> {
  copyFileSync(EXAMPLE_IMAGE, join(work, 'a.png'));
  const manifestPath = join(work, 'manifest.jsonl');
  const out = createWriteStream(manifestPath);
  const line = `${JSON.stringify({ image: 'a.png', text: 'the quick brown fox' })}\n`;
  const block = line.repeat(10_000);
  for (let n = 0; n < options.manifestLines; n += 10_000) {
    const chunk = n + 10_000 <= options.manifestLines ? block : line.repeat(options.manifestLines - n);
    if (!out.write(chunk)) await new Promise<void>((r) => out.once('drain', () => r()));
  }
  await new Promise<void>((r) => out.end(() => r()));
  const imageDir = join(work, 'images');
  mkdirSync(imageDir);
  const png = flatPng(options.imageSide);
  for (let i = 0; i < options.images; i++) writeFileSync(join(imageDir, `${i}.png`), png);
  return { ...options, manifestPath, imageDir };
}

export interface SoakOptions {
  generations: number;
  callers: number;
  manifestLines: number;
  imageSide: number;
  images: number;
  only?: 'generate' | 'manifest' | 'images';
  /** Written by the parent before the children start (so that their peak RSS is their own). */
  manifestPath?: string;
  imageDir?: string;
}

function parse(argv: string[]): SoakOptions {
  const options: SoakOptions = { generations: 10_000, callers: 8, manifestLines: 1_000_000, imageSide: 9000, images: 4 };
  for (let i = 0; i < argv.length; i += 2) {
    const [flag, value] = [argv[i], argv[i + 1]];
    const n = Number(value);
    const int = () => {
      if (!Number.isInteger(n) || n < 1) throw new Error(`${flag} needs a positive integer, got ${value}`);
      return n;
    };
    if (flag === '--generations') options.generations = int();
    else if (flag === '--callers') options.callers = int();
    else if (flag === '--manifest-lines') options.manifestLines = int();
    else if (flag === '--image-side') options.imageSide = int();
    else if (flag === '--images') options.images = int();
    else if (flag === '--only' && (value === 'generate' || value === 'manifest' || value === 'images')) options.only = value;
    else throw new Error(`unknown option ${flag} ${value ?? ''}\nusage: pnpm bench:soak [--generations N] [--callers N] [--manifest-lines N] [--image-side N] [--images N] [--only generate|manifest|images]`);
  }
  return options;
}

/** Runs one part in a child process (`--expose-gc`, so samples are taken after a collection) and reads its JSON result. */
function runPart(part: string, options: SoakOptions): SoakPart {
  process.stderr.write(`soak: ${part}…\n`);
  const child = spawnSync(process.execPath, ['--expose-gc', join(BENCH_DIR, 'dist', 'soak-child.js'), part, JSON.stringify(options)], {
    stdio: ['ignore', 'pipe', 'inherit'],
    encoding: 'utf8',
    maxBuffer: 64 << 20,
  });
  if (child.status !== 0) throw new Error(`soak part ${part} failed (exit ${child.status})`);
  return JSON.parse(child.stdout) as SoakPart;
}

async function main(): Promise<void> {
  const options = parse(process.argv.slice(2));
  const parts = (['generate', 'manifest', 'images', 'images-all-at-once'] as const).filter(
    (p) => options.only === undefined || p.startsWith(options.only),
  );
  const work = mkdtempSync(join(tmpdir(), 'ved-soak-'));
  let report: SoakReport;
  try {
    const prepared = await prepare(work, options);
    report = {
      date: new Date().toISOString(),
      machine: { cpus: cpus().length, cpuModel: cpus()[0]?.model ?? 'unknown', memoryBytes: totalmem(), node: process.version },
      options,
      parts: parts.map((p) => runPart(p, prepared)),
    };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  const markdown = renderSoakReport(report);
  process.stdout.write(markdown);
  const dir = join(BENCH_DIR, 'results');
  mkdirSync(dir, { recursive: true });
  const stamp = report.date.slice(0, 10);
  writeFileSync(join(dir, `soak-${stamp}.md`), markdown);
  writeFileSync(join(dir, `soak-${stamp}.json`), `${JSON.stringify(report, null, 2)}\n`);
  const failed = report.parts.filter((p) => !p.ok);
  if (failed.length > 0) {
    process.stderr.write(`soak: ${failed.map((p) => p.name).join(', ')} did not hold\n`);
    process.exitCode = 1;
  }
}

await main();
