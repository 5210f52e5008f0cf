/**
 * ved on Node with onnxruntime-node: `ImageToText`, checkpoint directories and the hub
 * cache, PNG/JPEG decoding, saving checkpoints and ONNX exports. Re-exports `@ved/core`
 * and `@ved/generation`.
 *
 * @module @ved/backend-node
 */
export * from '@ved/backend-node';
