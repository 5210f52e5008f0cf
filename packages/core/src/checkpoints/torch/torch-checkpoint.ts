/**
 * `pytorch_model.bin`: torch's ZIP checkpoint format (torch ≥ 1.6,
 * `torch/serialization.py` `_save` / `_load`), read the way
 * `torch.load(weights_only=True)` reads it and served as a `TensorSource`.
 *
 * The archive holds `<name>/data.pkl` (the state dict, a pickle whose tensors
 * name storages by key), `<name>/data/<key>` (each storage's raw bytes,
 * stored uncompressed and 64-byte aligned by torch) and `<name>/byteorder`.
 * Only the pickle is read up front, through the restricted unpickler; a
 * tensor's bytes are read when asked for, and a contiguous float32 tensor of a
 * stored entry on local disk is handed to onnxruntime as external data (file
 * + offset), exactly as safetensors tensors are. Views (offsets, strides) and
 * storages shared by several tensors are read as torch rebuilds them.
 *
 * torch's pre-1.6 format (a tar, or a bare pickle stream starting with its
 * magic number) is refused with a message that says how to convert it.
 */
import { VedError } from '../../errors.js';
import type { SafetensorsDtype } from '../../safetensors/dtype.js';
import { missingTensorError, type TensorInfo, type TensorSource } from '../../safetensors/tensor-source.js';
import { unpickle } from '../pickle/unpickler.js';
import { PyDict, pythonTypeName } from '../pickle/values.js';
import type { RandomAccessFile } from '../random-access.js';
import { ZipArchive } from '../zip/zip-reader.js';
import { ITEMSIZE, StorageRef, TensorRef, torchHooks } from './torch-objects.js';
import { toFloat32 } from '../../safetensors/to-float32.js';
import { gatherStrided, isContiguous } from './tensor-data.js';

/** A state dict's pickle is small (~150 bytes a tensor: a few MB for 10^4 tensors); past this it is not one. */
export const MAX_PICKLE_BYTES = 32 * 1024 * 1024;

/** torch's legacy (pre-1.6) files start with the pickled magic number 0x1950a86a20f9469cfc6c (PROTO 2, LONG1 10). */
const LEGACY_MAGIC = [0x80, 0x02, 0x8a, 0x0a, 0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19];

export interface TorchTensorInfo extends TensorInfo {
  /** Zip entry of the storage. */
  readonly entry: string;
  readonly contiguous: boolean;
}

export class TorchCheckpoint implements TensorSource {
  private constructor(
    readonly fileName: string,
    private readonly archive: ZipArchive,
    private readonly tensors: ReadonlyMap<string, TensorRef>,
    private readonly prefix: string,
    private readonly littleEndian: boolean,
  ) {}

  /** Opens a `.bin` file: parses the archive's directory and the pickle; tensor bytes stay on disk. */
  static open(file: RandomAccessFile): TorchCheckpoint {
    const head = file.read(0, Math.min(file.length, 512));
    if (!ZipArchive.looksLikeZip(head)) throw notZip(file, head);
    const archive = ZipArchive.open(file);
    const first = archive.entries[0];
    const slash = first?.name.indexOf('/') ?? -1;
    if (first === undefined || slash <= 0) {
      throw new VedError('INVALID_CHECKPOINT', `${file.name} is a ZIP archive but not a torch checkpoint: its first entry is not inside a folder (torch writes <name>/data.pkl).`);
    }
    const prefix = first.name.slice(0, slash + 1);
    const pickleName = `${prefix}data.pkl`;
    if (!archive.has(pickleName)) {
      throw new VedError('INVALID_CHECKPOINT', `${file.name} is a ZIP archive but not a torch checkpoint: it has no ${pickleName}.`);
    }
    const littleEndian = readByteOrder(archive, prefix, file);
    const source = `${file.name}:${pickleName}`;
    const hooks = torchHooks({
      source,
      storage: (key, dtype, numel, untyped) => {
        const entryName = `${prefix}data/${key}`;
        if (!archive.has(entryName)) throw new VedError('INVALID_CHECKPOINT', `${source} names storage ${JSON.stringify(key)}, but the archive has no ${entryName}.`);
        const bytes = numel * (untyped ? 1 : ITEMSIZE[dtype]);
        const stored = archive.entry(entryName).uncompressedSize;
        if (!Number.isSafeInteger(bytes) || bytes !== stored) {
          throw new VedError(
            'INVALID_CHECKPOINT',
            `${source}: storage ${JSON.stringify(key)} claims ${numel} ${dtype} elements (${bytes} bytes), but ${entryName} holds ${stored} bytes.`,
          );
        }
        return new StorageRef(key, dtype, numel, untyped);
      },
    });
    const state = unpickle(archive.read(pickleName, MAX_PICKLE_BYTES), { source, hooks });
    if (!(state instanceof PyDict)) {
      throw new VedError('INVALID_CHECKPOINT', `${source} holds a ${pythonTypeName(state)}, not a state dict (a dict of tensors).`);
    }
    const tensors = new Map<string, TensorRef>();
    for (const [key, value] of state.entries.values()) {
      if (typeof key !== 'string') throw new VedError('INVALID_CHECKPOINT', `${source}: the state dict has a ${pythonTypeName(key)} key; expected tensor names.`);
      if (!(value instanceof TensorRef)) {
        throw new VedError('INVALID_CHECKPOINT', `${source}: state dict entry ${JSON.stringify(key)} is a ${pythonTypeName(value)}, not a tensor.`);
      }
      tensors.set(key, value);
    }
    return new TorchCheckpoint(file.name, archive, tensors, prefix, littleEndian);
  }

