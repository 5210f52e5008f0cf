/**
 * Which weights a model directory is loaded from: safetensors (ved builds the
 * graphs) or an ONNX export (the graphs are given). A directory with both
 * uses the safetensors unless asked otherwise.
 */
import { VedError } from '../errors.js';
import type { ModelFiles } from '../io/model-files.js';
import { SAFETENSORS_FILE, SAFETENSORS_INDEX_FILE } from '../model/weights-loader.js';
import { DEFAULT_SUBFOLDER, hasOnnxExport } from './layout.js';
import { hasTfOrFlaxWeights, hasTorchWeights } from '../checkpoints/weights-files.js';

export type ModelFormat = 'safetensors' | 'onnx';

export async function resolveModelFormat(files: ModelFiles, requested?: string, subfolder = DEFAULT_SUBFOLDER): Promise<ModelFormat> {
  if (requested !== undefined && requested !== 'safetensors' && requested !== 'onnx') {
    throw new VedError('INVALID_OPTION', `format ${JSON.stringify(requested)} is not one of "safetensors", "onnx".`);
  }
  if (requested === 'safetensors') return requested;
  // 'safetensors' means the checkpoint's weights (ved builds the graphs): PyTorch weights win over an
  // ONNX export, which wins over TF/Flax weights (those load with a warning).
  if (requested === undefined && ((await files.exists(SAFETENSORS_FILE)) || (await files.exists(SAFETENSORS_INDEX_FILE)) || (await hasTorchWeights(files)))) return 'safetensors';
  if (await hasOnnxExport(files, subfolder)) return 'onnx';
  if (requested === undefined && (await hasTfOrFlaxWeights(files))) return 'safetensors';
  if (requested === 'onnx') {
    throw new VedError(
      'FILE_NOT_FOUND',
      `format "onnx" was asked for, but ${files.location} has no ONNX export (${subfolder}/encoder_model*.onnx with ${subfolder}/decoder_model_merged*.onnx).`,
    );
  }
  throw new VedError(
    'FILE_NOT_FOUND',
    `No weights in ${files.location}: expected ${SAFETENSORS_FILE}, ${SAFETENSORS_INDEX_FILE}, or an ONNX export (${subfolder}/encoder_model.onnx and ${subfolder}/decoder_model_merged.onnx); ` +
      'pytorch_model.bin, pytorch_model.bin.index.json, tf_model.h5 and flax_model.msgpack are read too.',
  );
}
