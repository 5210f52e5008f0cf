/**
 * Contracts and registries, configuration, the ONNX graph builder and `nn` blocks,
 * safetensors, the composed `VisionEncoderDecoderModel` (compose, initialise, loss,
 * save), image processing, tokenizers, ONNX exports in and out, HTTP loading.
 * No ONNX Runtime implementation: a backend supplies one.
 *
 * @module @ved/core
 */
export * from '@ved/core';
