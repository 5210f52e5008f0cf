/** Slow tokenizer conversion: which files mean "a tokenizer", and typed errors for files Python cannot load either. */
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { VedError } from '../../errors.js';
import type { ModelFiles } from '../../io/model-files.js';
import { Tokenizer } from '../tokenizer.js';
import { convertSlowTokenizer } from './convert.js';
import { readVocabTxt } from './vocab-files.js';

const FIXTURES = fileURLToPath(new URL('../../../../../fixtures/tokenizers/', import.meta.url));
const fixture = (kind: string, name: string) => new Uint8Array(readFileSync(`${FIXTURES}${kind}/${name}`));

function memory(files: Record<string, string | Uint8Array | object>): ModelFiles {
  const bytes = (v: string | Uint8Array | object) => (v instanceof Uint8Array ? v : new TextEncoder().encode(typeof v === 'string' ? v : JSON.stringify(v)));
  return {
    location: 'mem',
    exists: async (name) => name in files,
    readBytes: async (name) => {
      if (!(name in files)) throw new VedError('FILE_NOT_FOUND', `File not found: mem/${name}.`);
      return bytes(files[name]!);
    },
  };
}

async function failure(files: ModelFiles): Promise<VedError> {
  try {
    await convertSlowTokenizer(files);
  } catch (err) {
    expect(err).toBeInstanceOf(VedError);
    return err as VedError;
  }
  throw new Error('expected a VedError');
}

const gpt2 = { 'vocab.json': fixture('gpt2', 'vocab.json'), 'merges.txt': fixture('gpt2', 'merges.txt') };

describe('convertSlowTokenizer', () => {
  it('finds no tokenizer in a checkpoint without tokenizer files', async () => {
    expect(await convertSlowTokenizer(memory({ 'config.json': { model_type: 'vision-encoder-decoder' } }))).toBeUndefined();
    expect(await Tokenizer.fromFiles(memory({ 'config.json': {} }))).toBeUndefined();
  });

  it('refuses vocabulary files without a tokenizer class, as AutoTokenizer does for a VED config', async () => {
    const err = await failure(memory({ ...gpt2, 'config.json': { model_type: 'vision-encoder-decoder' } }));
    expect(err.code).toBe('INVALID_CONFIG');
    expect(err.message).toContain('"tokenizer_class"');
    expect(err.message).toContain('"GPT2Tokenizer"');
  });

  it('takes config.json\'s tokenizer_class, and drops a trailing Fast', async () => {
    const a = await convertSlowTokenizer(memory({ ...gpt2, 'config.json': { model_type: 'vision-encoder-decoder', tokenizer_class: 'GPT2TokenizerFast' } }));
    expect(a?.tokenizerClass).toBe('GPT2Tokenizer');
  });

  it('names the supported classes for another class', async () => {
    const err = await failure(memory({ ...gpt2, 'tokenizer_config.json': { tokenizer_class: 'CLIPTokenizer' } }));
    expect(err.message).toContain('"CLIPTokenizer"');
    expect(err.message).toContain('"XLMRobertaTokenizer"');
    const fast = await failure(memory({ 'tokenizer_config.json': { tokenizer_class: 'PreTrainedTokenizerFast' } }));
    expect(fast.message).toContain('stored only as tokenizer.json');
  });

  it('names the missing vocabulary file', async () => {
    const err = await failure(memory({ 'vocab.json': gpt2['vocab.json'], 'tokenizer_config.json': { tokenizer_class: 'RobertaTokenizer' } }));
    expect(err.code).toBe('FILE_NOT_FOUND');
    expect(err.message).toContain('merges.txt');
    expect(err.message).toContain('RobertaTokenizer');
  });

  it('refuses malformed merges as tokenizers does (two parts a line, every token in vocab.json)', async () => {
    const config = { 'tokenizer_config.json': { tokenizer_class: 'GPT2Tokenizer' } };
    const threeParts = await failure(memory({ ...gpt2, ...config, 'merges.txt': '#version: 0.2\nĠ t he\n' }));
    expect(threeParts.message).toMatch(/merges\.txt line 2 is "Ġ t he"/);
    const unknown = await failure(memory({ ...gpt2, ...config, 'merges.txt': 'Ġ zzz\n' }));
    expect(unknown.message).toContain('"zzz" is not in vocab.json');
    const notUtf8 = await failure(memory({ ...gpt2, ...config, 'merges.txt': new Uint8Array([0x61, 0x20, 0xff]) }));
    expect(notUtf8.message).toContain('not valid UTF-8');
  });

  it('refuses a file that is not a SentencePiece model', async () => {
    const err = await failure(memory({ 'sentencepiece.bpe.model': new Uint8Array([0x0a, 0xff, 0x01]), 'tokenizer_config.json': { tokenizer_class: 'XLMRobertaTokenizer' } }));
    expect(err.code).toBe('INVALID_CONFIG');
    expect(err.message).toContain('sentencepiece.bpe.model is not a SentencePiece model');
  });

  it('refuses bad added_tokens.json ids and mBART-50 source languages', async () => {
    const ids = await failure(memory({ ...gpt2, 'tokenizer_config.json': { tokenizer_class: 'GPT2Tokenizer' }, 'added_tokens.json': { '<x>': 'one' } }));
    expect(ids.message).toContain('added_tokens.json: token "<x>" has the id "one"');
    const lang = await failure(
      memory({ 'sentencepiece.bpe.model': fixture('mbart50', 'sentencepiece.bpe.model'), 'tokenizer_config.json': { tokenizer_class: 'MBart50Tokenizer', src_lang: 'xx_XX' } }),
    );
    expect(lang.message).toContain('"src_lang" is "xx_XX"');
  });
});