  names(): string[] {
    return [...this.tensors.keys()];
  }

  has(name: string): boolean {
    return this.tensors.has(name);
  }

  info(name: string): TorchTensorInfo {
    const t = this.tensor(name);
    return { dtype: t.dtype, shape: t.shape, entry: this.entryName(t), contiguous: isContiguous(t.shape, t.stride) };
  }

  sourceOf(name: string): string {
    this.tensor(name);
    return this.fileName;
  }

  /** The tensor's elements, contiguous, little-endian, in its own dtype. */
  getRaw(name: string): Uint8Array {
    const t = this.tensor(name);
    const itemsize = ITEMSIZE[t.dtype];
    const numel = t.shape.reduce((a, b) => a * b, 1);
    if (numel === 0) return new Uint8Array(0);
    let span = 1;
    for (let i = 0; i < t.shape.length; i++) span += (t.shape[i]! - 1) * t.stride[i]!;
    const entry = this.entryName(t);
    const bytes = this.archive.readRange(entry, t.offset * itemsize, (t.offset + span) * itemsize);
    const swapped = this.littleEndian ? bytes : swapBytes(bytes, itemsize);
    return isContiguous(t.shape, t.stride) ? swapped : gatherStrided(swapped, itemsize, t.shape, t.stride);
  }

  getFloat32(name: string): Float32Array {
    return toFloat32(this.tensor(name).dtype, this.getRaw(name), name, this.fileName);
  }

  external(name: string): { file: string; offset: number; length: number } | undefined {
    const t = this.tensor(name);
    const path = this.archive.file.localPath;
    if (path === undefined || t.dtype !== 'F32' || !this.littleEndian || !isContiguous(t.shape, t.stride)) return undefined;
    const entry = this.entryName(t);
    if (this.archive.entry(entry).method !== 0) return undefined;
    const numel = t.shape.reduce((a, b) => a * b, 1);
    if (numel === 0) return undefined;
    return { file: path, offset: this.archive.dataStart(entry) + t.offset * 4, length: numel * 4 };
  }

  private entryName(t: TensorRef): string {
    return `${this.prefix}data/${t.storage.key}`;
  }

  private tensor(name: string): TensorRef {
    const t = this.tensors.get(name);
    if (t === undefined) throw missingTensorError(name, JSON.stringify(this.fileName), this.names());
    return t;
  }
}

function readByteOrder(archive: ZipArchive, prefix: string, file: RandomAccessFile): boolean {
  const name = `${prefix}byteorder`;
  if (!archive.has(name)) return true; // torch < 2.1 wrote none: native order, little-endian everywhere ved runs
  const text = new TextDecoder().decode(archive.read(name, 16));
  if (text === 'little') return true;
  if (text === 'big') return false;
  throw new VedError('INVALID_CHECKPOINT', `${file.name}: ${name} says ${JSON.stringify(text)}, expected "little" or "big".`);
}

function notZip(file: RandomAccessFile, head: Uint8Array): VedError {
  const legacyPickle = LEGACY_MAGIC.every((b, i) => head[i] === b);
  const tar = head.length >= 262 && String.fromCharCode(...head.subarray(257, 262)) === 'ustar';
  if (legacyPickle || tar) {
    return new VedError(
      'UNSUPPORTED_CHECKPOINT',
      `${file.name} is in torch's legacy (pre-1.6, ${tar ? 'tar' : 'pickle stream'}) format, which ved does not read ` +
        '(its loader must run arbitrary pickles). Convert it once with Python: ' +
        '`torch.save(torch.load(path, weights_only=False), new_path)` for a file you trust, or ' +
        "`model.save_pretrained(dir)` after `from_pretrained` to get model.safetensors.",
    );
  }
  return new VedError('INVALID_CHECKPOINT', `${file.name} is not a torch checkpoint: it is neither a ZIP archive (torch ≥ 1.6) nor torch's legacy format.`);
}

function swapBytes(bytes: Uint8Array, itemsize: number): Uint8Array {
  if (itemsize === 1) return bytes;
  const out = new Uint8Array(bytes.length);
  for (let i = 0; i < bytes.length; i += itemsize) for (let j = 0; j < itemsize; j++) out[i + j] = bytes[i + itemsize - 1 - j]!;
  return out;
}

export type { SafetensorsDtype };
