/**
 * `tf_model.h5`: the HDF5 file Keras 2's `save_weights` writes for a
 * transformers 4.x TF model (`TFPreTrainedModel.save_pretrained`), read with
 * jsfive (pure JavaScript, runs on Node and in browsers, loaded only when an
 * h5 file is read). Layout (`keras/saving/hdf5_format.py`
 * `save_weights_to_hdf5_group`): the root attribute `layer_names`, a group
 * per layer with the attribute `weight_names` (attributes over 64 KB are split
 * into `name0`, `name1`, …), and a dataset per variable at
 * `<layer>/<variable name>`. Variables are renamed and transposed to
 * PyTorch's names and layouts as transformers 4.x does (`tf-weight-names.ts`).
 */
import { VedError } from '../../errors.js';
import type { SafetensorsDtype } from '../../safetensors/dtype.js';
import { ConvertedTensors, type ConvertedTensor } from '../converted-tensors.js';
import { transposeAxes, tfToPytorchName } from './tf-weight-names.js';

type Jsfive = typeof import('jsfive');
let jsfive: Promise<Jsfive> | undefined;

export interface KerasH5Options {
  /** The encoder's `model_type` of a composed checkpoint (its TF main layer's name). */
  encoderModelType?: string;
}

/** Opens a Keras HDF5 weights file held in memory; tensors are decoded when read. */
export async function openKerasH5(bytes: Uint8Array, fileName: string, options: KerasH5Options = {}): Promise<ConvertedTensors> {
  const h5 = await (jsfive ??= import('jsfive'));
  const invalid = (detail: string, cause?: unknown) =>
    new VedError('INVALID_CHECKPOINT', `${fileName} is not a Keras HDF5 weights file: ${detail}.`, cause === undefined ? undefined : { cause });
  const guard = <T>(what: string, fn: () => T): T => {
    try {
      return fn();
    } catch (error) {
      if (error instanceof VedError) throw error;
      // jsfive throws strings and plain Errors on malformed files.
      throw invalid(`${what} failed (${error instanceof Error ? error.message : String(error)})`, error);
    }
  };
  const buffer = bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength ? (bytes.buffer as ArrayBuffer) : bytes.slice().buffer;
  const file = guard('reading the HDF5 superblock', () => new h5.File(buffer, fileName));
  const layerNames = guard('reading attribute layer_names', () => stringsAttribute(file.attrs, 'layer_names'));
  if (layerNames === undefined) throw invalid('its root has no "layer_names" attribute (sharded TF checkpoints, tf_model.h5.index.json, are not read)');

  const tensors = new Map<string, ConvertedTensor>();
  for (const layer of layerNames) {
    const group = guard(`opening layer ${JSON.stringify(layer)}`, () => file.get(layer));
    if (!(group instanceof h5.Group)) throw invalid(`layer ${JSON.stringify(layer)} is not a group`);
    const weightNames = guard(`reading ${layer}'s weight_names`, () => stringsAttribute(group.attrs, 'weight_names')) ?? [];
    for (const weightName of weightNames) {
      const path = `${layer}/${weightName}`;
      const dataset = guard(`opening dataset ${JSON.stringify(path)}`, () => file.get(path));
      if (!(dataset instanceof h5.Dataset)) throw invalid(`${JSON.stringify(path)} is not a dataset`);
      const shape = guard(`reading ${path}'s shape`, () => [...dataset.shape]);
      const dtype = floatDtype(guard(`reading ${path}'s dtype`, () => dataset.dtype));
      if (dtype === undefined) {
        throw new VedError('UNSUPPORTED_DTYPE', `${fileName}: ${path} has dtype ${JSON.stringify(dataset.dtype)}; ved reads float16/32/64 TF weights.`);
      }
      if (!shape.every((d) => Number.isSafeInteger(d) && d >= 0)) throw invalid(`${path} has shape [${shape.join(', ')}]`);
      // A dataset cannot hold more than the file does (gzip-filtered chunks expand ~1000:1 at most):
      // refuse a shape that claims otherwise before jsfive allocates for it.
      const bytesNeeded = shape.reduce((a, b) => a * b, 1) * { F16: 2, F32: 4, F64: 8 }[dtype as 'F16' | 'F32' | 'F64'];
      if (!(bytesNeeded <= bytes.length * 1032)) throw invalid(`${path} has shape [${shape.join(', ')}], more data than a ${bytes.length}-byte file can hold`);
      const { name, transpose } = tfToPytorchName(weightName, shape, options.encoderModelType);
      if (tensors.has(name)) throw invalid(`two variables map to the PyTorch weight ${JSON.stringify(name)}`);
      const axes = transposeAxes(transpose, shape.length);
      if (axes !== undefined && axes.length !== shape.length) {
        throw invalid(`${path} has shape [${shape.join(', ')}], which a ${transpose} transpose cannot apply to`);
      }
      tensors.set(name, {
        storedName: path,
        storedShape: shape,
        dtype,
        ...(axes !== undefined ? { axes } : {}),
        read: () => guard(`reading ${path}`, () => Float32Array.from(dataset.value as ArrayLike<number>)),
      });
    }
  }
  return new ConvertedTensors(fileName, tensors);
}

/** A string-array attribute, or its chunks `name0`, `name1`, … (`load_attributes_from_hdf5_group`). */
function stringsAttribute(attrs: Record<string, unknown>, name: string): string[] | undefined {
  const own = (key: string) => (Object.hasOwn(attrs, key) ? attrs[key] : undefined);
  let values: unknown[] | undefined;
  const whole = own(name);
  if (whole !== undefined) values = Array.isArray(whole) ? whole : [whole];
  else if (own(`${name}0`) !== undefined) {
    values = [];
    for (let i = 0; own(`${name}${i}`) !== undefined; i++) {
      const chunk = own(`${name}${i}`);
      values.push(...(Array.isArray(chunk) ? chunk : [chunk]));
    }
  }
  if (values === undefined) return undefined;
  return values.map((value) => {
    if (typeof value === 'string') return value.replace(/\0+$/, ''); // numpy 'S' strings are NUL-padded
    if (value instanceof Uint8Array) return new TextDecoder().decode(value).replace(/\0+$/, '');
    throw new VedError('INVALID_CHECKPOINT', `attribute ${name} holds a ${typeof value}, expected strings`);
  });
}

function floatDtype(dtype: unknown): SafetensorsDtype | undefined {
  if (typeof dtype !== 'string') return undefined;
  const match = /^[<>|=]?f([248])$/.exec(dtype);
  return match === null ? undefined : ({ '2': 'F16', '4': 'F32', '8': 'F64' } as const)[match[1] as '2' | '4' | '8'];
}
