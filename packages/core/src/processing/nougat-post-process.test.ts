/**
 * Nougat's post-processing against transformers 5.18's NougatTokenizer.post_process_single, on the
 * pages of fixtures/text/nougat-post-process.json (written by
 * tools/reference/make_nougat_postprocess_fixtures.py), and Levenshtein.ratio on its pairs.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { nougatPostProcess, nougatPostProcessGeneration, truncateRepetitions } from './nougat-post-process.js';
import { levenshteinRatio } from './nougat-references.js';
import { isNumericChar, pyLen, pyReplace, pyStrip } from './python-text.js';

interface Fixture {
  transformers: string;
  cases: Array<{ name: string; input: string; markdown: string; plain: string }>;
  ratio: Array<{ a: string; b: string; ratio: number }>;
}

const FIXTURE = fileURLToPath(new URL('../../../../fixtures/text/nougat-post-process.json', import.meta.url));
const fixture = JSON.parse(readFileSync(FIXTURE, 'utf8')) as Fixture;

describe(`Nougat post-processing matches transformers ${fixture.transformers}`, () => {
  it.each(fixture.cases.map((c) => [c.name, c] as const))('%s', (_name, c) => {
    expect(nougatPostProcess(c.input)).toBe(c.markdown);
    expect(nougatPostProcess(c.input, { fixMarkdown: false })).toBe(c.plain);
  });

  it('post-processes a list of pages, and a single page', () => {
    const some = fixture.cases.slice(0, 8);
    expect(nougatPostProcessGeneration(some.map((c) => c.input))).toEqual(some.map((c) => c.markdown));
    expect(nougatPostProcessGeneration(some.map((c) => c.input), { fixMarkdown: false })).toEqual(some.map((c) => c.plain));
    expect(nougatPostProcessGeneration(some[1]!.input)).toBe(some[1]!.markdown);
  });

  it('refuses what is not text', () => {
    expect(() => nougatPostProcessGeneration(3 as unknown as string)).toThrow(/"generation" must be a string or an array of strings, got number/);
    expect(() => nougatPostProcessGeneration(['a', null] as unknown as string[])).toThrow(/"generation\[1\]" must be a string, got null/);
    expect(() => nougatPostProcess('a', { fixMarkdown: 'yes' as unknown as boolean })).toThrow(/"fixMarkdown" must be a boolean, got string/);
  });
});

describe('Levenshtein.ratio', () => {
  it.each(fixture.ratio.map((r) => [r.a, r.b, r] as const))('%j %j', (_a, _b, r) => {
    expect(levenshteinRatio(r.a, r.b)).toBe(r.ratio);
    expect(levenshteinRatio(r.b, r.a)).toBe(r.ratio);
  });

  it('is 2·LCS / (len1 + len2) over code points, 1 for two empty strings', () => {
    expect(levenshteinRatio('', '')).toBe(1);
    expect(levenshteinRatio('abc', '')).toBe(0);
    expect(levenshteinRatio('lewenstein', 'levenshtein')).toBe(1 - 3 / 21);
    expect(levenshteinRatio('😀', '😁')).toBe(0); // one code point each, not two UTF-16 units sharing a surrogate
    expect(levenshteinRatio('a😀', 'a')).toBe(1 - 1 / 3);
  });
});

describe('Python text semantics', () => {
  it('strips the whitespace str.strip() strips', () => {
    expect(pyStrip('\x1c\x1d\x1e\x1f\x85\u3000 a b \u2028\t')).toBe('a b');
    expect(pyStrip('\ufeffa\u200b')).toBe('\ufeffa\u200b'); // not whitespace in Python
  });

  it('counts code points and replaces an empty string around each', () => {
    expect(pyLen('a😀b')).toBe(3);
    expect(pyReplace('a😀', '', '-')).toBe('-a-😀-');
    expect(pyReplace('', '', '-')).toBe('-');
  });

  it('has str.isnumeric() for CJK numerals', () => {
    expect(['一', '〇', '٣', '½', 'Ⅻ', '𝟙'].every(isNumericChar)).toBe(true);
    expect(['a', '.', '人'].some(isNumericChar)).toBe(false);
  });

  it('truncates a repeated tail once the text is 60 code points or more', () => {
    expect(truncateRepetitions('x'.repeat(59))).toBe('x'.repeat(59));
    const page = 'Intro. ' + 'The very same sentence, over and over. '.repeat(4);
    expect(truncateRepetitions(page)).toBe('Intro. The very same sentence, over and over.');
  });
});
