/**
 * Checkpoints as transformers 4.x left them, read by the backend as
 * transformers 5.18 reads them: tokenizers saved without tokenizer.json
 * (fixtures/tokenizers, tools/reference/make_tokenizer_fixtures.py) and
 * preprocessor_config.json files written by feature extractors
 * (fixtures/processing-legacy, tools/reference/make_legacy_processor_fixtures.py),
 * the images decoded by the backend's own decoder.
 */
import { ImageProcessor, Tokenizer, parseSafetensors, type RawImage } from '@ved/core';
import { assert, assertClose } from '../assert.js';
import { MemoryFiles } from '../memory-files.js';
import type { Check, ConformanceEnv } from '../types.js';

const text = new TextDecoder();
const json = async (env: ConformanceEnv, path: string) => JSON.parse(text.decode(await env.fixture(path)));

interface TokenizerReference {
  tokenizer_class: string;
  tokenizer_json: unknown;
  cases: { text: string; ids: number[]; decoded: string; decoded_skip: string }[];
}

interface ProcessorCase {
  id: string;
  images: string[];
  config: Record<string, unknown>;
  processor_class: string;
  shape?: number[];
  error?: { type: string; message: string };
}

export const legacyCheckpointChecks: Check[] = [
  {
    name: 'slow tokenizers: vocab files (BPE, WordPiece, SentencePiece) convert to Python\'s tokenizer.json, ids and texts',
    async run(env) {
      const index = (await json(env, 'tokenizers/index.json')) as { kinds: Record<string, string[]> };
      const kinds = Object.entries(index.kinds);
      assert(kinds.length >= 15, `fixtures/tokenizers/index.json lists ${kinds.length} kinds, expected at least 15`);
      let strings = 0;
      for (const [kind, names] of kinds) {
        const files = new Map<string, Uint8Array>();
        for (const name of names) files.set(name, await env.fixture(`tokenizers/${kind}/${name}`));
        const ref = (await json(env, `tokenizers/${kind}/reference.json`)) as TokenizerReference;
        const tokenizer = await Tokenizer.fromFiles(new MemoryFiles(`tokenizers/${kind}`, files));
        assert(tokenizer !== undefined, `${kind}: no tokenizer found`);
        assert(
          tokenizer.source.kind === 'converted' && tokenizer.source.tokenizerClass === ref.tokenizer_class,
          `${kind}: converted as ${JSON.stringify(tokenizer.source)}, expected ${ref.tokenizer_class}`,
        );
        assert(sameJson(tokenizer.tokenizerJson, ref.tokenizer_json), `${kind}: tokenizer.json differs from Python's`);
        for (const c of ref.cases) {
          const ids = tokenizer.encode(c.text);
          assert(JSON.stringify(ids) === JSON.stringify(c.ids), `${kind}: ${JSON.stringify(c.text)} encodes to [${ids}], Python [${c.ids}]`);
          const skip = tokenizer.decode(c.ids, { skipSpecialTokens: true });
          assert(skip === c.decoded_skip, `${kind}: decode(skip_special_tokens) of ${JSON.stringify(c.text)} is ${JSON.stringify(skip)}, Python ${JSON.stringify(c.decoded_skip)}`);
          const all = tokenizer.decode(c.ids);
          assert(all === c.decoded, `${kind}: decode of ${JSON.stringify(c.text)} is ${JSON.stringify(all)}, Python ${JSON.stringify(c.decoded)}`);
          strings++;
        }
      }
      return `${kinds.length} tokenizers, ${strings} strings`;
    },
  },
  {
    name: 'legacy processor configs: 4.x feature-extractor preprocessor_config.json files give Python\'s pixel_values',
    async run(env) {
      const meta = (await json(env, 'processing-legacy/cases.json')) as { cases: ProcessorCase[] };
      const expected = parseSafetensors(await env.fixture('processing-legacy/expected.safetensors'), 'processing-legacy/expected.safetensors');
      const decoded = new Map<string, RawImage>();
      const image = async (name: string) => {
        if (!decoded.has(name)) decoded.set(name, await env.decodeImage(await env.fixture(`images/${name}`), name));
        return decoded.get(name)!;
      };
      let worst = 0;
      for (const c of meta.cases) {
        const images = await Promise.all(c.images.map(image));
        if (c.error !== undefined) {
          let failed = false;
          try {
            (await ImageProcessor.load(c.config)).preprocess(images);
          } catch {
            failed = true;
          }
          assert(failed, `${c.id}: Python raised ${c.error.type} (${c.error.message}); the backend did not fail`);
          continue;
        }
        const processor = await ImageProcessor.load(c.config);
        assert(`${processor.config.imageProcessorType}Pil` === c.processor_class, `${c.id}: ${processor.config.imageProcessorType}, Python ${c.processor_class}`);
        const out = processor.preprocess(images);
        assert(JSON.stringify(out.dims) === JSON.stringify(c.shape), `${c.id}: shape [${out.dims}], Python [${c.shape}]`);
        worst = Math.max(worst, assertClose(out.data, expected.getFloat32(c.id), 1e-5, `${c.id} pixel_values`));
      }
      return `${meta.cases.length} configs, max |diff| ${worst.toExponential(2)}`;
    },
  },
];

/** Deep equality of JSON values, key order ignored, -0 and 0 alike (Python writes -0.0 where JavaScript writes 0). */
function sameJson(a: unknown, b: unknown): boolean {
  if (typeof a === 'number' && typeof b === 'number') return a === b;
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => sameJson(x, b[i]));
  if (a !== null && b !== null && typeof a === 'object' && typeof b === 'object') {
    const ka = Object.keys(a as object).sort();
    const kb = Object.keys(b as object).sort();
    return ka.length === kb.length && ka.every((k, i) => k === kb[i] && sameJson((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]));
  }
  return a === b;
}
