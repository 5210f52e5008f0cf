/**
 * Tokenizer classes whose vocabulary is a plain file, as transformers 5.18
 * builds them from it: byte-level BPE from `vocab.json` + `merges.txt`
 * (models/gpt2/tokenization_gpt2.py `GPT2Tokenizer`,
 * models/roberta/tokenization_roberta.py `RobertaTokenizer`, which
 * `BartTokenizer` is) and WordPiece from `vocab.txt`
 * (models/bert/tokenization_bert.py `BertTokenizer`).
 */
import { VedError } from '../../errors.js';
import { defaultPostProcessor, initBackend, mapVocab, templateProcessing, tokenizerJson, withDefaults, type Json } from './backend.js';
import type { ConvertContext } from './context.js';
import { readMerges, readVocabJson, readVocabTxt } from './vocab-files.js';

const BYTE_LEVEL = { type: 'ByteLevel', add_prefix_space: true, trim_offsets: true, use_regex: true };

/** Python's truthiness of a flag read from tokenizer_config.json. */
function flag(ctx: ConvertContext, key: string, fallback: boolean): boolean {
  const v = ctx.resolved.kwargs.get(key);
  if (v === undefined) return fallback;
  if (v === null) return false;
  if (typeof v !== 'boolean') throw new VedError('INVALID_CONFIG', `${ctx.where}/tokenizer_config.json: "${key}" is ${JSON.stringify(v)}, expected true or false.`);
  return v;
}

async function byteLevelParts(ctx: ConvertContext, addPrefixSpace: boolean) {
  await ctx.require('vocab.json', 'merges.txt');
  const vocab = await readVocabJson(ctx.files);
  const merges = await readMerges(ctx.files, vocab);
  return {
    model: {
      type: 'BPE',
      dropout: null,
      unk_token: null,
      continuing_subword_prefix: '',
      end_of_word_suffix: '',
      fuse_unk: false,
      byte_fallback: false,
      ignore_merges: false,
      vocab: Object.fromEntries([...vocab].sort((a, b) => a[1] - b[1])),
      merges,
    },
    vocab: mapVocab(vocab),
    normalizer: null,
    preTokenizer: { ...BYTE_LEVEL, add_prefix_space: addPrefixSpace },
    decoder: BYTE_LEVEL,
  };
}

/** `GPT2Tokenizer`: no post-processor of its own, so `update_post_processor` adds bos/eos only when the config asks. */
export async function gpt2Tokenizer(ctx: ConvertContext): Promise<Json> {
  const addPrefixSpace = flag(ctx, 'add_prefix_space', false);
  const parts = await byteLevelParts(ctx, addPrefixSpace);
  const eot = '<|endoftext|>';
  const kwargs = withDefaults(ctx.resolved.kwargs, { unk_token: eot, bos_token: eot, eos_token: eot, pad_token: null });
  const backend = initBackend(parts, ctx.resolved, kwargs, ctx.where);
  return tokenizerJson(backend, defaultPostProcessor(backend, ctx.resolved.kwargs));
}

/** `RobertaTokenizer` (and `BartTokenizer`): `<s> A </s>` through `RobertaProcessing`. */
export async function robertaTokenizer(ctx: ConvertContext): Promise<Json> {
  const addPrefixSpace = flag(ctx, 'add_prefix_space', false);
  const trimOffsets = flag(ctx, 'trim_offsets', true);
  const parts = await byteLevelParts(ctx, addPrefixSpace);
  const kwargs = withDefaults(ctx.resolved.kwargs, {
    bos_token: '<s>',
    eos_token: '</s>',
    sep_token: '</s>',
    cls_token: '<s>',
    unk_token: '<unk>',
    pad_token: '<pad>',
    mask_token: '<mask>',
  });
  const backend = initBackend(parts, ctx.resolved, kwargs, ctx.where);
  const post = {
    type: 'RobertaProcessing',
    sep: [backend.token('sep_token'), backend.requireId('sep_token')],
    cls: [backend.token('cls_token'), backend.requireId('cls_token')],
    trim_offsets: trimOffsets,
    add_prefix_space: addPrefixSpace,
  };
  return tokenizerJson(backend, post);
}

/** `BertTokenizer`: `do_lower_case`, `strip_accents`, `tokenize_chinese_chars` drive the `BertNormalizer`. */
export async function bertTokenizer(ctx: ConvertContext): Promise<Json> {
  await ctx.require('vocab.txt');
  const vocab = await readVocabTxt(ctx.files);
  const kw = ctx.resolved.kwargs;
  const stripAccents = kw.get('strip_accents');
  if (stripAccents !== undefined && stripAccents !== null && typeof stripAccents !== 'boolean') {
    throw new VedError('INVALID_CONFIG', `${ctx.where}/tokenizer_config.json: "strip_accents" is ${JSON.stringify(stripAccents)}, expected true, false or null.`);
  }
  const kwargs = withDefaults(kw, { unk_token: '[UNK]', sep_token: '[SEP]', pad_token: '[PAD]', cls_token: '[CLS]', mask_token: '[MASK]' });
  const unk = kwargs.get('unk_token');
  const parts = {
    model: {
      type: 'WordPiece',
      unk_token: typeof unk === 'object' && unk !== null ? (unk as { content: string }).content : String(unk),
      continuing_subword_prefix: '##',
      max_input_chars_per_word: 100,
      vocab: Object.fromEntries([...vocab].sort((a, b) => a[1] - b[1])),
    },
    vocab: mapVocab(vocab),
    normalizer: {
      type: 'BertNormalizer',
      clean_text: true,
      handle_chinese_chars: flag(ctx, 'tokenize_chinese_chars', true),
      strip_accents: stripAccents ?? null,
      lowercase: flag(ctx, 'do_lower_case', true),
    },
    preTokenizer: { type: 'BertPreTokenizer' },
    decoder: { type: 'WordPiece', prefix: '##', cleanup: true },
  };
  const backend = initBackend(parts, ctx.resolved, kwargs, ctx.where);
  const cls = backend.token('cls_token');
  const sep = backend.token('sep_token');
  if (cls === undefined || sep === undefined) throw new VedError('INVALID_CONFIG', `${ctx.where}: BertTokenizer needs a cls_token and a sep_token.`);
  // BertTokenizer falls back to ids 2 and 3 when the tokens are not in the vocabulary.
  const post = templateProcessing([`${cls}:0`, '$A:0', `${sep}:0`], [`${cls}:0`, '$A:0', `${sep}:0`, '$B:1', `${sep}:1`], [
    [cls, backend.idOf(cls) ?? 2],
    [sep, backend.idOf(sep) ?? 3],
  ]);
  return tokenizerJson(backend, post);
}
