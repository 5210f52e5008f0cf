/**
 * Tokenizer classes whose vocabulary is a SentencePiece model, as
 * transformers 5.18 builds them from it
 * (`TokenizersBackend._convert_from_sentencepiece`):
 * `SentencePieceExtractor.extract` (convert_slow_tokenizer.py) reads the
 * pieces and scores (a Unigram vocabulary for these classes, whatever
 * algorithm trained the file), the control and user-defined pieces and the
 * normalization charsmap; the class's converter `convert_from_spm` reorders
 * the vocabulary (fairseq's `<s> <pad> </s> <unk>` first for XLM-R and mBART,
 * language codes and `<mask>` appended, T5's `<extra_id_*>`); then the class
 * (models/xlm_roberta, mbart, mbart50, t5 `tokenization_*.py`) builds its
 * pipeline and post-processor.
 */
import { VedError } from '../../errors.js';
import { addedToken, isAddedToken, sameTokenValue, tokenText, type TokenValue } from './added-vocabulary.js';
import { initBackend, listVocab, templateProcessing, tokenizerJson, withDefaults, type Json } from './backend.js';
import type { ConvertContext } from './context.js';
import { PieceType, parseSentencePieceModel } from './sentencepiece-model.js';
import type { InitKwargs } from './special-tokens.js';

/** The most tokens a converted vocabulary may hold (2^24; the largest real ones hold about 2^18). */
const MAX_VOCABULARY = 1 << 24;

/** `FAIRSEQ_LANGUAGE_CODES` of tokenization_mbart.py (= `MBART_LANGUAGES`). */
export const MBART_LANGUAGE_CODES = [
  'ar_AR', 'cs_CZ', 'de_DE', 'en_XX', 'es_XX', 'et_EE', 'fi_FI', 'fr_XX', 'gu_IN', 'hi_IN', 'it_IT', 'ja_XX', 'kk_KZ', 'ko_KR',
  'lt_LT', 'lv_LV', 'my_MM', 'ne_NP', 'nl_XX', 'ro_RO', 'ru_RU', 'si_LK', 'tr_TR', 'vi_VN', 'zh_CN',
] as const; // prettier-ignore

/** `FAIRSEQ_LANGUAGE_CODES` of tokenization_mbart50.py (= `MBART50_LANGUAGES`). */
export const MBART50_LANGUAGE_CODES = [
  ...MBART_LANGUAGE_CODES,
  'af_ZA', 'az_AZ', 'bn_IN', 'fa_IR', 'he_IL', 'hr_HR', 'id_ID', 'ka_GE', 'km_KH', 'mk_MK', 'ml_IN', 'mn_MN', 'mr_IN', 'pl_PL',
  'ps_AF', 'pt_XX', 'sv_SE', 'sw_KE', 'ta_IN', 'te_IN', 'th_TH', 'tl_XX', 'uk_UA', 'ur_PK', 'xh_ZA', 'gl_ES', 'sl_SI',
] as const; // prettier-ignore

type Vocab = [string, number][];

interface Extracted {
  /** Every piece with its score, in file order. */
  vocab: Vocab;
  /** The init kwargs with `unk_id`, `additional_special_tokens` (control and user-defined pieces) set as the extractor sets them. */
  kwargs: InitKwargs;
  charsmap: Uint8Array;
}

async function extract(ctx: ConvertContext, fileName: string): Promise<Extracted> {
  await ctx.require(fileName);
  const model = parseSentencePieceModel(await ctx.files.readBytes(fileName), `${ctx.where}/${fileName}`);
  const kwargs: InitKwargs = new Map(ctx.resolved.kwargs);
  kwargs.set('unk_id', model.trainerSpec.unkId);
  kwargs.set(
    'additional_special_tokens',
    model.pieces
      .filter((p) => p.type === PieceType.Control || p.type === PieceType.UserDefined)
      .map((p) => addedToken(p.piece, { normalized: false, special: p.type === PieceType.Control })),
  );
  return { vocab: model.pieces.map((p) => [p.piece, p.score]), kwargs, charsmap: model.normalizerSpec.precompiledCharsmap };
}

