/** Target tokenization and truncation against Python's tokenizer(text, max_length, truncation=True) (fixtures/optim/targets.json). */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { Tokenizer } from '@ved/core';
import { tokenizeTarget } from './tokenize-target.js';
import { readFixtureJson } from '../test-utils/fixtures.js';

const ROOT = fileURLToPath(new URL('../../../../', import.meta.url));
const suites = readFixtureJson<{ tokenizer: string; cases: { text: string; input_ids: number[]; max_length_3: number[]; max_length_5: number[] }[] }[]>('targets.json');

describe('tokenizeTarget vs Python', () => {
  for (const suite of suites) {
    it(suite.tokenizer, () => {
      const json = JSON.parse(readFileSync(`${ROOT}${suite.tokenizer}/tokenizer.json`, 'utf8'));
      const config = JSON.parse(readFileSync(`${ROOT}${suite.tokenizer}/tokenizer_config.json`, 'utf8'));
      const tokenizer = Tokenizer.fromJson(json, config);
      for (const c of suite.cases) {
        expect(tokenizeTarget(tokenizer, c.text), c.text).toEqual(c.input_ids);
        expect(tokenizeTarget(tokenizer, c.text, 3), `${c.text} / 3`).toEqual(c.max_length_3);
        expect(tokenizeTarget(tokenizer, c.text, 5), `${c.text} / 5`).toEqual(c.max_length_5);
      }
    });
  }

  it('refuses a length below the special tokens', () => {
    const tokenizer = { encode: (_: string, o: { addSpecialTokens?: boolean } = {}) => (o.addSpecialTokens === false ? [5, 6, 7] : [1, 5, 6, 7, 2]) };
    expect(() => tokenizeTarget(tokenizer, 'x', 1)).toThrow(/maxTargetLength is 1, but the tokenizer adds 2 special token/);
    expect(tokenizeTarget(tokenizer, 'x', 3)).toEqual([1, 5, 2]);
  });
});
