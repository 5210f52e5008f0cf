/** Messages between `CaptionWorker` (the page) and the worker entry (`@ved/backend-web/worker`). */
import type { DownloadProgress, RawImage } from '@ved/core';
import type { CaptionResult } from './pipeline.js';
import type { WebRuntimeOptions, WebRuntimeReport } from './runtime.js';
import type { TokenEvent } from './token-stream.js';
import type { WorkerCaptionOptions } from './worker-client.js';

/** What can cross into a worker: URLs, Blobs/Files, ImageBitmaps (transferred), ImageData, RawImages. */
export type TransferableImage = string | Blob | ImageBitmap | ImageData | RawImage;

export interface WorkerLoadOptions extends WebRuntimeOptions {
  endpoint?: string;
  revision?: string;
  /** Resolves relative model URLs (the page's address; set by CaptionWorker). */
  baseUrl?: string;
  /** Cache API cache name, or false for none. */
  cache?: string | false;
  headers?: Record<string, string>;
}

export type ToWorker =
  | { type: 'load'; id: number; model: string; options: WorkerLoadOptions }
  | { type: 'caption'; id: number; images: TransferableImage[]; options: Omit<WorkerCaptionOptions, 'onToken'>; stream: boolean }
  | { type: 'dispose'; id: number };

export interface ErrorInfo {
  name: string;
  message: string;
  code?: string;
}

export type FromWorker =
  | { type: 'progress'; id: number; progress: DownloadProgress }
  | { type: 'loaded'; id: number; runtime: WebRuntimeReport }
  | { type: 'token'; id: number; event: TokenEvent }
  | { type: 'result'; id: number; result: CaptionResult }
  | { type: 'disposed'; id: number }
  | { type: 'error'; id: number; error: ErrorInfo };
