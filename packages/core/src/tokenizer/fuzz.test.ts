/**
 * Property-based fuzzing (fast-check, fixed seeds) of loading a checkpoint's tokenizer: its
 * `tokenizer.json`, or the slow files converted (`vocab.json` + `merges.txt`, `vocab.txt`,
 * SentencePiece models, `tokenizer_config.json`, `added_tokens.json`, `special_tokens_map.json`),
 * each a real fixture file with bytes flipped, removed or cut, or a JSON value of any shape. The
 * property: loading either succeeds or throws a `VedError`, and a tokenizer that loads encodes text
 * and decodes any ids without throwing anything else. Fixed seed; `FUZZ_SEED=n` tries another.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { describe, it } from 'vitest';
import { VedError } from '../errors.js';
import type { ModelFiles } from '../io/model-files.js';
import { Tokenizer } from './tokenizer.js';
import { mutatedBytes } from '../test-utils/mutated-bytes.js';

const FIXTURES = fileURLToPath(new URL('../../../../fixtures/', import.meta.url));

function readDir(dir: string): Record<string, Uint8Array> {
  const files: Record<string, Uint8Array> = {};
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.isFile() && /^(tokenizer|tokenizer_config|special_tokens_map|added_tokens|vocab|merges|sentencepiece|spiece|config)\b/.test(entry.name)) {
      files[entry.name] = new Uint8Array(readFileSync(dir + entry.name));
    }
  }
  return files;
}

const SLOW = Object.fromEntries(
  readdirSync(`${FIXTURES}tokenizers/`, { withFileTypes: true })
    .filter((e) => e.isDirectory())
    .map((e) => [e.name, readDir(`${FIXTURES}tokenizers/${e.name}/`)]),
);
const FAST = {
  'default-model': { 'tokenizer.json': new Uint8Array(readFileSync(`${FIXTURES}../packages/default-model/model/tokenizer.json`)) },
  'deit-xlmr': readDir(`${FIXTURES}onnx/deit-xlmr/`),
  'deit-bert': readDir(`${FIXTURES}onnx/deit-bert/`),
  'vit-gpt2-a': readDir(`${FIXTURES}onnx/vit-gpt2-a/`),
  'deit-mbart': readDir(`${FIXTURES}onnx/deit-mbart/`),
};

function memory(files: Record<string, Uint8Array>): ModelFiles {
  return {
    location: 'mem',
    exists: async (name) => name in files,
    readBytes: async (name) => {
      const bytes = files[name];
      if (bytes === undefined) throw new VedError('FILE_NOT_FOUND', `File not found: mem/${name}.`);
      return bytes;
    },
  };
}

/** Every path to a value in a JSON document. */
function paths(value: unknown, prefix: (string | number)[] = [], out: (string | number)[][] = []): (string | number)[][] {
  out.push(prefix);
  if (Array.isArray(value)) value.slice(0, 16).forEach((v, i) => paths(v, [...prefix, i], out));
  else if (value !== null && typeof value === 'object') for (const [k, v] of Object.entries(value)) if (out.length < 4096) paths(v, [...prefix, k], out);
  return out;
}

/** The JSON document with the value at one of its paths replaced (or removed, when `replacement` is undefined). */
function replaced(doc: unknown, path: readonly (string | number)[], replacement: unknown): unknown {
  if (path.length === 0) return replacement ?? null;
  const copy = structuredClone(doc) as Record<string | number, unknown>;
  let node = copy;
  for (const key of path.slice(0, -1)) node = node[key] as Record<string | number, unknown>;
  const last = path[path.length - 1]!;
  if (replacement === undefined) {
    if (Array.isArray(node)) node.splice(last as number, 1);
    else delete node[last];
  } else node[last] = replacement;
  return copy;
}

const JSON_FILES = /\.json$/;


async function exercise(files: Record<string, Uint8Array>, ids: readonly number[]): Promise<void> {
  let tokenizer: Tokenizer | undefined;
  try {
    tokenizer = await Tokenizer.fromFiles(memory(files));
  } catch (err) {
    if (!(err instanceof VedError)) throw err;
    return;
  }
  if (tokenizer === undefined) return;
  try {
    tokenizer.encode('Hello world, 12.5% of $3,400!');
    tokenizer.decode(ids);
    tokenizer.decode(ids, { skipSpecialTokens: true });
  } catch (err) {
    if (!(err instanceof VedError)) throw err;
  }
}

describe('tokenizer loading under fuzzing', () => {
  const sets = { ...SLOW, ...FAST } as Record<string, Record<string, Uint8Array>>;
  for (const [name, files] of Object.entries(sets)) {
    it(`${name}: each file mutated`, async () => {
      const names = Object.keys(files);
      await fc.assert(
        fc.asyncProperty(
          fc.constantFrom(...names).chain((file) => fc.tuple(fc.constant(file), mutatedBytes(files[file]!))),
          fc.array(fc.integer({ min: -2, max: 300_000 }), { maxLength: 8 }),
          async ([file, bytes], ids) => {
            await exercise({ ...files, [file]: bytes }, ids);
          },
        ),
        { seed: Number(process.env.FUZZ_SEED ?? 20261207), numRuns: 150 },
      );
    });
  }
});

describe('tokenizer loading under fuzzing of JSON values', () => {
  const sets = { ...SLOW, ...FAST } as Record<string, Record<string, Uint8Array>>;
  for (const [name, files] of Object.entries(sets)) {
    const jsonNames = Object.keys(files).filter((f) => JSON_FILES.test(f));
    if (jsonNames.length === 0) continue;
    it(`${name}: one value of a JSON file replaced or removed`, async () => {
      const docs = Object.fromEntries(jsonNames.map((f) => [f, JSON.parse(new TextDecoder().decode(files[f]))]));
      const all = Object.fromEntries(jsonNames.map((f) => [f, paths(docs[f])]));
      const replacement = fc.option(fc.oneof(fc.jsonValue({ maxDepth: 2 }), fc.integer({ min: -3, max: 4096 }), fc.constantFrom('', 'BPE', 'WordPiece', 'Unigram', 'ByteLevel', 'Metaspace', 'Sequence', '<unk>', '[UNK]')), { nil: undefined });
      await fc.assert(
        fc.asyncProperty(fc.constantFrom(...jsonNames), fc.nat(), replacement, fc.array(fc.integer({ min: -2, max: 1000 }), { maxLength: 8 }), async (file, at, value, ids) => {
          const path = all[file]![at % all[file]!.length]!;
          const doc = replaced(docs[file], path, value);
          await exercise({ ...files, [file]: new TextEncoder().encode(JSON.stringify(doc)) }, ids);
        }),
        { seed: Number(process.env.FUZZ_SEED ?? 20261207), numRuns: 150 },
      );
    });
  }
});
