/** The conformance suite on Node: backend-node's runtime, directory files and sharp decoder. */
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, it } from 'vitest';
import { DirectoryFiles, decodeImage, nodeRuntime } from '@ved/backend-node';
import { conformanceChecks, disposeModels, type ConformanceEnv } from './index.js';

const FIXTURES = fileURLToPath(new URL('../../../fixtures/', import.meta.url));

const env: ConformanceEnv = {
  name: 'backend-node',
  runtime: nodeRuntime,
  modelFiles: async (name) => new DirectoryFiles(`${FIXTURES}models/${name}`),
  fixture: async (path) => new Uint8Array(await readFile(FIXTURES + path)),
  decodeImage: (bytes, name) => decodeImage(bytes, name),
};

describe('conformance: backend-node', () => {
  afterAll(() => disposeModels(env));
  for (const check of conformanceChecks) {
    it(check.name, async () => {
      await check.run(env);
    });
  }
});