describe('ids the tokenizer has no token for, and files the tokenizers library cannot run', () => {
  const load = async (kind: string) => {
    const dir = `${FIXTURES}${kind}/`;
    const files = Object.fromEntries(readdirSync(dir).filter((f) => f !== 'reference.json').map((f) => [f, fixture(kind, f)]));
    return (await Tokenizer.fromFiles(memory(files)))!;
  };

  it('leaves out ids past the vocabulary, as Python does (tools/reference/probe_hardening.py)', async () => {
    // Python: the Rust library's TokenizerImpl::decode drops the ids id_to_token does not know. The JS library
    // would write "[UNK]" or "<unk>" in their place, and its ByteLevel decoder failed on them.
    const cases: [string, number, string, string][] = [
      // kind, an id past the vocabulary, decode([5, id, 6]), the same skipping special tokens
      ['bert-uncased', 213, '[MASK]!', '!'],
      ['gpt2', 303, "&'", "&'"],
      ['xlm-roberta', 185, '. the', '. the'],
    ];
    for (const [kind, past, decoded, skipped] of cases) {
      const tokenizer = await load(kind);
      expect(tokenizer.decode([5, past, 6])).toBe(decoded);
      expect(tokenizer.decode([5, past, 6], { skipSpecialTokens: true })).toBe(skipped);
      expect(tokenizer.decode([past])).toBe('');
      expect(tokenizer.decode([-1, 2 ** 31])).toBe('');
    }
  });

  it('names tokenizer.json when the tokenizers library fails running it', async () => {
    const json = JSON.parse(new TextDecoder().decode(readFileSync(fileURLToPath(new URL('../../../../../fixtures/onnx/deit-bert/tokenizer.json', import.meta.url)))));
    const broken = Tokenizer.fromJson({ ...json, post_processor: { ...json.post_processor, single: null } }, {}, 'mem/tokenizer.json');
    expect(() => broken.encode('a b')).toThrow(VedError);
    expect(() => broken.encode('a b')).toThrow(/^mem\/tokenizer\.json cannot encode text: /);
  });

  it('refuses T5\'s extra_ids past a vocabulary of 2^24 tokens', async () => {
    const err = await failure(memory({ 'spiece.model': fixture('t5', 'spiece.model'), 'tokenizer_config.json': { tokenizer_class: 'T5Tokenizer', extra_ids: 2 ** 40 } }));
    expect(err.code).toBe('INVALID_CONFIG');
    expect(err.message).toContain('"extra_ids" is 1099511627776');
  });
});

describe('vocab.txt as WordPiece::read_file reads it', () => {
  it('trims trailing whitespace, accepts CRLF, keeps empty lines and gives a repeated token its last line', async () => {
    // Python (tokenizers 0.23): {'[UNK]': 0, 'b': 2, '': 3, 'c': 4, 'd': 5, 'a': 6}
    const vocab = await readVocabTxt(memory({ 'vocab.txt': '[UNK]\na\nb \n\nc\r\nd\na\n' }));
    expect(Object.fromEntries(vocab)).toEqual({ '[UNK]': 0, b: 2, '': 3, c: 4, d: 5, a: 6 });
  });

  it('keeps a byte-order mark and U+FEFF at a line end (not White_Space in Rust)', async () => {
    const vocab = await readVocabTxt(memory({ 'vocab.txt': '\ufeffa\nb\ufeff\nc\u0085\n' }));
    expect([...vocab.keys()]).toEqual(['\ufeffa', 'b\ufeff', 'c']);
  });
});
