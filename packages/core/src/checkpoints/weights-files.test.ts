/**
 * Which weights file loads, in transformers' order, over HTTP (HttpFiles, as the browser backend
 * and the hub loader read models): safetensors, then pytorch_model.bin (single, then sharded),
 * then tf_model.h5, then flax_model.msgpack, the last two with one warning.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HttpFiles } from '../io/http/http-files.js';
import { loadWeights } from '../model/weights-loader.js';
import { serializeSafetensors } from '../safetensors/writer.js';
import { ConvertedTensors } from './converted-tensors.js';
import { TorchCheckpoint } from './torch/torch-checkpoint.js';

const FORMATS = fileURLToPath(new URL('../../../../fixtures/formats/vit-gpt2/', import.meta.url));
const dir = (format: string) => new Map(readdirSync(FORMATS + format).map((name) => [name, new Uint8Array(readFileSync(`${FORMATS}${format}/${name}`))]));
const safetensors = serializeSafetensors([{ name: 'w', dtype: 'F32', shape: [1], data: Float32Array.from([1]) }]);

/** Repositories on the test server, each a set of files. */
const REPOS: Record<string, Map<string, Uint8Array>> = {
  'org/all': new Map([...dir('bin'), ...dir('tf'), ...dir('flax'), ['model.safetensors', safetensors]]),
  'org/bin-and-tf': new Map([...dir('bin'), ...dir('tf'), ...dir('flax')]),
  'org/sharded': new Map([...dir('bin-sharded'), ...dir('flax')]),
  'org/tf-and-flax': new Map([...dir('tf'), ...dir('flax')]),
  'org/flax': dir('flax'),
  'org/none': new Map([['config.json', new TextEncoder().encode('{}')]]),
  'org/tf-sharded': new Map([['tf_model.h5.index.json', new TextEncoder().encode('{}')]]),
};

let server: Server;
let endpoint: string;

beforeAll(async () => {
  server = createServer((req, res) => {
    const m = /^\/(org\/[^/]+)\/resolve\/main\/(.+)$/.exec(new URL(req.url!, 'http://x').pathname);
    const body = m ? REPOS[m[1]!]?.get(decodeURIComponent(m[2]!)) : undefined;
    if (body === undefined) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'content-length': String(body.length) });
    res.end(req.method === 'HEAD' ? undefined : body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

async function load(repo: string) {
  const warnings: string[] = [];
  const weights = await loadWeights(new HttpFiles(repo, { endpoint }), { onWarning: (message) => void warnings.push(message) });
  return { weights, warnings };
}

describe('weights precedence over HTTP', () => {
  it('model.safetensors first', async () => {
    const { weights, warnings } = await load('org/all');
    expect(weights.names()).toEqual(['w']);
    expect(warnings).toEqual([]);
  });

  it('then pytorch_model.bin, over TF and Flax weights', async () => {
    const { weights, warnings } = await load('org/bin-and-tf');
    expect(weights).toBeInstanceOf(TorchCheckpoint);
    expect(weights.external?.('encoder.embeddings.cls_token')).toBeUndefined(); // read whole: not a local file
    expect(warnings).toEqual([]);
  });

  it('then the shards of pytorch_model.bin.index.json', async () => {
    const { weights, warnings } = await load('org/sharded');
    expect(weights.names()).toContain('decoder.transformer.wte.weight');
    expect(warnings).toEqual([]);
  });

  it('then tf_model.h5, with one warning', async () => {
    const { weights, warnings } = await load('org/tf-and-flax');
    expect(weights).toBeInstanceOf(ConvertedTensors);
    expect((weights as ConvertedTensors).fileName).toMatch(/tf_model\.h5$/);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain('tf_model.h5');
  });

  it('then flax_model.msgpack, with one warning', async () => {
    const { weights, warnings } = await load('org/flax');
    expect((weights as ConvertedTensors).fileName).toMatch(/flax_model\.msgpack$/);
    expect(warnings).toHaveLength(1);
  });

  it('none: FILE_NOT_FOUND listing every name; sharded TF/Flax: UNSUPPORTED_CHECKPOINT', async () => {
    await expect(load('org/none')).rejects.toMatchObject({ code: 'FILE_NOT_FOUND', message: expect.stringContaining('pytorch_model.bin, pytorch_model.bin.index.json, tf_model.h5, flax_model.msgpack') });
    await expect(load('org/tf-sharded')).rejects.toMatchObject({ code: 'UNSUPPORTED_CHECKPOINT' });
  });
});
