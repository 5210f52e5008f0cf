/**
 * @ved/backend-web: runs ved models in the browser with onnxruntime-web
 * (WASM, WebGPU); loads checkpoints over HTTP with the Cache API and decodes
 * images with the browser's decoders. Registers the built-in architectures as
 * lazy imports; `@ved/backend-web/lite` registers none.
 */
import './register-builtins.js';

export * from './lite.js';
