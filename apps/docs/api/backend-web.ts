/**
 * ved in the browser on onnxruntime-web (WASM with threads, WebGPU): `ImageToText`,
 * `CaptionWorker` for the Web Worker entry (`@ved/backend-web/worker`), loading over
 * HTTP with progress and the Cache API, image inputs. Re-exports `@ved/core` and
 * `@ved/generation`.
 *
 * @module @ved/backend-web
 */
export * from '@ved/backend-web';
