/** The SentencePiece charsmap normalizer on a charsmap sentencepiece compiled (fixtures/tokenizers/xlm-roberta). */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { PrecompiledCharsmap } from './precompiled.js';

const ref = JSON.parse(readFileSync(fileURLToPath(new URL('../../../../fixtures/tokenizers/xlm-roberta/reference.json', import.meta.url)), 'utf8'));
const charsmap = PrecompiledCharsmap.fromBase64(ref.tokenizer_json.normalizer.precompiled_charsmap);

describe('PrecompiledCharsmap', () => {
  it('applies the model\'s rules and nothing else (no NFKC beyond them)', () => {
    // Rules of make_tokenizer_fixtures.py: full-width A B C F L U, ﬁ ﬀ, ½, no-break and ideographic spaces.
    expect(charsmap.normalize('ＦＵＬＬ ﬁ ﬀ ½\u00a0x\u3000y')).toBe('FULL fi ff 1\u20442 x y');
    expect(charsmap.normalize('e\u0301 ² ＺＸ 👨\u200d👩')).toBe('e\u0301 ² ＺＸ 👨\u200d👩');
    expect(charsmap.transform('Ａ')).toBe('A');
    expect(charsmap.transform('Z')).toBeNull();
  });

  it('refuses a truncated charsmap with a typed error', () => {
    expect(() => new PrecompiledCharsmap(new Uint8Array([0x10, 0, 0, 0, 1, 2]), 'x.model')).toThrow(/x\.model cannot be read: the header announces a 16-byte trie, but 2 bytes follow/);
    expect(() => PrecompiledCharsmap.fromBase64('!!', 'tok.json')).toThrow(/tok\.json is not base64/);
  });
});
