/** The onnxruntime-node implementation of core's `Runtime`. */
import * as ort from 'onnxruntime-node';
import type { Runtime } from '@ved/core';

export const nodeRuntime: Runtime = {
  name: 'onnxruntime-node (cpu)',
  createSession: (model, options) =>
    ort.InferenceSession.create(model, { executionProviders: ['cpu'], graphOptimizationLevel: 'all', ...options }),
  tensor: (type, data, dims) => new ort.Tensor(type, data as never, dims),
};
