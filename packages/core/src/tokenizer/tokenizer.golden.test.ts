/**
 * Tokenizer parity with transformers 5.18 (`AutoTokenizer.from_pretrained` on
 * the same files): WordPiece (BERT), byte-level BPE (RoBERTa/BART/TrOCR) and
 * SentencePiece Unigram (XLM-RoBERTa/mBART), on 50 fixed strings with
 * accents, emoji, CJK, whitespace runs and special-token text. Fixtures:
 * tools/reference/make_decoder_fixtures.py → fixtures/decoders/tokenizers.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { Tokenizer } from './tokenizer.js';

const DIR = fileURLToPath(new URL('../../../../fixtures/decoders/tokenizers/', import.meta.url));

interface Case {
  text: string;
  ids: number[];
  ids_no_special: number[];
  decoded: string;
  decoded_skip: string;
  /** null where it equals decoded_skip. */
  decoded_skip_cleanup: string | null;
  decoded_skip_no_cleanup: string | null;
}

const readJson = (path: string) => JSON.parse(readFileSync(path, 'utf8'));

for (const kind of ['wordpiece', 'bpe', 'unigram']) {
  describe(`${kind} tokenizer`, () => {
    const cases = readJson(`${DIR}${kind}/cases.json`) as { cases: Case[]; model: string; vocab_size: number };
    const tokenizer = Tokenizer.fromJson(readJson(`${DIR}${kind}/tokenizer.json`), readJson(`${DIR}${kind}/tokenizer_config.json`), `${kind}/tokenizer.json`);

    it('has 50 cases', () => {
      expect(cases.cases).toHaveLength(50);
    });

    it('batchDecode(skipSpecialTokens) equals Python batch_decode(skip_special_tokens=True)', () => {
      expect(tokenizer.batchDecode(cases.cases.map((c) => c.ids), { skipSpecialTokens: true })).toEqual(cases.cases.map((c) => c.decoded_skip));
    });

    it('decode with special tokens equals Python decode', () => {
      expect(cases.cases.map((c) => tokenizer.decode(c.ids))).toEqual(cases.cases.map((c) => c.decoded));
    });

    it('explicit clean_up_tokenization_spaces true/false follows Python (ignored for BPE)', () => {
      expect(cases.cases.map((c) => tokenizer.decode(c.ids, { skipSpecialTokens: true, cleanUpTokenizationSpaces: true }))).toEqual(
        cases.cases.map((c) => c.decoded_skip_cleanup ?? c.decoded_skip),
      );
      expect(cases.cases.map((c) => tokenizer.decode(c.ids, { skipSpecialTokens: true, cleanUpTokenizationSpaces: false }))).toEqual(
        cases.cases.map((c) => c.decoded_skip_no_cleanup ?? c.decoded_skip),
      );
    });

    it('encode equals Python ids, with and without special tokens', () => {
      expect(cases.cases.map((c) => tokenizer.encode(c.text))).toEqual(cases.cases.map((c) => c.ids));
      expect(cases.cases.map((c) => tokenizer.encode(c.text, { addSpecialTokens: false }))).toEqual(cases.cases.map((c) => c.ids_no_special));
    });

    it('decodes an empty sequence to "" as Python does', () => {
      expect(tokenizer.decode([])).toBe('');
      expect(tokenizer.batchDecode([[], [0]], { skipSpecialTokens: true })[0]).toBe('');
    });
  });
}
