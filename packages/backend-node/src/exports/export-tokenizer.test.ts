/**
 * An export of a checkpoint whose tokenizer has only slow files (vocab.json +
 * merges.txt, vocab.txt, sentencepiece models) carries a tokenizer.json: the
 * one transformers 5.18 builds from those files (fixtures/tokenizers, made by
 * tools/reference/make_tokenizer_fixtures.py), next to the copied files.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DirectoryFiles } from '../directory-files.js';
import { fixturePath } from '../test-utils/fixtures.js';
import { writeExportDirectory } from './save-export.js';

const work = mkdtempSync(join(tmpdir(), 'ved-export-tokenizer-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('export of a checkpoint with slow tokenizer files', () => {
  for (const [kind, vocabFiles] of [
    ['roberta', ['vocab.json', 'merges.txt']],
    ['bert-uncased', ['vocab.txt']],
    ['donut', ['sentencepiece.bpe.model', 'added_tokens.json']],
    ['t5', ['spiece.model']],
  ] as const) {
    it(`writes tokenizer.json as Python builds it (${kind}) and copies the original files`, async () => {
      const out = join(work, kind);
      const written = await writeExportDirectory(out, [], new DirectoryFiles(fixturePath('tokenizers', kind)));
      expect(written).toContain('tokenizer.json');
      const ref = JSON.parse(readFileSync(fixturePath('tokenizers', kind, 'reference.json'), 'utf8'));
      const roundTrip = (v: unknown) => JSON.parse(JSON.stringify(v));
      expect(JSON.parse(readFileSync(join(out, 'tokenizer.json'), 'utf8'))).toEqual(roundTrip(ref.tokenizer_json));
      for (const name of [...vocabFiles, 'tokenizer_config.json']) expect(existsSync(join(out, name)), name).toBe(true);
    });
  }

  it('copies an existing tokenizer.json unchanged', async () => {
    const out = join(work, 'fast');
    await writeExportDirectory(out, [], new DirectoryFiles(fixturePath('models', 'vit-gpt2-a')));
    expect(readFileSync(join(out, 'tokenizer.json'))).toEqual(readFileSync(fixturePath('models', 'vit-gpt2-a', 'tokenizer.json')));
  });
});
