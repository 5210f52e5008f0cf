/**
 * The `tokenizer.json` a converted tokenizer becomes: the model, normalizer,
 * pre-tokenizer and decoder a tokenizer class of transformers 5.18 builds,
 * the added tokens `TokenizersBackend.__init__` adds, and the class's
 * post-processor, serialised as `tokenizers` serialises them (so that
 * `save_pretrained` of the same folder in Python writes an equal file).
 */
import { VedError } from '../../errors.js';
import { AddedVocabulary, type ModelVocab, type TokenValue, tokenText } from './added-vocabulary.js';
import { collectSpecialTokens, tokensToAdd, type InitKwargs, type ResolvedInitKwargs, type SpecialTokens } from './special-tokens.js';

export type Json = Record<string, unknown>;

/** What a tokenizer class builds before `super().__init__`. */
export interface BackendParts {
  model: Json;
  vocab: ModelVocab;
  normalizer: Json | null;
  preTokenizer: Json | null;
  decoder: Json | null;
}

/** The backend after `TokenizersBackend.__init__`, for the class to finish (its post-processor). */
export interface Backend {
  readonly parts: BackendParts;
  readonly added: AddedVocabulary;
  readonly specials: SpecialTokens;
  /** `self.<name>` of a named special token (e.g. `sep_token`), as a string, or undefined when unset. */
  token(name: string): string | undefined;
  /** `convert_tokens_to_ids(token)`: the id, else the unknown token's id; undefined when neither exists. */
  idOf(token: string): number | undefined;
  /** `self.<name>_id`, throwing a typed error when the tokenizer has no such token (Python fails there too). */
  requireId(name: string): number;
  idToToken(id: number): string | undefined;
}

/**
 * Runs `PreTrainedTokenizerBase.__init__` and the token additions of
 * `TokenizersBackend.__init__` on `parts`, with `superKwargs` the keyword
 * arguments the class passes to `super().__init__` (its defaults merged
 * with the files' values).
 */
export function initBackend(parts: BackendParts, resolved: ResolvedInitKwargs, superKwargs: InitKwargs, where: string): Backend {
  const specials = collectSpecialTokens(superKwargs, where);
  const added = new AddedVocabulary(parts.vocab);
  added.add(tokensToAdd(resolved.addedTokensDecoder, specials, (c) => added.has(c)));
  const token = (name: string) => {
    const v = specials.named.get(name);
    return v === null || v === undefined ? undefined : tokenText(v);
  };
  const idOf = (t: string) => {
    const id = added.tokenToId(t);
    if (id !== undefined) return id;
    const unk = token('unk_token');
    return unk === undefined ? undefined : added.tokenToId(unk);
  };
  return {
    parts,
    added,
    specials,
    token,
    idOf,
    requireId(name) {
      const t = token(name);
      const id = t === undefined ? undefined : idOf(t);
      if (id === undefined) {
        throw new VedError('INVALID_CONFIG', `${where}: the tokenizer needs a ${name}${t === undefined ? '' : ` (${JSON.stringify(t)})`} with an id, but the vocabulary has none.`);
      }
      return id;
    },
    idToToken: (id) => added.idToToken(id),
  };
}

/** Merges a class's keyword defaults with the files' values (the files win, an explicit null included). */
export function withDefaults(kwargs: InitKwargs, defaults: Record<string, TokenValue | unknown>): InitKwargs {
  const out: InitKwargs = new Map(Object.entries(defaults));
  for (const [k, v] of kwargs) out.set(k, v);
  return out;
}

/** A `processors.TemplateProcessing` piece: `$A`, `$B:1` or a special token `tok:0`. */
type Piece = string;

/**
 * `processors.TemplateProcessing(single, pair, special_tokens)` as `tokenizers`
 * serialises it. Pieces are written as in Python's strings (`"[CLS]:0 $A:0"`)
 * or list items (`"<s>"`, `"$A"`, type id 0 when not given).
 */
export function templateProcessing(single: Piece[], pair: Piece[], specialTokens: [string, number][]): Json {
  const piece = (p: Piece) => {
    const colon = p.lastIndexOf(':');
    const hasType = colon > 0 && /^\d+$/.test(p.slice(colon + 1));
    const id = hasType ? p.slice(0, colon) : p;
    const typeId = hasType ? Number(p.slice(colon + 1)) : 0;
    if (id === '$A' || id === '$B' || id === '$') return { Sequence: { id: id === '$B' ? 'B' : 'A', type_id: typeId } };
    return { SpecialToken: { id, type_id: typeId } };
  };
  const tokens: Record<string, unknown> = {};
  for (const [content, id] of specialTokens) tokens[content] = { id: content, ids: [id], tokens: [content] };
  return { type: 'TemplateProcessing', single: single.map(piece), pair: pair.map(piece), special_tokens: tokens };
}

/** `TokenizersBackend.update_post_processor`: `bos? $A eos?`, from `add_bos_token` / `add_eos_token` (default false). */
export function defaultPostProcessor(backend: Backend, kwargs: InitKwargs): Json {
  const bos = backend.token('bos_token');
  const eos = backend.token('eos_token');
  const addBos = kwargs.get('add_bos_token') === true && bos !== undefined;
  const addEos = kwargs.get('add_eos_token') === true && eos !== undefined;
  const single = [...(addBos ? [`${bos}:0`] : []), '$A:0', ...(addEos ? [`${eos}:0`] : [])];
  const pair = [...single, ...(addBos ? [`${bos}:1`] : []), '$B:1', ...(addEos ? [`${eos}:1`] : [])];
  const special: [string, number][] = [];
  if (addBos) special.push([bos!, backend.requireId('bos_token')]);
  if (addEos) special.push([eos!, backend.requireId('eos_token')]);
  return templateProcessing(single, pair, special);
}

/** The whole `tokenizer.json`, keys in the order `tokenizers` writes them. */
export function tokenizerJson(backend: Backend, postProcessor: Json | null): Json {
  const { parts } = backend;
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: backend.added.toJson(),
    normalizer: parts.normalizer,
    pre_tokenizer: parts.preTokenizer,
    post_processor: postProcessor,
    decoder: parts.decoder,
    model: parts.model,
  };
}

/** A model vocabulary over a token → id map. */
export function mapVocab(vocab: ReadonlyMap<string, number>): ModelVocab {
  let reverse: Map<number, string> | undefined;
  return {
    tokenToId: (t) => vocab.get(t),
    idToToken: (id) => (reverse ??= new Map([...vocab].map(([t, i]) => [i, t]))).get(id),
    size: vocab.size,
  };
}

/** A model vocabulary over Unigram's (piece, score) list: a repeated piece takes its last id, as in `tokenizers`' Unigram. */
export function listVocab(pieces: readonly (readonly [string, number])[]): ModelVocab {
  const ids = new Map<string, number>();
  pieces.forEach(([p], i) => ids.set(p, i));
  return { tokenToId: (t) => ids.get(t), idToToken: (id) => pieces[id]?.[0], size: pieces.length };
}
