/**
 * Property-based fuzzing (fast-check, fixed seeds, a few seconds in all) of every entry point that
 * parses a weights file: the unpickler, the ZIP/torch reader, the Keras HDF5 reader and the Flax
 * msgpack reader. Inputs are random bytes and real fixture files with bytes flipped, inserted or
 * cut; the property is that a reader either succeeds or throws a `VedError`, never anything else.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { VedError } from '../errors.js';
import { openFlaxMsgpack } from './flax/flax-msgpack.js';
import { openKerasH5 } from './hdf5/keras-h5.js';
import { unpickle } from './pickle/unpickler.js';
import { bytesFile } from './random-access.js';
import { torchHooks } from './torch/torch-objects.js';
import { TorchCheckpoint } from './torch/torch-checkpoint.js';
import { StorageRef } from './torch/torch-objects.js';
import type { TensorSource } from '../safetensors/tensor-source.js';
import { ZipArchive } from './zip/zip-reader.js';
import { mutatedBytes as mutated } from '../test-utils/mutated-bytes.js';

const FIXTURES = fileURLToPath(new URL('../../../../fixtures/formats/', import.meta.url));
const read = (path: string) => new Uint8Array(readFileSync(FIXTURES + path));
const TORCH = read('torch/views.bin');
const TORCH_DEFLATED = read('torch/views-deflated.bin');
const H5 = read('vit-gpt2/tf/tf_model.h5');
const MSGPACK = read('vit-gpt2/flax/flax_model.msgpack');
const PICKLE = ZipArchive.open(bytesFile(TORCH, 'views.bin')).read('views/data.pkl', 1 << 20);

function readAll(source: TensorSource): void {
  for (const name of source.names()) {
    source.info(name);
    try {
      source.getFloat32(name);
    } catch (error) {
      // Integer tensors are refused by getFloat32 with a typed error, like any other failure.
      if (!(error instanceof VedError)) throw error;
    }
  }
}

/** Runs `fn`; true when it succeeded or threw a VedError. */
function onlyTypedErrors(fn: () => void): boolean {
  try {
    fn();
  } catch (error) {
    if (!(error instanceof VedError)) throw error;
  }
  return true;
}

async function onlyTypedErrorsAsync(fn: () => Promise<void>): Promise<boolean> {
  try {
    await fn();
  } catch (error) {
    if (!(error instanceof VedError)) throw error;
  }
  return true;
}

const hooks = torchHooks({ source: 'fuzz', storage: (key, dtype, numel, untyped) => new StorageRef(key, dtype, numel, untyped) });
const settings = (seed: number, numRuns: number) => ({ seed, numRuns, interruptAfterTimeLimit: 4000, markInterruptAsFailure: false });

describe('fuzzing: only typed errors', () => {
  it('unpickle: random bytes', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => onlyTypedErrors(() => void unpickle(bytes, { source: 'fuzz', hooks }))), settings(1, 3000));
  });

  it('unpickle: random opcode sequences from the allowed set', () => {
    const op = fc.constantFrom(...'(.GJKMNQRUXabcehj]qrstu})'.split('').map((c) => c.charCodeAt(0)), 0x80, 0x81, 0x85, 0x86, 0x87, 0x88, 0x89, 0x8a, 0x8f);
    const program = fc.array(fc.oneof(op, fc.integer({ min: 0, max: 255 })), { maxLength: 120 }).map((ops) => new Uint8Array(ops));
    fc.assert(fc.property(program, (bytes) => onlyTypedErrors(() => void unpickle(bytes, { source: 'fuzz', hooks }))), settings(2, 3000));
  });

  it("unpickle: torch's own state-dict pickle, mutated", () => {
    fc.assert(fc.property(mutated(PICKLE), (bytes) => onlyTypedErrors(() => void unpickle(bytes, { source: 'fuzz', hooks }))), settings(3, 1500));
  });

  it('ZIP + torch reader: a real .bin (stored and deflated), mutated, every tensor read', () => {
    const property = (base: Uint8Array) =>
      fc.property(mutated(base), (bytes) => onlyTypedErrors(() => readAll(TorchCheckpoint.open(bytesFile(bytes, 'fuzz.bin')))));
    fc.assert(property(TORCH), settings(4, 800));
    fc.assert(property(TORCH_DEFLATED), settings(5, 800));
  });

  it('HDF5 reader: a real tf_model.h5, mutated, every tensor read', async () => {
    await fc.assert(
      fc.asyncProperty(mutated(H5), (bytes) => onlyTypedErrorsAsync(async () => readAll(await openKerasH5(bytes, 'fuzz.h5')))),
      settings(6, 300),
    );
  });

  it('msgpack reader: a real flax_model.msgpack, mutated, every tensor read', async () => {
    await fc.assert(
      fc.asyncProperty(mutated(MSGPACK), (bytes) => onlyTypedErrorsAsync(async () => readAll(await openFlaxMsgpack(bytes, 'fuzz.msgpack')))),
      settings(7, 800),
    );
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 200 }), (bytes) => onlyTypedErrorsAsync(async () => readAll(await openFlaxMsgpack(bytes, 'fuzz.msgpack')))),
      settings(8, 1000),
    );
  });

  it('the unmutated fixtures read cleanly', async () => {
    expect(() => readAll(TorchCheckpoint.open(bytesFile(TORCH, 'views.bin')))).not.toThrow();
    readAll(await openKerasH5(H5, 'tf_model.h5'));
    readAll(await openFlaxMsgpack(MSGPACK, 'flax_model.msgpack'));
  });
});
