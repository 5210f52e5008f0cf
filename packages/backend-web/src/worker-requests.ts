/**
 * What the page side of ved's workers share (`CaptionWorker`, `TrainingWorker`): requests numbered by id, each
 * settled by the worker's answer to it — resolved with a result, rejected with a typed error the worker posted,
 * or rejected when the worker crashes or is terminated — with per-request callbacks for what the worker posts on
 * the way (download progress, tokens, training updates); the `load` and `dispose` requests both workers take;
 * and images made transferable (decoded on the page only when the worker cannot read them itself).
 */
import { VedError, type DownloadProgress, type VedErrorCode } from '@ved/core';
import type { WebImageInput } from './image-input.js';
import type { WebRuntimeReport } from './runtime.js';
import type { ErrorInfo, TransferableImage, WorkerLoadOptions } from './worker-protocol.js';

export interface WorkerLike<To, From> {
  postMessage(message: To, transfer?: Transferable[]): void;
  addEventListener(type: 'message', listener: (event: MessageEvent<From>) => void): void;
  addEventListener(type: 'error', listener: (event: ErrorEvent) => void): void;
  terminate(): void;
}

/** A request waiting for its answer, with the callbacks of what the worker posts before it. */
export type Pending<Callbacks> = Callbacks & {
  resolve(value: unknown): void;
  reject(error: Error): void;
  onProgress?: (progress: DownloadProgress) => void;
};

export type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

/** The requests every worker protocol takes (worker-protocol.ts, training-worker-protocol.ts). */
type LoadMessage = { type: 'load'; model: string; options: WorkerLoadOptions };
type DisposeMessage = { type: 'dispose' };

export abstract class WorkerRequests<To extends { id: number }, From extends { id: number }, Callbacks extends object> {
  private next = 1;
  private readonly pending = new Map<number, Pending<Callbacks>>();

  /** `label` names the worker in errors ("caption worker"). */
  constructor(
    private readonly worker: WorkerLike<To, From>,
    private readonly label: string,
  ) {
    worker.addEventListener('message', (event) => {
      const request = this.pending.get(event.data.id);
      if (request !== undefined) this.receive(event.data, request);
    });
    worker.addEventListener('error', (event) => {
      this.rejectAll(
        new VedError('RUNTIME', `The ${label} failed to start or crashed: ${event.message || 'unknown error'} (check the worker script URL and that it is served as JavaScript).`),
      );
    });
  }

  /** Loads a model (URL or repository id) in the worker; resolves with the runtime's report. */
  load(model: string, options: WorkerLoadOptions & { onProgress?: (progress: DownloadProgress) => void } = {}): Promise<WebRuntimeReport> {
    const { onProgress, ...rest } = options;
    // Relative model URLs resolve against the page's address, which the worker does not know.
    const baseUrl = rest.baseUrl ?? (globalThis as { location?: { href: string } }).location?.href;
    const message: LoadMessage = { type: 'load', model, options: { ...rest, ...(baseUrl ? { baseUrl } : {}) } };
    return this.send(message as unknown as DistributiveOmit<To, 'id'>, [], (onProgress ? { onProgress } : {}) as Callbacks) as Promise<WebRuntimeReport>;
  }

  /** Releases the model in the worker. */
  dispose(): Promise<void> {
    const message: DisposeMessage = { type: 'dispose' };
    return this.send(message as unknown as DistributiveOmit<To, 'id'>, [], {} as Callbacks) as Promise<void>;
  }

  terminate(): void {
    this.worker.terminate();
    this.rejectAll(new VedError('RUNTIME', `The ${this.label} was terminated.`));
  }

  /** The id the next request will get (to address it in a later message, e.g. an abort). */
  protected get nextId(): number {
    return this.next;
  }

  protected send(message: DistributiveOmit<To, 'id'>, transfer: Transferable[], callbacks: Callbacks): Promise<unknown> {
    const id = this.next++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { ...callbacks, resolve, reject });
      this.worker.postMessage({ ...message, id } as unknown as To, transfer);
    });
  }

  /** Routes a message the worker posted for `request`: a callback, or `resolve` / `reject`. */
  protected abstract receive(message: From, request: Pending<Callbacks>): void;

  /** The answer to request `id`: its result. */
  protected resolve(id: number, value: unknown): void {
    const request = this.pending.get(id);
    this.pending.delete(id);
    request?.resolve(value);
  }

  /** The answer to request `id`: the error the worker posted, typed again on this side. */
  protected reject(id: number, error: ErrorInfo): void {
    const request = this.pending.get(id);
    this.pending.delete(id);
    const { name, message, code } = error;
    request?.reject(code !== undefined ? new VedError(code as VedErrorCode, message) : Object.assign(new Error(message), { name }));
  }

  private rejectAll(error: Error): void {
    for (const request of this.pending.values()) request.reject(error);
    this.pending.clear();
  }
}

/** Images made transferable, and the bitmaps among them to transfer rather than copy. */
export async function transferableImages(images: readonly WebImageInput[]): Promise<{ images: TransferableImage[]; transfer: Transferable[] }> {
  const prepared = await Promise.all(images.map(toTransferable));
  const transfer = prepared.filter((img): img is ImageBitmap => typeof ImageBitmap !== 'undefined' && img instanceof ImageBitmap);
  return { images: prepared, transfer };
}

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
