/**
 * The onnxruntime-web implementation of core's `Runtime`: WebAssembly (with
 * threads when the page is cross-origin isolated, one thread otherwise) or
 * WebGPU when the browser offers an adapter, falling back to WebAssembly. The
 * choice is an option, and what was chosen, and why, is in `report`.
 */
import * as ort from 'onnxruntime-web';
import { VedError, type Runtime } from '@ved/core';

export type WebDevice = 'wasm' | 'webgpu';

export interface WebRuntimeOptions {
  /**
   * `'wasm'` (default), `'webgpu'` (WebGPU when an adapter exists, else WASM),
   * or `'auto'` (WebGPU on a hardware adapter, else WASM: a software adapter is
   * slower than WASM).
   */
  device?: 'auto' | WebDevice;
  /**
   * WASM threads. Default: `min(4, ceil(cores / 2))` when the page is
   * cross-origin isolated, else 1 (threads need SharedArrayBuffer). Applies to
   * the first runtime created in the page; onnxruntime-web starts once.
   */
  numThreads?: number;
  /**
   * Where onnxruntime-web's `.wasm`/`.mjs` files are served: a URL prefix
   * ending in `/`, or `{ mjs, wasm }` URLs (see docs/browser.md). Needed when a
   * bundler does not copy them next to the bundle.
   */
  wasmPaths?: string | { mjs?: string; wasm?: string };
}

export interface WebRuntimeReport {
  /** The device sessions run on. */
  device: WebDevice;
  /** What was asked for. */
  requested: 'auto' | WebDevice;
  /** WASM threads in use. */
  numThreads: number;
  crossOriginIsolated: boolean;
  /** The WebGPU adapter, when one was used (vendor / architecture / description). */
  adapter?: string;
  /** Why WebGPU (or more threads) was not used, when it was asked for. */
  fallbackReason?: string;
}

export interface WebRuntime extends Runtime {
  /** What the runtime chose; `device` changes to `'wasm'` if WebGPU fails when a session is created. */
  readonly report: Readonly<WebRuntimeReport>;
}

type GpuAdapterLike = { info?: { vendor?: string; architecture?: string; description?: string; isFallbackAdapter?: boolean }; isFallbackAdapter?: boolean };
type GpuLike = { requestAdapter(options?: { powerPreference?: string }): Promise<GpuAdapterLike | null> };

// onnxruntime-web reads its wasm settings once, when the first session starts.
let started: { numThreads: number } | undefined;

// onnxruntime-web's WASM module does one thing at a time: it mounts a
// session's external data (`externalData`) in one module-wide table, cleared
// when the session is made, so sessions created at once would read each
// other's weights (core names them ved_weight_0, 1, … in every graph); and its
// WebGPU-capable build refuses a second run while one is in flight ("Session
// already started"). Creating sessions and running them therefore go through
// one queue.
let queue: Promise<unknown> = Promise.resolve();
function oneAtATime<T>(task: () => Promise<T>): Promise<T> {
  const run = queue.then(task, task);
  queue = run.catch(() => undefined);
  return run;
}