/** `str(kwargs.get(name, fallback))`. */
function str(kwargs: InitKwargs, name: string, fallback: string): string {
  const v = kwargs.has(name) ? kwargs.get(name) : fallback;
  if (typeof v === 'string') return v;
  if (isAddedToken(v)) return v.content;
  return String(v === null ? 'None' : v);
}

function base64(bytes: Uint8Array): string {
  let binary = '';
  for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(binary);
}

/**
 * `normalizers.Precompiled(charsmap)`. An empty charsmap (a model trained with
 * the `identity` rule) is no normalizer: 5.18 fails to build Precompiled from
 * it, where the sentencepiece library it replaces applied no normalization.
 */
function precompiled(charsmap: Uint8Array): Json | null {
  return charsmap.length === 0 ? null : { type: 'Precompiled', precompiled_charsmap: base64(charsmap) };
}

const metaspace = (prependScheme: string) => ({ type: 'Metaspace', replacement: '\u2581', prepend_scheme: prependScheme, split: true });
const whitespaceThenMetaspace = (prependScheme: string) => ({ type: 'Sequence', pretokenizers: [{ type: 'WhitespaceSplit' }, metaspace(prependScheme)] });

function unigram(vocab: Vocab, unkId: number) {
  if (unkId >= vocab.length) throw new VedError('INVALID_CONFIG', `The SentencePiece vocabulary has ${vocab.length} pieces; its unknown token id ${unkId} is outside it.`);
  return { model: { type: 'Unigram', unk_id: unkId, vocab, byte_fallback: false }, vocab: listVocab(vocab) };
}

/** fairseq's order: `<s> <pad> </s> <unk>`, the file's pieces after its first three, then `extra`. */
function fairseqVocab(ex: Extracted, first: string, extra: readonly string[], mask: string): Vocab {
  const k = ex.kwargs;
  return [
    [first, 0],
    [str(k, 'pad_token', '<pad>'), 0],
    [str(k, 'eos_token', '</s>'), 0],
    [str(k, 'unk_token', '<unk>'), 0],
    ...ex.vocab.slice(3),
    ...extra.map((code): [string, number] => [code, 0]),
    [mask, 0],
  ];
}

/** `mask_token = AddedToken(mask_token, lstrip=True, rstrip=False)` when the files give a plain string (mBART classes). */
function lstripMask(kwargs: InitKwargs): TokenValue {
  const v = kwargs.has('mask_token') ? kwargs.get('mask_token') : '<mask>';
  if (typeof v === 'string') return addedToken(v, { lstrip: true, rstrip: false });
  if (isAddedToken(v)) return v;
  return String(v);
}

function prependScheme(kwargs: InitKwargs, where: string): string {
  const v = kwargs.get('add_prefix_space');
  if (v === undefined) return 'always';
  if (typeof v !== 'boolean' && v !== null) throw new VedError('INVALID_CONFIG', `${where}/tokenizer_config.json: "add_prefix_space" is ${JSON.stringify(v)}, expected true or false.`);
  return v === true ? 'always' : 'never';
}

/** `XLMRobertaTokenizer` (TrOCR-small, Donut): `<s> A </s>`. */
export async function xlmRobertaTokenizer(ctx: ConvertContext): Promise<Json> {
  const ex = await extract(ctx, 'sentencepiece.bpe.model');
  const k = ex.kwargs;
  const vocab = fairseqVocab(ex, str(k, 'bos_token', '<s>'), [], str(k, 'mask_token', '<mask>'));
  const scheme = prependScheme(k, ctx.where);
  const parts = { ...unigram(vocab, 3), normalizer: precompiled(ex.charsmap), preTokenizer: whitespaceThenMetaspace(scheme), decoder: metaspace(scheme) };
  const kwargs = withDefaults(k, { bos_token: '<s>', eos_token: '</s>', sep_token: '</s>', cls_token: '<s>', unk_token: '<unk>', pad_token: '<pad>', mask_token: '<mask>' });
  const backend = initBackend(parts, ctx.resolved, kwargs, ctx.where);
  const bos = str(kwargs, 'bos_token', '<s>');
  const eos = str(kwargs, 'eos_token', '</s>');
  const post = templateProcessing([bos, '$A', eos], [bos, '$A', eos, eos, '$B', eos], [
    [bos, backend.requireId('bos_token')],
    [eos, backend.requireId('eos_token')],
  ]);
  return tokenizerJson(backend, post);
}

