/**
 * What the checks run on in Node without a ved backend: onnxruntime-node's CPU
 * provider behind core's `Runtime`, and a checkpoint directory as
 * `ModelFiles`. The kit carries these few lines itself, rather than importing
 * @ved/backend-node, so that an architecture package can take the kit as a
 * devDependency while the backend depends on that architecture (no cycle).
 */
import { readFile, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import * as ort from 'onnxruntime-node';
import { VedError, type ModelFiles, type Runtime } from '@ved/core';

/** onnxruntime-node on the CPU, all graph optimisations on (as @ved/backend-node runs models). */
export const nodeTestRuntime: Runtime = {
  name: 'onnxruntime-node (cpu, @ved/testing)',
  createSession: (model, options) =>
    ort.InferenceSession.create(model, { executionProviders: ['cpu'], graphOptimizationLevel: 'all', ...(options as ort.InferenceSession.SessionOptions) }),
  tensor: (type, data, dims) => new ort.Tensor(type, data as never, dims),
};

/** The files of a checkpoint directory, read whole (fixtures are small). */
export function directoryFiles(dir: string): ModelFiles {
  const location = resolve(dir);
  return {
    location,
    async exists(name) {
      try {
        return (await stat(join(location, name))).isFile();
      } catch {
        return false;
      }
    },
    async readBytes(name) {
      const path = join(location, name);
      try {
        const buf = await readFile(path);
        return new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
      } catch (cause) {
        throw new VedError('FILE_NOT_FOUND', `File not found: ${path} (the checkpoint in ${location} needs ${name}).`, { cause });
      }
    },
  };
}
