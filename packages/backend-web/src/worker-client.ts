/**
 * The page side of the worker: `CaptionWorker` sends images to the worker
 * entry (`@ved/backend-web/worker`) and resolves with the captions, calling
 * back with download progress and streamed tokens on the way.
 *
 * ```ts
 * const worker = new Worker(new URL('@ved/backend-web/worker', import.meta.url), { type: 'module' });
 * const captioner = new CaptionWorker(worker);
 * await captioner.load('owner/model', { onProgress: (p) => … });
 * const { texts } = await captioner.caption([file], { onToken: (e) => … });
 * ```
 */
import { VedError, type DownloadProgress, type VedErrorCode } from '@ved/core';
import type { GenerationOptions } from '@ved/generation';
import type { RunOptions } from '@ved/pipeline';
import type { WebImageInput } from './image-input.js';
import type { CaptionResult } from './pipeline.js';
import type { WebRuntimeReport } from './runtime.js';
import type { TokenCallback } from './token-stream.js';
import type { FromWorker, ToWorker, TransferableImage, WorkerLoadOptions } from './worker-protocol.js';

interface WorkerLike {
  postMessage(message: ToWorker, transfer?: Transferable[]): void;
  addEventListener(type: 'message', listener: (event: MessageEvent<FromWorker>) => void): void;
  addEventListener(type: 'error', listener: (event: ErrorEvent) => void): void;
  terminate(): void;
}

interface Pending {
  resolve(value: unknown): void;
  reject(error: Error): void;
  onProgress?: (progress: DownloadProgress) => void;
  onToken?: TokenCallback;
}

/** `ImageToText.generate()`'s options that can cross to the worker (functions other than `onToken` cannot). */
export interface WorkerCaptionOptions extends GenerationOptions, Pick<RunOptions, 'prompt' | 'decoderInputIds' | 'beamStreaming' | 'interpolatePosEncoding'> {
  onToken?: TokenCallback;
}

export class CaptionWorker {
  private next = 1;
  private readonly pending = new Map<number, Pending>();

  constructor(private readonly worker: WorkerLike) {
    worker.addEventListener('message', (event) => this.receive(event.data));
    worker.addEventListener('error', (event) => {
      const error = new VedError('RUNTIME', `The caption worker failed to start or crashed: ${event.message || 'unknown error'} (check the worker script URL and that it is served as JavaScript).`);
      for (const p of this.pending.values()) p.reject(error);
      this.pending.clear();
    });
  }

  /** Loads a model (URL or repository id) in the worker; resolves with the runtime's report. */
  load(model: string, options: WorkerLoadOptions & { onProgress?: (progress: DownloadProgress) => void } = {}): Promise<WebRuntimeReport> {
    const { onProgress, ...rest } = options;
    const baseUrl = rest.baseUrl ?? (globalThis as { location?: { href: string } }).location?.href;
    return this.send({ type: 'load', model, options: { ...rest, ...(baseUrl ? { baseUrl } : {}) } }, [], { ...(onProgress ? { onProgress } : {}) }) as Promise<WebRuntimeReport>;
  }

  /** Captions images in the worker. Elements and canvases are read on this thread first. */
  async caption(images: readonly WebImageInput[], options: WorkerCaptionOptions = {}): Promise<CaptionResult> {
    const { onToken, ...generation } = options;
    const prepared = await Promise.all(images.map(toTransferable));
    const transfer = prepared.filter((img): img is ImageBitmap => typeof ImageBitmap !== 'undefined' && img instanceof ImageBitmap);
    return this.send({ type: 'caption', images: prepared, options: generation, stream: onToken !== undefined }, transfer, {
      ...(onToken ? { onToken } : {}),
    }) as Promise<CaptionResult>;
  }

  /** Releases the model in the worker. */
  dispose(): Promise<void> {
    return this.send({ type: 'dispose' }, [], {}) as Promise<void>;
  }

  terminate(): void {
    this.worker.terminate();
    const error = new VedError('RUNTIME', 'The caption worker was terminated.');
    for (const p of this.pending.values()) p.reject(error);
    this.pending.clear();
  }

  private send(message: DistributiveOmit<ToWorker, 'id'>, transfer: Transferable[], callbacks: Omit<Pending, 'resolve' | 'reject'>): Promise<unknown> {
    const id = this.next++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject, ...callbacks });
      this.worker.postMessage({ ...message, id } as ToWorker, transfer);
    });
  }

  private receive(message: FromWorker): void {
    const p = this.pending.get(message.id);
    if (p === undefined) return;
    switch (message.type) {
      case 'progress':
        p.onProgress?.(message.progress);
        return;
      case 'token':
        p.onToken?.(message.event);
        return;
      case 'loaded':
        this.pending.delete(message.id);
        return p.resolve(message.runtime);
      case 'result':
        this.pending.delete(message.id);
        return p.resolve(message.result);
      case 'disposed':
        this.pending.delete(message.id);
        return p.resolve(undefined);
      case 'error': {
        this.pending.delete(message.id);
        const { name, message: text, code } = message.error;
        const error = code !== undefined ? new VedError(code as VedErrorCode, text) : Object.assign(new Error(text), { name });
        return p.reject(error);
      }
    }
  }
}

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

function isInstance(value: unknown, name: string): boolean {
  const ctor = (globalThis as Record<string, unknown>)[name];
  return typeof ctor === 'function' && value instanceof (ctor as new () => unknown);
}

/** What the worker can receive for each kind of input. */
export async function toTransferable(input: WebImageInput): Promise<TransferableImage> {
  if (typeof input === 'string') return new URL(input, (globalThis as { location?: { href: string } }).location?.href).href;
  if (input instanceof URL) return input.href;
  if (isInstance(input, 'HTMLImageElement')) {
    const img = input as HTMLImageElement;
    // The file behind the element decodes exactly in the worker.
    if (img.currentSrc || img.src) return img.currentSrc || img.src;
  }
  if (isInstance(input, 'HTMLCanvasElement') || isInstance(input, 'OffscreenCanvas') || isInstance(input, 'HTMLImageElement')) {
    return createImageBitmap(input as HTMLCanvasElement, { premultiplyAlpha: 'none', colorSpaceConversion: 'none' });
  }
  return input as TransferableImage;
}
