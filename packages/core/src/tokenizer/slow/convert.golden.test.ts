/**
 * Tokenizers saved without tokenizer.json (4.x slow files) against
 * transformers 5.18: the converted tokenizer.json equals the one Python's
 * `AutoTokenizer.from_pretrained(dir)` builds (and `save_pretrained` writes),
 * and ids and decoded strings over 40 strings (spaces, punctuation, digits,
 * accents, CJK, emoji, special-token text) equal Python's.
 * Fixtures: tools/reference/make_tokenizer_fixtures.py → fixtures/tokenizers.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { VedError } from '../../errors.js';
import type { ModelFiles } from '../../io/model-files.js';
import { Tokenizer } from '../tokenizer.js';
import { convertSlowTokenizer } from './convert.js';

const DIR = fileURLToPath(new URL('../../../../../fixtures/tokenizers/', import.meta.url));

interface Reference {
  tokenizer_class: string;
  tokenizer_json: Record<string, unknown>;
  cases: { text: string; ids: number[]; decoded: string; decoded_skip: string }[];
}

export function dirFiles(dir: string): ModelFiles {
  return {
    location: dir,
    exists: async (name) => existsSync(`${dir}/${name}`) && name !== 'reference.json',
    readBytes: async (name) => {
      if (!existsSync(`${dir}/${name}`)) throw new VedError('FILE_NOT_FOUND', `File not found: ${dir}/${name}.`);
      return new Uint8Array(readFileSync(`${dir}/${name}`));
    },
  };
}

const kinds = readdirSync(DIR).filter((k) => existsSync(`${DIR}${k}/reference.json`));

describe('slow tokenizer conversion (fixtures/tokenizers)', () => {
  it('covers every kind the fixture script writes', () => {
    expect(kinds.sort()).toEqual(
      ['bert-accents', 'bert-cased', 'bert-model-type', 'bert-uncased', 'donut', 'gpt2', 'gpt2-added', 'gpt2-bos', 'mbart', 'mbart50', 'roberta', 'roberta-decoder', 't5', 'xlm-roberta', 'xlm-roberta-bpe'].sort(),
    );
  });

  for (const kind of kinds) {
    describe(kind, () => {
      const ref = JSON.parse(readFileSync(`${DIR}${kind}/reference.json`, 'utf8')) as Reference;
      const files = dirFiles(`${DIR}${kind}`);

      it(`builds the tokenizer.json Python builds (${ref.tokenizer_class})`, async () => {
        const converted = await convertSlowTokenizer(files);
        expect(converted?.tokenizerClass).toBe(ref.tokenizer_class);
        // Through JSON on both sides: Python writes SentencePiece BPE's first score as -0.0, JavaScript writes 0.
        const roundTrip = (v: unknown) => JSON.parse(JSON.stringify(v));
        expect(roundTrip(converted!.tokenizerJson)).toEqual(roundTrip(ref.tokenizer_json));
      });

      it('encodes as tokenizer(text).input_ids and decodes as decode(ids[, skip_special_tokens=True])', async () => {
        const tokenizer = (await Tokenizer.fromFiles(files))!;
        expect(tokenizer.source).toEqual({ kind: 'converted', tokenizerClass: ref.tokenizer_class });
        const got = ref.cases.map((c) => ({ text: c.text, ids: tokenizer.encode(c.text), decoded: tokenizer.decode(c.ids), decoded_skip: tokenizer.decode(c.ids, { skipSpecialTokens: true }) }));
        expect(got).toEqual(ref.cases);
      });
    });
  }
});