/** The language-code post-processors of `set_src_lang_special_tokens`: `prefix + $A + suffix`. */
function languagePostProcessor(backend: ReturnType<typeof initBackend>, prefix: number[], suffix: number[], where: string): Json {
  const names = (ids: number[]) =>
    ids.map((id) => {
      const t = backend.idToToken(id);
      if (t === undefined) throw new VedError('INVALID_CONFIG', `${where}: token id ${id} has no token.`);
      return t;
    });
  const p = names(prefix);
  const s = names(suffix);
  const special = [...p, ...s].map((t, i): [string, number] => [t, [...prefix, ...suffix][i]!]);
  return templateProcessing([...p, '$A', ...s], [...p, '$A', '$B', ...s], special);
}

function sourceLanguage(backend: ReturnType<typeof initBackend>, kwargs: InitKwargs, codes: readonly string[], where: string, strict: boolean): number {
  const src = kwargs.get('src_lang') ?? 'en_XX';
  if (typeof src !== 'string' || (strict && !codes.includes(src))) {
    throw new VedError('INVALID_CONFIG', `${where}/tokenizer_config.json: "src_lang" is ${JSON.stringify(src)}, expected one of the language codes ${codes.join(', ')}.`);
  }
  const id = backend.idOf(src);
  if (id === undefined) throw new VedError('INVALID_CONFIG', `${where}: the source language ${JSON.stringify(src)} has no id.`);
  return id;
}

/** `MBartTokenizer` (mBART-cc25): language codes after the pieces, `A </s> src_lang` (default en_XX), no normalizer. */
export async function mbartTokenizer(ctx: ConvertContext): Promise<Json> {
  const ex = await extract(ctx, 'sentencepiece.bpe.model');
  const k = ex.kwargs;
  const vocab = fairseqVocab(ex, str(k, 'bos_token', '<s>'), MBART_LANGUAGE_CODES, str(k, 'mask_token', '<mask>'));
  const parts = { ...unigram(vocab, 3), normalizer: null, preTokenizer: whitespaceThenMetaspace('always'), decoder: metaspace('always') };
  const given = (k.get('additional_special_tokens') as TokenValue[] | null | undefined) ?? [];
  // `_additional_special_tokens.extend([t for t in additional_special_tokens if t not in _additional_special_tokens])`
  const additional: TokenValue[] = [...MBART_LANGUAGE_CODES, ...given.filter((t) => !MBART_LANGUAGE_CODES.some((c) => sameTokenValue(c, t)))];
  const kwargs = withDefaults(k, { bos_token: '<s>', eos_token: '</s>', sep_token: '</s>', cls_token: '<s>', unk_token: '<unk>', pad_token: '<pad>' });
  kwargs.set('mask_token', lstripMask(k));
  kwargs.set('additional_special_tokens', additional);
  const backend = initBackend(parts, ctx.resolved, kwargs, ctx.where);
  const post = languagePostProcessor(backend, [], [backend.requireId('eos_token'), sourceLanguage(backend, k, MBART_LANGUAGE_CODES, ctx.where, false)], ctx.where);
  return tokenizerJson(backend, post);
}