/** The session, with `run` queued behind every other call into the module. */
function queued(session: ort.InferenceSession): ort.InferenceSession {
  const run = session.run.bind(session) as (...args: unknown[]) => Promise<ort.InferenceSession.ReturnType>;
  return new Proxy(session, {
    get(target, prop) {
      if (prop === 'run') return (...args: unknown[]) => oneAtATime(() => run(...args));
      const value = Reflect.get(target, prop, target) as unknown;
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
}

function isIsolated(): boolean {
  return (globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated === true;
}

function defaultThreads(): number {
  const cores = (globalThis as { navigator?: { hardwareConcurrency?: number } }).navigator?.hardwareConcurrency ?? 1;
  return Math.min(4, Math.ceil(cores / 2));
}

function describeAdapter(adapter: GpuAdapterLike): string {
  const info = adapter.info ?? {};
  return [info.vendor, info.architecture, info.description].filter((s) => s !== undefined && s !== '').join(' / ') || 'unnamed adapter';
}

async function findAdapter(): Promise<{ adapter?: GpuAdapterLike; reason?: string }> {
  const gpu = (globalThis as { navigator?: { gpu?: GpuLike } }).navigator?.gpu;
  if (gpu === undefined) return { reason: 'this browser has no WebGPU (navigator.gpu is undefined)' };
  try {
    const adapter = await gpu.requestAdapter({ powerPreference: 'high-performance' });
    return adapter === null ? { reason: 'navigator.gpu.requestAdapter() returned no adapter' } : { adapter };
  } catch (error) {
    return { reason: `navigator.gpu.requestAdapter() failed: ${(error as Error).message}` };
  }
}

/** Creates the runtime, deciding the device and threads. */
export async function createWebRuntime(options: WebRuntimeOptions = {}): Promise<WebRuntime> {
  const requested = options.device ?? 'wasm';
  if (!['auto', 'wasm', 'webgpu'].includes(requested)) {
    throw new VedError('INVALID_OPTION', `"device" is ${JSON.stringify(requested)}; expected "wasm", "webgpu" or "auto".`);
  }
  if (options.numThreads !== undefined && (!Number.isInteger(options.numThreads) || options.numThreads < 1)) {
    throw new VedError('INVALID_OPTION', `"numThreads" is ${String(options.numThreads)}; expected a positive integer.`);
  }
  const isolated = isIsolated();
  const reasons: string[] = [];

  if (options.wasmPaths !== undefined) ort.env.wasm.wasmPaths = options.wasmPaths;
  let numThreads: number;
  if (started !== undefined) {
    numThreads = started.numThreads;
    if (options.numThreads !== undefined && options.numThreads !== numThreads) {
      reasons.push(`numThreads ${options.numThreads} ignored: onnxruntime-web already started with ${numThreads}`);
    }
  } else {
    const wanted = options.numThreads ?? (isolated ? defaultThreads() : 1);
    numThreads = isolated ? wanted : 1;
    if (!isolated && wanted > 1) reasons.push(`${wanted} threads asked for, but the page is not cross-origin isolated (COOP/COEP headers), so WASM runs on 1 thread`);
    ort.env.wasm.numThreads = numThreads;
  }

  let device: WebDevice = 'wasm';
  let adapterName: string | undefined;
  if (requested !== 'wasm') {
    const { adapter, reason } = await findAdapter();
    const software = adapter !== undefined && (adapter.info?.isFallbackAdapter === true || adapter.isFallbackAdapter === true);
    if (adapter === undefined) reasons.push(`WebGPU unavailable: ${reason}; using WASM`);
    else if (requested === 'auto' && software) reasons.push(`the WebGPU adapter is a software fallback (${describeAdapter(adapter)}); using WASM`);
    else {
      device = 'webgpu';
      adapterName = describeAdapter(adapter);
      (ort.env.webgpu as { adapter?: unknown }).adapter = adapter;
    }
  }

  const report: WebRuntimeReport = {
    device,
    requested,
    numThreads,
    crossOriginIsolated: isolated,
    ...(adapterName !== undefined ? { adapter: adapterName } : {}),
    ...(reasons.length > 0 ? { fallbackReason: reasons.join('; ') } : {}),
  };

  const create = (model: Uint8Array, sessionOptions: ort.InferenceSession.SessionOptions | undefined, on: WebDevice) =>
    ort.InferenceSession.create(model, {
      executionProviders: [on],
      graphOptimizationLevel: 'all',
      ...sessionOptions,
    });

  return {
    get name() {
      return `onnxruntime-web (${report.device}${report.device === 'wasm' ? `, ${report.numThreads} thread${report.numThreads === 1 ? '' : 's'}` : ''})`;
    },
    report,
    createSession(model, sessionOptions) {
      return oneAtATime(() => createOne(model, sessionOptions)).then(queued);
    },
    tensor: (type, data, dims) => new ort.Tensor(type, data as never, dims),
    // Its WebAssembly module opens no file paths, in Node either: checkpoints on disk are read into memory.
    readsFilePaths: false,
    // onnxruntime-web's WebAssembly kernels run MatMul over a transposed weight faster than Gemm with transB
    // (DeiT-small's encoder about 14%, docs/bench.md); WebGPU keeps Gemm (not measured: no GPU here).
    get linearAsMatMul() {
      return report.device === 'wasm';
    },
  };

  async function createOne(model: Uint8Array, sessionOptions: ort.InferenceSession.SessionOptions | undefined): Promise<ort.InferenceSession> {
    started ??= { numThreads };
    if (report.device === 'webgpu') {
      try {
        return await create(model, sessionOptions, 'webgpu');
      } catch (error) {
        // Fall back for this and every later session.
        report.device = 'wasm';
        delete report.adapter;
        const why = `WebGPU session failed (${(error as Error).message}); using WASM`;
        report.fallbackReason = report.fallbackReason === undefined ? why : `${report.fallbackReason}; ${why}`;
      }
    }
    try {
      return await create(model, sessionOptions, 'wasm');
    } catch (error) {
      throw new VedError('RUNTIME', `onnxruntime-web could not create a WASM session: ${(error as Error).message}. If the .wasm file failed to load, set "wasmPaths" (see docs/browser.md).`, { cause: error });
    }
  }
}
