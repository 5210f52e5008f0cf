/**
 * Loading a model directory in either format (safetensors or an ONNX export):
 * the shared implementation of @ved/pipeline, re-exported where backend-node's
 * modules have always imported it.
 */
export { loadModel, type FormatOptions, type LoadedModel, type ModelLoadOptions } from '@ved/pipeline';
