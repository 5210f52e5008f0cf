/**
 * Every tokenizer fixture against transformers 5.18 (tokenizers 0.23) on random input
 * (tools/reference/make_random_tokenizer_fixtures.py → fixtures/tokenizers/random.json): strings mixing
 * scripts, marks, emoji, odd whitespace, controls and special-token text, encoded with and without special
 * tokens; and id sequences of any ids, special ones included (what a model can generate), decoded four
 * ways. Comparing ved with Python on such ids found that an added token marked `normalized` decodes as its
 * normalized text (rust-parity.ts).
 */
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { ModelFiles } from '../io/model-files.js';
import { Tokenizer } from './tokenizer.js';

const ROOT = fileURLToPath(new URL('../../../../', import.meta.url));

interface Recorded {
  texts: { text: string; ids: number[]; ids_no_special: number[] }[];
  ids: { ids: number[]; decoded: string; skip: string; skip_cleanup: string; keep_no_cleanup: string }[];
}

const file = JSON.parse(readFileSync(`${ROOT}fixtures/tokenizers/random.json`, 'utf8')) as { tokenizers: Record<string, Recorded> };

function directory(dir: string): ModelFiles {
  return {
    location: dir,
    exists: async (name) => existsSync(`${ROOT}${dir}/${name}`),
    readBytes: async (name) => new Uint8Array(readFileSync(`${ROOT}${dir}/${name}`)),
  };
}

describe('tokenizers against Python on random input', () => {
  it('has every tokenizer fixture', () => {
    expect(Object.keys(file.tokenizers)).toHaveLength(23);
  });

  for (const [dir, recorded] of Object.entries(file.tokenizers)) {
    it(dir, async () => {
      const tokenizer = (await Tokenizer.fromFiles(directory(dir)))!;
      for (const t of recorded.texts) {
        expect(tokenizer.encode(t.text), JSON.stringify(t.text)).toEqual(t.ids);
        expect(tokenizer.encode(t.text, { addSpecialTokens: false }), JSON.stringify(t.text)).toEqual(t.ids_no_special);
      }
      for (const r of recorded.ids) {
        const where = JSON.stringify(r.ids);
        expect(tokenizer.decode(r.ids), where).toBe(r.decoded);
        expect(tokenizer.decode(r.ids, { skipSpecialTokens: true }), where).toBe(r.skip);
        expect(tokenizer.decode(r.ids, { skipSpecialTokens: true, cleanUpTokenizationSpaces: true }), where).toBe(r.skip_cleanup);
        expect(tokenizer.decode(r.ids, { cleanUpTokenizationSpaces: false }), where).toBe(r.keep_no_cleanup);
      }
    });
  }
});

describe('added tokens marked normalized', () => {
  // tokenizers 0.23, in Python:
  //   t = Tokenizer(WordLevel({'a': 0, 'b': 1, '[UNK]': 2}, unk_token='[UNK]'))
  //   t.normalizer = normalizers.Sequence([normalizers.Lowercase(), normalizers.Replace('a', 'b')])
  //   t.add_tokens([AddedToken('[AAA]', normalized=True), AddedToken('[KEEP]', normalized=False),
  //                 AddedToken('[Sp]', special=True, normalized=True)])
  //   [t.decode([i]) for i in (3, 4, 5)] == ['[bbb]', '[KEEP]', '[sp]']   (skip_special_tokens=True)
  const added = (id: number, content: string, normalized: boolean, special: boolean) => ({ id, content, single_word: false, lstrip: false, rstrip: false, normalized, special });
  const json = {
    version: '1.0',
    added_tokens: [added(3, '[AAA]', true, false), added(4, '[KEEP]', false, false), added(5, '[Sp]', true, true)],
    normalizer: { type: 'Sequence', normalizers: [{ type: 'Lowercase' }, { type: 'Replace', pattern: { String: 'a' }, content: 'b' }] },
    pre_tokenizer: null,
    post_processor: null,
    decoder: null,
    model: { type: 'WordLevel', vocab: { a: 0, b: 1, '[UNK]': 2 }, unk_token: '[UNK]' },
  };

  it('decode as the normalizer makes them, and a special one that normalizes to other text is not skipped', () => {
    const tokenizer = Tokenizer.fromJson(json);
    expect([3, 4, 5].map((id) => tokenizer.decode([id], { skipSpecialTokens: true }))).toEqual(['[bbb]', '[KEEP]', '[sp]']);
    expect([3, 4, 5].map((id) => tokenizer.decode([id]))).toEqual(['[bbb]', '[KEEP]', '[sp]']);
  });
});
