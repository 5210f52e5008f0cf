/** The conformance suite on Node: backend-node's runtime, directory files and sharp decoder. */
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, it } from 'vitest';
import { pathToFileURL } from 'node:url';
import { DirectoryFiles, ImageToText, decodeImage, nodeRuntime, pipeline } from '@ved/backend-node';
import { conformanceChecks, disposeModels, type ConformanceEnv } from './index.js';

const FIXTURES = fileURLToPath(new URL('../../../fixtures/', import.meta.url));

const env: ConformanceEnv = {
  name: 'backend-node',
  runtime: nodeRuntime,
  modelFiles: async (name) => new DirectoryFiles(`${FIXTURES}models/${name}`),
  fixture: async (path) => new Uint8Array(await readFile(FIXTURES + path)),
  decodeImage: (bytes, name) => decodeImage(bytes, name),
  pipelines: {
    fromPretrained: (files) => ImageToText.fromPretrained(files) as Promise<never>,
    pipeline: (files) => pipeline('image-to-text', files) as Promise<never>,
    image: (path) => FIXTURES + path,
    async imageKinds(path) {
      const bytes = await readFile(FIXTURES + path);
      const raw = await decodeImage(new Uint8Array(bytes), path);
      return {
        fileUrlString: pathToFileURL(FIXTURES + path).href,
        fileUrl: pathToFileURL(FIXTURES + path),
        dataUrl: `data:image/${path.endsWith('.png') ? 'png' : 'jpeg'};base64,${bytes.toString('base64')}`,
        buffer: bytes,
        uint8Array: new Uint8Array(bytes),
        arrayBuffer: bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength),
        blob: new Blob([bytes]),
        rawImage: raw,
      };
    },
  },
};

describe('conformance: backend-node', () => {
  afterAll(() => disposeModels(env));
  for (const check of conformanceChecks) {
    it(check.name, async () => {
      await check.run(env);
    });
  }
});
