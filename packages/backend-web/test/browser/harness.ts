/**
 * The browser side of the test suite: a page script exposing `window.vedHarness`,
 * which the Node side (browser.test.ts, through playwright-core) calls. Every
 * model and fixture comes from the local test server in the hub's URL layout.
 */
import '../../src/register-builtins.js';
import {
  HttpError,
  HttpFiles,
  ImageToText,
  VedError,
  WebCache,
  CaptionWorker,
  createWebRuntime,
  decodeImageBytes,
  loadImage,
  pipeline,
  type DownloadProgress,
  type RawImage,
  type WebImageInput,
  type WebRuntime,
  type WebRuntimeOptions,
} from '../../src/index.js';
import { conformanceChecks, runCheck, type CheckResult, type ConformanceEnv } from '@ved/conformance';

const ORT = new URL('/ort/', location.href).href;
const origin = location.origin;
let runtime: WebRuntime | undefined;
let env: ConformanceEnv | undefined;

async function fixture(path: string): Promise<Uint8Array> {
  const res = await fetch(`/fixtures/${path}`);
  if (!res.ok) throw new Error(`fixture ${path}: HTTP ${res.status}`);
  return new Uint8Array(await res.arrayBuffer());
}

function summarize(img: RawImage) {
  return { width: img.width, height: img.height, channels: img.channels, data: Array.from(img.data) };
}

function errorInfo(error: unknown) {
  const e = error as Error & { code?: string; reason?: string; status?: number };
  return { isVedError: error instanceof VedError, isHttpError: error instanceof HttpError, name: e.name, code: e.code, reason: e.reason, status: e.status, message: e.message };
}

/** One file as every kind of input the browser pipeline takes. */
async function imageKinds(path: string): Promise<Record<string, WebImageInput>> {
  const url = `/fixtures/${path}`;
  const bytes = await fixture(path);
  const blob = new Blob([bytes as Uint8Array<ArrayBuffer>], { type: path.endsWith('.png') ? 'image/png' : 'image/jpeg' });
  const file = new File([blob], path.split('/').pop()!, { type: blob.type });
  const img = new Image();
  img.src = url;
  await img.decode();
  const bitmap = await createImageBitmap(blob, { premultiplyAlpha: 'none', colorSpaceConversion: 'none' });
  const canvas = document.createElement('canvas');
  canvas.width = bitmap.width;
  canvas.height = bitmap.height;
  canvas.getContext('2d')!.drawImage(bitmap, 0, 0);
  const offscreen = new OffscreenCanvas(bitmap.width, bitmap.height);
  offscreen.getContext('2d')!.drawImage(bitmap, 0, 0);
  const imageData = canvas.getContext('2d')!.getImageData(0, 0, canvas.width, canvas.height);
  return {
    url,
    absoluteUrl: new URL(url, location.href),
    blob,
    file,
    htmlImage: img,
    imageBitmap: bitmap,
    htmlCanvas: canvas,
    offscreenCanvas: offscreen,
    imageData,
    rawImage: await decodeImageBytes(bytes, path),
  };
}

