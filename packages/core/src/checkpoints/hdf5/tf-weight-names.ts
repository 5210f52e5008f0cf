/**
 * TensorFlow variable names and layouts to PyTorch's, exactly as transformers
 * 4.x does in `modeling_tf_pytorch_utils.py` (`convert_tf_weight_name_to_pt_weight_name`,
 * `apply_transpose` with `pt_to_tf=False`), and the VisionEncoderDecoder
 * handling of `VisionEncoderDecoderModel.from_pretrained(from_tf=True)`
 * (`modeling_vision_encoder_decoder.py`): the encoder and decoder are loaded as
 * separate models, so a composed model's `tf_vision_encoder_decoder_model/encoder/<main layer>/...`
 * loses the TF main layer (named after the encoder's `model_type`, as
 * `TFVisionEncoderDecoderModel.tf_to_pt_weight_rename` assumes) the way a
 * PyTorch base model's `start_prefix_to_remove` does.
 */
import { VedError } from '../../errors.js';

export type TransposeType = 'no' | 'simple' | 'conv1d' | 'conv2d';

/** `convert_tf_weight_name_to_pt_weight_name(tf_name, start_prefix_to_remove, tf_weight_shape)`. */
export function convertTfWeightName(
  tfName: string,
  startPrefixToRemove: string,
  tfShape: readonly number[],
): { name: string; transpose: TransposeType } {
  let name = tfName.replaceAll(':0', '');
  if ((name.length > 2048 && name.includes('___')) || name.split('___').length - 1 > 10) {
    throw new VedError('INVALID_CHECKPOINT', `TF variable name is too long or contains too many ___ separators: ${tfName.slice(0, 200)}`);
  }
  // '$1___$2' is replaced by $2: one left-to-right pass of non-overlapping matches, as re.sub.
  name = name.replace(/\/[^/]*___([^/]*)\//g, '/$1/');
  name = name.replaceAll('_._', '/');
  name = name.replace(/\/\/+/g, '/');
  let parts = name.split('/');
  if (parts.length > 1) parts = parts.slice(1); // remove level zero
  const last = parts[parts.length - 1]!;
  let transpose: TransposeType;
  if (last === 'kernel' && tfShape.length === 4) transpose = 'conv2d';
  else if (last === 'kernel' && tfShape.length === 3) transpose = 'conv1d';
  else if (['kernel', 'pointwise_kernel', 'depthwise_kernel'].includes(last) || parts.includes('emb_projs') || parts.includes('out_projs')) transpose = 'simple';
  else transpose = 'no';
  if (last === 'kernel' || last === 'embeddings' || last === 'gamma') parts[parts.length - 1] = 'weight';
  if (last === 'beta') parts[parts.length - 1] = 'bias';
  if (last === 'pointwise_kernel' || last === 'depthwise_kernel') parts[parts.length - 1] = last.replace('_kernel', '.weight');
  let joined = parts.join('.');
  if (startPrefixToRemove !== '') joined = joined.replace(startPrefixToRemove, '');
  return { name: joined, transpose };
}

/** PyTorch axis i is TF axis `axes[i]` (`apply_transpose(..., pt_to_tf=False)`); undefined for no change. */
export function transposeAxes(transpose: TransposeType, rank: number): number[] | undefined {
  switch (transpose) {
    case 'conv2d':
      return [3, 2, 0, 1];
    case 'conv1d':
      return [2, 1, 0];
    case 'simple':
      // numpy's transpose with no axes reverses them all
      return Array.from({ length: rank }, (_, i) => rank - 1 - i);
    case 'no':
      return undefined;
  }
}

/**
 * The PyTorch name of a variable of a TF checkpoint. For a composed
 * `TFVisionEncoderDecoderModel` (second scope `encoder` / `decoder`), the
 * encoder's and decoder's own names under `encoder.` / `decoder.`; otherwise
 * the name of the PyTorch model with its head (prefixes are matched later,
 * as for any checkpoint).
 */
export function tfToPytorchName(tfName: string, tfShape: readonly number[], encoderModelType: string | undefined): { name: string; transpose: TransposeType } {
  const scopes = tfName.split('/');
  const side = scopes[1];
  if (scopes.length > 3 && (side === 'encoder' || side === 'decoder')) {
    // The standalone model's names: `<model>/<rest>` with the composed model's two scopes dropped.
    const standalone = `model/${scopes.slice(2).join('/')}`;
    const mainLayer = side === 'encoder' ? (encoderModelType ?? scopes[2]) : undefined;
    const converted = convertTfWeightName(standalone, mainLayer !== undefined ? `${mainLayer}.` : '', tfShape);
    return { name: `${side}.${converted.name}`, transpose: converted.transpose };
  }
  return convertTfWeightName(tfName, '', tfShape);
}
