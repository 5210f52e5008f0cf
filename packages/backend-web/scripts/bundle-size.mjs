#!/usr/bin/env node
/**
 * Bundle hygiene and size: bundles two small browser apps with esbuild
 * (ESM, minified, code splitting) and reports gzip sizes per chunk and which
 * packages each chunk holds:
 *
 * - minimal: `@ved/backend-web/lite` with only ViT and GPT-2 registered lazily;
 * - full: `@ved/backend-web` (every built-in architecture, lazily).
 *
 * onnxruntime-web's .wasm is not bundled (it is fetched at run time from
 * `wasmPaths`); its size is reported separately.
 *
 * Run: `pnpm --filter @ved/backend-web size` (or `node scripts/bundle-size.mjs [--json]`).
 */
import { build } from 'esbuild';
import { readFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

const PACKAGE_DIR = join(dirname(fileURLToPath(import.meta.url)), '..');
const REPO = join(PACKAGE_DIR, '..', '..');

const APPS = {
  minimal: `
    import { ImageToText, registerLazy } from './src/lite.ts';
    registerLazy('encoder', 'vit', '@ved/encoder-vit', () => import('@ved/encoder-vit'));
    registerLazy('decoder', 'gpt2', '@ved/decoder-gpt2', () => import('@ved/decoder-gpt2'));
    const captioner = await ImageToText.fromPretrained(location.search.slice(1), { wasmPaths: '/ort/' });
    document.body.textContent = (await captioner.generate([document.querySelector('img')])).texts[0];
  `,
  full: `
    import { ImageToText } from './src/index.ts';
    const captioner = await ImageToText.fromPretrained(location.search.slice(1), { wasmPaths: '/ort/' });
    document.body.textContent = (await captioner.generate([document.querySelector('img')])).texts[0];
  `,
};

/** The package a bundled input file belongs to. */
function packageOf(input) {
  if (input === '<stdin>' || input.endsWith('-app.ts')) return '(app)';
  const path = resolve(PACKAGE_DIR, input).split(sep).join('/');
  const nm = path.lastIndexOf('node_modules/');
  if (nm !== -1) {
    const rest = path.slice(nm + 'node_modules/'.length).split('/');
    return rest[0].startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0];
  }
  const m = /packages\/(?:(encoders|decoders)\/)?([^/]+)\//.exec(path);
  if (m) {
    if (m[1] === 'encoders') return `@ved/encoder-${m[2]}`;
    if (m[1] === 'decoders') return `@ved/decoder-${m[2]}`;
    return `@ved/${m[2]}`;
  }
  return relative(REPO, path);
}

export async function measureApp(name) {
  const result = await build({
    stdin: { contents: APPS[name], resolveDir: PACKAGE_DIR, loader: 'ts', sourcefile: `${name}-app.ts` },
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    minify: true,
    conditions: ['source'],
    absWorkingDir: PACKAGE_DIR,
    outdir: join(PACKAGE_DIR, 'dist-size', name),
    write: false,
    metafile: true,
    logLevel: 'error',
  });
  const chunks = [];
  for (const file of result.outputFiles) {
    const meta = result.metafile.outputs[relative(PACKAGE_DIR, file.path).split(sep).join('/')];
    const packages = [...new Set(Object.keys(meta?.inputs ?? {}).map(packageOf))].sort();
    const byPackage = {};
    for (const [input, { bytesInOutput }] of Object.entries(meta?.inputs ?? {})) {
      const pkg = packageOf(input);
      byPackage[pkg] = (byPackage[pkg] ?? 0) + bytesInOutput;
    }
    chunks.push({
      file: relative(join(PACKAGE_DIR, 'dist-size', name), file.path),
      entry: meta?.entryPoint === `${name}-app.ts`,
      lazy: meta?.entryPoint !== undefined && meta.entryPoint !== `${name}-app.ts`,
      bytes: file.contents.length,
      gzip: gzipSync(file.contents, { level: 9 }).length,
      packages,
      byPackage,
      imports: (meta?.imports ?? []).map((i) => i.path),
    });
  }
  const entry = chunks.find((c) => c.entry);
  // What the page loads before any model: the entry and its static imports.
  const initial = new Set([entry.file]);
  for (let grew = true; grew; ) {
    grew = false;
    for (const c of chunks) {
      if (!initial.has(c.file)) continue;
      const meta = result.metafile.outputs[Object.keys(result.metafile.outputs).find((k) => k.endsWith(c.file))];
      for (const imp of meta.imports) {
        if (imp.kind !== 'import-statement') continue;
        const target = chunks.find((x) => imp.path.endsWith(x.file));
        if (target && !initial.has(target.file)) {
          initial.add(target.file);
          grew = true;
        }
      }
    }
  }
  const sum = (list, key) => list.reduce((a, c) => a + c[key], 0);
  const initialChunks = chunks.filter((c) => initial.has(c.file));
  return {
    name,
    chunks,
    initial: { bytes: sum(initialChunks, 'bytes'), gzip: sum(initialChunks, 'gzip'), packages: [...new Set(initialChunks.flatMap((c) => c.packages))].sort() },
    total: { bytes: sum(chunks, 'bytes'), gzip: sum(chunks, 'gzip') },
    packages: [...new Set(chunks.flatMap((c) => c.packages))].sort(),
  };
}

export function wasmSize() {
  const file = join(PACKAGE_DIR, 'node_modules', 'onnxruntime-web', 'dist', 'ort-wasm-simd-threaded.jsep.wasm');
  const bytes = readFileSync(file);
  return { file: relative(REPO, file), bytes: bytes.length, gzip: gzipSync(bytes, { level: 6 }).length };
}

const kb = (n) => `${(n / 1024).toFixed(1)} KiB`;

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const minimal = await measureApp('minimal');
  const full = await measureApp('full');
  const wasm = wasmSize();
  if (process.argv.includes('--json')) {
    console.log(JSON.stringify({ minimal, full, wasm }, null, 2));
  } else {
    for (const app of [minimal, full]) {
      console.log(`${app.name} app: ${kb(app.initial.gzip)} gzip loaded up front (${kb(app.initial.bytes)} minified), ${kb(app.total.gzip)} gzip in all ${app.chunks.length} chunks`);
      for (const c of app.chunks.sort((a, b) => b.gzip - a.gzip)) {
        const parts = Object.entries(c.byPackage).sort((a, b) => b[1] - a[1]).map(([p, n]) => `${p} ${kb(n)}`);
        console.log(`  ${c.entry ? 'entry' : c.lazy ? 'lazy ' : 'chunk'}  ${c.file.padEnd(22)} ${kb(c.gzip).padStart(10)} gzip  (minified: ${parts.join(', ')})`);
      }
    }
    console.log(`(lazy chunks load only when a model needs that architecture)`);
    console.log(`onnxruntime-web wasm (fetched from wasmPaths, not bundled): ${wasm.file} ${kb(wasm.bytes)} (${kb(wasm.gzip)} gzip)`);
  }
}
