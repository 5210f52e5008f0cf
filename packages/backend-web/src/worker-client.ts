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
import type { GenerationOptions } from '@ved/generation';
import type { RunOptions } from '@ved/pipeline';
import type { WebImageInput } from './image-input.js';
import type { CaptionResult } from './pipeline.js';
import type { TokenCallback } from './token-stream.js';
import type { FromWorker, ToWorker } from './worker-protocol.js';
import { WorkerRequests, transferableImages, type Pending, type WorkerLike } from './worker-requests.js';

export { toTransferable } from './worker-requests.js';

/** `ImageToText.generate()`'s options that can cross to the worker (functions other than `onToken` cannot). */
export interface WorkerCaptionOptions extends GenerationOptions, Pick<RunOptions, 'prompt' | 'decoderInputIds' | 'beamStreaming' | 'interpolatePosEncoding'> {
  onToken?: TokenCallback;
}

type Callbacks = { onToken?: TokenCallback };

export class CaptionWorker extends WorkerRequests<ToWorker, FromWorker, Callbacks> {
  constructor(worker: WorkerLike<ToWorker, FromWorker>) {
    super(worker, 'caption worker');
  }

  /** Captions images in the worker. Elements and canvases are read on this thread first. */
  async caption(images: readonly WebImageInput[], options: WorkerCaptionOptions = {}): Promise<CaptionResult> {
    const { onToken, ...generation } = options;
    const prepared = await transferableImages(images);
    return this.send({ type: 'caption', images: prepared.images, options: generation, stream: onToken !== undefined }, prepared.transfer, {
      ...(onToken ? { onToken } : {}),
    }) as Promise<CaptionResult>;
  }

  protected receive(message: FromWorker, request: Pending<Callbacks>): void {
    switch (message.type) {
      case 'progress':
        return request.onProgress?.(message.progress);
      case 'token':
        return request.onToken?.(message.event);
      case 'loaded':
        return this.resolve(message.id, message.runtime);
      case 'result':
        return this.resolve(message.id, message.result);
      case 'disposed':
        return this.resolve(message.id, undefined);
      case 'error':
        return this.reject(message.id, message.error);
    }
  }
}
