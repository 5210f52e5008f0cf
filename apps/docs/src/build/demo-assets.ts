/**
 * What the live demo needs beside its page: the page script and the Web
 * Worker bundled by esbuild (from the TypeScript sources, each architecture in
 * its own chunk), onnxruntime-web's WebAssembly files (the `wasmPaths` folder),
 * the default model and its example image.
 */
import { createHash } from 'node:crypto';
import { copyFileSync, mkdirSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { build } from 'esbuild';
import { VedError } from '@ved/core';
import { demoExample, demoModelDir } from './demo-model.js';

/** What the demo page reads from its `<script id="demo-config">`; URLs relative to the page. */
export interface DemoConfig {
  /** The default model's folder, named by a hash of its files so that a new checkpoint is never read from an old cache. */
  model: string;
  example: string;
  /** onnxruntime-web's files: the runtime's `wasmPaths`. */
  ort: string;
}

/**
 * onnxruntime-web's runtime files, fetched from `wasmPaths`: the WebAssembly
 * build with WebGPU support (jsep) and its JavaScript loader, which each of
 * its WebAssembly threads loads again.
 */
export const ORT_FILES = ['ort-wasm-simd-threaded.jsep.wasm', 'ort-wasm-simd-threaded.jsep.mjs'] as const;

export interface DemoAssets {
  config: DemoConfig;
  /** Bytes of each output file of the bundle (for the build summary). */
  bundle: Record<string, number>;
}

export async function buildDemoAssets(appDir: string, out: string, modelDir = demoModelDir, example = demoExample): Promise<DemoAssets> {
  const result = await build({
    entryPoints: {
      demo: join(appDir, 'src/demo/demo.ts'),
      worker: join(appDir, 'src/demo/worker.ts'),
      // The training page (train.html) and its worker.
      train: join(appDir, 'src/train/train.ts'),
      'train-worker': join(appDir, 'src/train/worker.ts'),
    },
    outdir: join(out, 'assets'),
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    // The workspace packages' TypeScript sources: the site follows the code as it is.
    conditions: ['source'],
    minify: true,
    sourcemap: 'linked',
    metafile: true,
    logLevel: 'error',
    absWorkingDir: appDir,
  });
  const bundle: Record<string, number> = {};
  for (const [file, info] of Object.entries(result.metafile.outputs)) if (!file.endsWith('.map')) bundle[file] = info.bytes;

  // The runtime files of the very onnxruntime-web that was bundled.
  const ortInput = Object.keys(result.metafile.inputs).find((f) => /onnxruntime-web\/dist\/[^/]+\.m?js$/.test(f));
  if (ortInput === undefined) throw new VedError('MISSING_PACKAGE', 'The demo bundle does not contain onnxruntime-web (imported by @ved/backend-web); is @ved/backend-web installed (pnpm install)?');
  const ortDist = dirname(resolve(appDir, ortInput));
  mkdirSync(join(out, 'ort'), { recursive: true });
  for (const file of ORT_FILES) copyInto(join(ortDist, file), join(out, 'ort', file));

  const model = `models/default-${hashFolder(modelDir).slice(0, 12)}/`;
  mkdirSync(join(out, model), { recursive: true });
  for (const file of modelFiles(modelDir)) copyInto(join(modelDir, file), join(out, model, file));
  mkdirSync(join(out, 'examples'), { recursive: true });
  copyInto(example, join(out, 'examples', basename(example)));

  return { config: { model: `./${model}`, example: `./examples/${basename(example)}`, ort: './ort/' }, bundle };
}

function modelFiles(dir: string): string[] {
  let files: string[];
  try {
    files = readdirSync(dir).filter((f) => statSync(join(dir, f)).isFile()).sort();
  } catch (error) {
    throw new VedError('FILE_NOT_FOUND', `The demo's model folder ${dir} cannot be read (${(error as Error).message}); see src/build/demo-model.ts.`);
  }
  if (!files.includes('config.json')) throw new VedError('FILE_NOT_FOUND', `The demo's model folder ${dir} has no config.json (found: ${files.join(', ') || 'nothing'}).`);
  return files;
}

/** sha256 over the names and bytes of a model folder's files. */
export function hashFolder(dir: string): string {
  const hash = createHash('sha256');
  for (const file of modelFiles(dir)) hash.update(`${file}\0`).update(readFileSync(join(dir, file)));
  return hash.digest('hex');
}

function copyInto(from: string, to: string): void {
  try {
    copyFileSync(from, to);
  } catch (error) {
    throw new VedError('FILE_NOT_FOUND', `Cannot copy ${from} into the site (${(error as Error).message}).`);
  }
}