/** `MBart50Tokenizer`: 52 language codes, `src_lang A </s>`, spaces collapsed after the charsmap. */
export async function mbart50Tokenizer(ctx: ConvertContext): Promise<Json> {
  const ex = await extract(ctx, 'sentencepiece.bpe.model');
  const k = ex.kwargs;
  const vocab = fairseqVocab(ex, str(k, 'cls_token', '<s>'), MBART50_LANGUAGE_CODES, str(k, 'mask_token', '<mask>'));
  const collapse = { type: 'Replace', pattern: { Regex: ' {2,}' }, content: ' ' };
  const charsmap = precompiled(ex.charsmap);
  const parts = {
    ...unigram(vocab, 3),
    normalizer: { type: 'Sequence', normalizers: charsmap === null ? [collapse] : [charsmap, collapse] },
    preTokenizer: metaspace('always'),
    decoder: metaspace('always'),
  };
  const given = (k.get('additional_special_tokens') as TokenValue[] | null | undefined) ?? [];
  const kwargs = withDefaults(k, { eos_token: '</s>', sep_token: '</s>', cls_token: '<s>', unk_token: '<unk>', pad_token: '<pad>' });
  kwargs.set('mask_token', lstripMask(k));
  kwargs.set('additional_special_tokens', [...given, ...MBART50_LANGUAGE_CODES]);
  const backend = initBackend(parts, ctx.resolved, kwargs, ctx.where);
  const post = languagePostProcessor(backend, [sourceLanguage(backend, k, MBART50_LANGUAGE_CODES, ctx.where, true)], [backend.requireId('eos_token')], ctx.where);
  return tokenizerJson(backend, post);
}

/** `T5Tokenizer`: `spiece.model` as is, `extra_ids` sentinels appended (last id = `<extra_id_0>`), `A </s>`. */
export async function t5Tokenizer(ctx: ConvertContext): Promise<Json> {
  const ex = await extract(ctx, 'spiece.model');
  const k = ex.kwargs;
  const extraIds = k.has('extra_ids') ? k.get('extra_ids') : 100;
  if (typeof extraIds !== 'number' || !Number.isInteger(extraIds) || extraIds < 0) {
    throw new VedError('INVALID_CONFIG', `${ctx.where}/tokenizer_config.json: "extra_ids" is ${JSON.stringify(extraIds)}, expected a non-negative integer.`);
  }
  // Python would build every sentinel's string and run out of memory; no vocabulary comes near 2^24 tokens.
  if (ex.vocab.length + extraIds > MAX_VOCABULARY) {
    throw new VedError('INVALID_CONFIG', `${ctx.where}/tokenizer_config.json: "extra_ids" is ${extraIds}, which would make a vocabulary of ${ex.vocab.length + extraIds} tokens; expected at most ${MAX_VOCABULARY} in all.`);
  }
  const sentinels = Array.from({ length: extraIds }, (_, i) => `<extra_id_${extraIds - 1 - i}>`);
  const vocab: Vocab = [...ex.vocab, ...sentinels.map((t): [string, number] => [t, 0])];
  const parts = { ...unigram(vocab, 2), normalizer: precompiled(ex.charsmap), preTokenizer: whitespaceThenMetaspace('always'), decoder: metaspace('always') };
  let additional = (k.get('additional_special_tokens') as TokenValue[] | null | undefined) ?? null;
  if (additional !== null) {
    const given = additional.filter((x) => tokenText(x).includes('<extra_id_'));
    if (given.length < 1) additional = [...additional, ...Array.from({ length: extraIds }, (_, i) => `<extra_id_${i}>`)];
    else if (extraIds > 0 && extraIds !== given.length) {
      throw new VedError('INVALID_CONFIG', `${ctx.where}: T5Tokenizer has extra_ids ${extraIds} but ${given.length} <extra_id_*> tokens in additional_special_tokens; they must agree.`);
    }
  } else additional = Array.from({ length: extraIds }, (_, i) => `<extra_id_${i}>`);
  const kwargs = withDefaults(k, { eos_token: '</s>', unk_token: '<unk>', pad_token: '<pad>' });
  kwargs.set('additional_special_tokens', additional);
  const backend = initBackend(parts, ctx.resolved, kwargs, ctx.where);
  const post = templateProcessing(['$A', '</s>'], ['$A', '</s>', '$B', '</s>'], [['</s>', backend.requireId('eos_token')]]);
  return tokenizerJson(backend, post);
}