const harness = {
  crossOriginIsolated: () => globalThis.crossOriginIsolated,

  async setup(options: WebRuntimeOptions = {}) {
    runtime = await createWebRuntime({ wasmPaths: ORT, ...options });
    const rt = runtime;
    env = {
      name: rt.name,
      runtime: rt,
      modelFiles: async (name) => new HttpFiles(`ved-test/${name}`, { endpoint: origin }),
      fixture,
      decodeImage: (bytes, name) => decodeImageBytes(bytes, name),
      browser: true,
      pipelines: {
        fromPretrained: (files) => ImageToText.fromPretrained(files, { runtime: rt }) as Promise<never>,
        pipeline: (files) => pipeline('image-to-text', files, { runtime: rt }) as Promise<never>,
        image: (path) => `/fixtures/${path}`,
        imageKinds,
      },
    };
    return { ...rt.report, name: rt.name };
  },

  checkNames: () => conformanceChecks.map((c) => c.name),

  async runCheck(name: string): Promise<CheckResult & { report: unknown }> {
    if (env === undefined || runtime === undefined) throw new Error('call setup() first');
    const result = await runCheck(env, name);
    return { ...result, report: { ...runtime.report } };
  },

  /** pixel_values of the web pipeline for fixture image URLs. */
  async pixelValues(repo: string, images: string[]) {
    const pipe = await ImageToText.fromPretrained(repo, { endpoint: origin, runtime: runtime!, cache: false });
    try {
      const pv = await pipe.preprocess(images.map((p) => `/fixtures/${p}`));
      return { dims: pv.dims, data: Array.from(pv.data) };
    } finally {
      await pipe.dispose();
    }
  },

  /** Every kind of browser image input for one file, decoded. */
  async inputKinds(path: string) {
    const bytes = await fixture(path);
    const out: Record<string, unknown> = { bytes: summarize(await decodeImageBytes(bytes, path)) };
    for (const [kind, input] of Object.entries(await imageKinds(path))) out[kind] = summarize(await loadImage(input));
    return out;
  },

  /** An ONNX export (transformers.js / Optimum layout) loaded from a URL, captioned from image URLs and through pipeline(). */
  async exportCaption(url: string, images: string[], maxNewTokens: number) {
    const pipe = await ImageToText.fromPretrained(url, { runtime: runtime!, cache: false });
    try {
      const result = await pipe.generate(images.map((p) => `/fixtures/${p}`), { maxNewTokens });
      const captioner = await pipeline('image-to-text', url, { runtime: runtime!, cache: false });
      const texts = await captioner(images.map((p) => `/fixtures/${p}`), { max_new_tokens: maxNewTokens });
      await captioner.dispose();
      return { sequences: result.sequences, isExport: 'layout' in pipe.model, texts };
    } finally {
      await pipe.dispose();
    }
  },

  /** Loads a repository over HTTP; reports progress events, file records and a caption. */
  async httpLoad(repo: string, options: { cache?: string | false; maxNewTokens?: number; images?: string[] } = {}) {
    const progress: DownloadProgress[] = [];
    const pipe = await ImageToText.fromPretrained(repo, {
      endpoint: origin,
      runtime: runtime!,
      cache: options.cache ?? false,
      onProgress: (p) => progress.push({ ...p }),
    });
    try {
      const result = options.images
        ? await pipe.generate(options.images.map((p) => `/fixtures/${p}`), { maxNewTokens: options.maxNewTokens ?? 12 })
        : undefined;
      return { progress, records: (pipe.files as HttpFiles).fileRecords, result, location: pipe.files.location };
    } finally {
      await pipe.dispose();
    }
  },

  /** Reads one file of a repository without a cache: its length, or the error. */
  async readFile(repo: string, file: string) {
    try {
      return { length: (await new HttpFiles(repo, { endpoint: origin }).readBytes(file)).length };
    } catch (error) {
      return { error: errorInfo(error) };
    }
  },

  async clearCache(name: string) {
    return WebCache.clear(name);
  },

  async httpError(repo: string) {
    try {
      await ImageToText.fromPretrained(repo, { endpoint: origin, runtime: runtime!, cache: false });
    } catch (error) {
      return errorInfo(error);
    }
    return undefined;
  },

  /** Streams tokens on the main thread. */
  async stream(repo: string, images: string[], maxNewTokens: number) {
    const pipe = await ImageToText.fromPretrained(repo, { endpoint: origin, runtime: runtime!, cache: false });
    try {
      const events: unknown[] = [];
      const inputs = images.map((p) => `/fixtures/${p}`);
      const result = await pipe.generate(inputs, { maxNewTokens, onToken: (e) => events.push(e) });
      const beamError = await pipe.generate(inputs, { maxNewTokens, numBeams: 2, beamStreaming: 'error', onToken: () => undefined }).then(() => undefined, errorInfo);
      const beamEvents: unknown[] = [];
      const beams = await pipe.generate(inputs, { maxNewTokens, numBeams: 2, onToken: (e) => beamEvents.push(e) });
      const chunks: unknown[] = [];
      const stream = pipe.stream(inputs, { maxNewTokens });
      for await (const chunk of stream) chunks.push(chunk);
      return { events, result, beamError, beams, beamEvents, chunks, streamed: await stream.result };
    } finally {
      await pipe.dispose();
    }
  },

  /** Captions in the Web Worker entry, with progress and streamed tokens. */
  async workerCaption(repo: string, images: string[], options: { maxNewTokens: number; numThreads?: number; numBeams?: number }) {
    const worker = new CaptionWorker(new Worker('/page/worker.js', { type: 'module' }));
    const progress: DownloadProgress[] = [];
    const tokens: unknown[] = [];
    let ticks = 0;
    // The main thread stays free while the worker computes.
    const timer = setInterval(() => ticks++, 5);
    try {
      const report = await worker.load(repo, {
        endpoint: origin,
        wasmPaths: ORT,
        cache: false,
        ...(options.numThreads ? { numThreads: options.numThreads } : {}),
        onProgress: (p) => progress.push(p),
      });
      const inputs: WebImageInput[] = images.map((p) => `/fixtures/${p}`);
      const streamed = await worker.caption(inputs, { maxNewTokens: options.maxNewTokens, onToken: (e) => tokens.push(e) });
      const beam = options.numBeams ? await worker.caption(inputs, { maxNewTokens: options.maxNewTokens, numBeams: options.numBeams }) : undefined;
      const error = await worker.caption(['/fixtures/images/missing.png'], { maxNewTokens: 2 }).then(() => undefined, errorInfo);
      await worker.dispose();
      return { report, progress, tokens, result: streamed, beam, error, ticks };
    } finally {
      clearInterval(timer);
      worker.terminate();
    }
  },
};

(globalThis as { vedHarness?: typeof harness }).vedHarness = harness;
export type Harness = typeof harness;
