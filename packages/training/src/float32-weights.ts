/**
 * Training computes in float32, and the gradient engine trains float32
 * weights only: a checkpoint stored in float16 or bfloat16 (ved's default
 * model keeps float16) is trained from its weights converted to float32 (an
 * exact conversion), and its fine-tuned checkpoint is saved in float32, as
 * PyTorch trains and saves a model loaded with `torch_dtype=torch.float32`.
 */
import { InMemoryTensors, TensorUnion, VisionEncoderDecoderModel, type Runtime } from '@ved/core';

const HALF = new Set(['F16', 'BF16']);

/** `model` itself when every weight is float32; else the same model over float32 copies of its half-precision weights. */
export async function withFloat32Weights(model: VisionEncoderDecoderModel, runtime: Runtime): Promise<VisionEncoderDecoderModel> {
  const half = model.weights.names().filter((n) => HALF.has(model.weights.info(n).dtype));
  if (half.length === 0) return model;
  const converted = new InMemoryTensors('float32 copies of the half-precision weights');
  for (const name of half) converted.set(name, model.weights.info(name).shape, Float32Array.from(model.weights.getFloat32(name)));
  const weights = new TensorUnion([
    { source: converted, from: '', to: '' },
    { source: model.weights, from: '', to: '' },
  ]);
  const generationConfigJson = model.generationConfigJson;
  return VisionEncoderDecoderModel.fromWeights(model.config, weights, runtime, generationConfigJson ? { generationConfigJson } : {});
}
