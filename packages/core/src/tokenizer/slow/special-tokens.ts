/**
 * Which special and added tokens a tokenizer saved without `tokenizer.json`
 * ends up with, read from `tokenizer_config.json`, `special_tokens_map.json`
 * and `added_tokens.json` exactly as transformers 5.18 reads them:
 * `PreTrainedTokenizerBase._from_pretrained` (precedence of the three files),
 * `PreTrainedTokenizerBase.__init__` (named and extra special tokens) and
 * `TokenizersBackend.__init__` (the order tokens are added to the backend),
 * all in transformers/tokenization_utils_base.py and
 * tokenization_utils_tokenizers.py.
 *
 * Python's quirks are kept on purpose, since they decide ids and which
 * tokens `skip_special_tokens` drops, e.g.: `added_tokens_decoder` in
 * tokenizer_config.json makes the two legacy files ignored; a token of
 * added_tokens.json is special only when a named special token or
 * tokenizer_config.json's `additional_special_tokens` names it (the list in
 * special_tokens_map.json does not count).
 */
import { VedError } from '../../errors.js';
import { isRecord } from '../../config/config-reader.js';
import { addedToken, isAddedToken, sameTokenValue, tokenText, type AddedToken, type TokenValue } from './added-vocabulary.js';

/** `PreTrainedTokenizerBase.SPECIAL_TOKENS_ATTRIBUTES`. */
export const SPECIAL_TOKENS_ATTRIBUTES = ['bos_token', 'eos_token', 'unk_token', 'sep_token', 'pad_token', 'cls_token', 'mask_token'] as const;

/** A JSON value after `convert_added_tokens`: `{"__type": "AddedToken", ...}` objects became `AddedToken`s. */
export type PyValue = unknown;

/** The keyword arguments the tokenizer class is called with (`init_kwargs`), keyed as in the JSON. */
export type InitKwargs = Map<string, PyValue>;

export interface SlowTokenizerJsonFiles {
  /** tokenizer_config.json (parsed), when present. */
  tokenizerConfig?: Record<string, unknown>;
  specialTokensMap?: Record<string, unknown>;
  addedTokens?: Record<string, unknown>;
  /** Names the folder in error messages. */
  where: string;
}

export interface ResolvedInitKwargs {
  kwargs: InitKwargs;
  /** `added_tokens_decoder`: index → token, added to the backend first (in index order). */
  addedTokensDecoder: Map<number, AddedToken>;
}

/** `AddedToken(**fields)` from a serialised token (`__type` and unknown keys ignored, as `tokenizers` does). */
export function addedTokenFromFields(fields: Record<string, unknown>, where: string, override: Partial<AddedToken> = {}): AddedToken {
  if (typeof fields.content !== 'string') {
    throw new VedError('INVALID_CONFIG', `${where}: an added token has "content" ${JSON.stringify(fields.content)}, expected a string.`);
  }
  const flag = (key: string): boolean | undefined => {
    const v = fields[key];
    if (v === undefined || v === null) return undefined;
    if (typeof v !== 'boolean') throw new VedError('INVALID_CONFIG', `${where}: added token ${JSON.stringify(fields.content)} has "${key}" ${JSON.stringify(v)}, expected true or false.`);
    return v;
  };
  const flags: { -readonly [K in keyof Omit<AddedToken, 'content'>]?: boolean } = {};
  const set = (name: keyof typeof flags, key: string) => {
    const v = flag(key);
    if (v !== undefined) flags[name] = v;
  };
  set('singleWord', 'single_word');
  set('lstrip', 'lstrip');
  set('rstrip', 'rstrip');
  set('normalized', 'normalized');
  set('special', 'special');
  return addedToken(fields.content, { ...flags, ...override });
}

function isTokenDict(value: unknown): value is Record<string, unknown> {
  return isRecord(value) && value.__type === 'AddedToken';
}

/** `convert_added_tokens(obj, save=False)`: `__type` dicts become AddedTokens, recursively. */
function convertAddedTokens(value: unknown, where: string): PyValue {
  if (isTokenDict(value)) return addedTokenFromFields(value, where);
  if (Array.isArray(value)) return value.map((v) => convertAddedTokens(v, where));
  if (isRecord(value)) return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, convertAddedTokens(v, where)]));
  return value;
}

/** Python truthiness of a JSON value. */
function truthy(value: unknown): boolean {
  if (value === undefined || value === null || value === false || value === 0 || value === '') return false;
  if (Array.isArray(value)) return value.length > 0;
  if (isRecord(value) && !isAddedToken(value)) return Object.keys(value).length > 0;
  return true;
}

/**
 * `str(value)` where only a str or an AddedToken can equal a token; a dict
 * (an unconverted `__type` dict) prints as a dict in Python and matches none.
 */
function strOrNone(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (isAddedToken(value)) return value.content;
  return undefined;
}

function isTokenValue(value: unknown): value is TokenValue {
  return typeof value === 'string' || isAddedToken(value);
}

/**
 * `_from_pretrained`: the init kwargs from tokenizer_config.json, and the
 * legacy special_tokens_map.json / added_tokens.json when tokenizer_config.json
 * has no `added_tokens_decoder`.
 */
export function resolveInitKwargs(files: SlowTokenizerJsonFiles): ResolvedInitKwargs {
  const { where } = files;
  const kw: InitKwargs = new Map(Object.entries(files.tokenizerConfig ?? {}));
  kw.delete('tokenizer_class');
  kw.delete('init_inputs');

  // V5: additional_special_tokens → extra_special_tokens
  if (kw.has('additional_special_tokens') && !truthy(kw.get('extra_special_tokens'))) {
    kw.set('extra_special_tokens', kw.get('additional_special_tokens'));
    kw.delete('additional_special_tokens');
  }
  // Model-specific tokens (e.g. "image_token"): only plain strings at this point.
  const modelSpecific = new Map<string, PyValue>();
  for (const [key, value] of [...kw]) {
    if (!(SPECIAL_TOKENS_ATTRIBUTES as readonly string[]).includes(key) && key.endsWith('_token') && typeof value === 'string') {
      modelSpecific.set(key, value);
      kw.delete(key);
    }
  }
  const extra = kw.get('extra_special_tokens');
  if (isRecord(extra) && !isTokenDict(extra)) {
    for (const [k, v] of Object.entries(extra)) modelSpecific.set(k, v);
    kw.delete('extra_special_tokens');
  }
  if (modelSpecific.size > 0) kw.set('model_specific_special_tokens', Object.fromEntries(modelSpecific));

  const decoder = new Map<number, AddedToken>();
  const byContent = new Map<string, AddedToken>();
  const rawDecoder = kw.get('added_tokens_decoder');
  if (kw.has('added_tokens_decoder')) {
    if (!isRecord(rawDecoder)) {
      throw new VedError('INVALID_CONFIG', `${where}/tokenizer_config.json: "added_tokens_decoder" is ${JSON.stringify(rawDecoder)}, expected an object of id → token.`);
    }
    for (const [idx, token] of Object.entries(rawDecoder)) {
      const id = Number(idx);
      if (!Number.isInteger(id) || id < 0) throw new VedError('INVALID_CONFIG', `${where}/tokenizer_config.json: "added_tokens_decoder" has the key ${JSON.stringify(idx)}, expected a token id.`);
      if (!isRecord(token)) {
        throw new VedError('INVALID_CONFIG', `${where}/tokenizer_config.json: "added_tokens_decoder"["${idx}"] is ${JSON.stringify(token)}, expected a token object ({"content": ...}).`);
      }
      const t = addedTokenFromFields(token, `${where}/tokenizer_config.json "added_tokens_decoder"`);
      decoder.set(id, t);
      byContent.set(t.content, t);
    }
  } else {
    if (files.specialTokensMap !== undefined) {
      for (const [key, value] of Object.entries(files.specialTokensMap)) {
        let v: unknown = value;
        if (isRecord(value) && key !== 'extra_special_tokens') {
          v = addedTokenFromFields(value, `${where}/special_tokens_map.json "${key}"`, { special: true });
        } else if (key === 'extra_special_tokens' && Array.isArray(value)) {
          const existing = Array.isArray(kw.get('extra_special_tokens')) ? [...(kw.get('extra_special_tokens') as unknown[])] : [];
          for (const tok of value) {
            const t = isRecord(tok) ? addedTokenFromFields(tok, `${where}/special_tokens_map.json "${key}"`, { special: true }) : tok;
            if (!existing.some((e) => isTokenValue(e) && isTokenValue(t) && sameTokenValue(e, t))) existing.push(t);
          }
          v = existing;
        }
        kw.set(key, v);
      }
      const extraMap: unknown = kw.get('extra_special_tokens');
      if (isRecord(extraMap) && !isAddedToken(extraMap) && extraMap.__type !== 'AddedToken') {
        const previous = kw.get('model_specific_special_tokens');
        const merged = { ...(isRecord(previous) ? previous : {}), ...(extraMap as Record<string, unknown>) };
        kw.set('model_specific_special_tokens', merged);
        kw.delete('extra_special_tokens');
      }
    }
    if (files.addedTokens !== undefined) {
      const special = new Set<string>();
      for (const key of SPECIAL_TOKENS_ATTRIBUTES) {
        const v = kw.get(key);
        const s = truthy(v) ? strOrNone(v) : undefined;
        if (s !== undefined) special.add(s);
      }
      const extraList = kw.get('extra_special_tokens');
      if (Array.isArray(extraList)) for (const t of extraList) if (strOrNone(t) !== undefined) special.add(strOrNone(t)!);
      for (const [content, index] of Object.entries(files.addedTokens)) {
        if (typeof index !== 'number' || !Number.isInteger(index) || index < 0) {
          throw new VedError('INVALID_CONFIG', `${where}/added_tokens.json: token ${JSON.stringify(content)} has the id ${JSON.stringify(index)}, expected a non-negative integer.`);
        }
        const isSpecial = special.has(content);
        const t = addedToken(content, { normalized: !isSpecial, special: isSpecial });
        decoder.set(index, t);
        byContent.set(content, t);
      }
    }
  }

  kw.delete('added_tokens_decoder');
  for (const [key, value] of [...kw]) kw.set(key, convertAddedTokens(value, `${where}/tokenizer_config.json "${key}"`));
  if (byContent.size > 0) {
    for (const key of SPECIAL_TOKENS_ATTRIBUTES) {
      const v = kw.get(key);
      if (v === undefined || v === null) continue;
      const s = strOrNone(v);
      if (s !== undefined && byContent.has(s)) kw.set(key, byContent.get(s)!);
    }
  }
  return { kwargs: kw, addedTokensDecoder: decoder };
}

/** The named and extra special tokens `PreTrainedTokenizerBase.__init__` keeps. */
export interface SpecialTokens {
  /** `_special_tokens_map`: bos, eos, unk, sep, pad, cls, mask, then model-specific names; null when unset. */
  named: Map<string, TokenValue | null>;
  /** `_extra_special_tokens`. */
  extra: TokenValue[];
}

/**
 * `PreTrainedTokenizerBase.__init__(**kwargs)`: the class passes its own
 * defaults (e.g. `bos_token="<s>"`) in `kwargs` where the files gave none.
 */
export function collectSpecialTokens(kwargs: InitKwargs, where: string): SpecialTokens {
  const kw = new Map(kwargs);
  if (kw.has('additional_special_tokens') && !kw.has('extra_special_tokens')) {
    kw.set('extra_special_tokens', kw.get('additional_special_tokens'));
    kw.delete('additional_special_tokens');
  }
  const named = new Map<string, TokenValue | null>(SPECIAL_TOKENS_ATTRIBUTES.map((k) => [k, null]));
  let extra: TokenValue[] = [];
  const explicit = kw.get('model_specific_special_tokens');
  const autoSpecific = new Map<string, TokenValue>();
  const setSpecific = (entries: Iterable<[string, unknown]>) => {
    for (const [k, v] of entries) {
      if (!isTokenValue(v)) throw new VedError('INVALID_CONFIG', `${where}: special token "${k}" is ${JSON.stringify(v)}, expected a string or an added token.`);
      named.set(k, v);
    }
  };
  for (const [key, value] of kw) {
    if ((SPECIAL_TOKENS_ATTRIBUTES as readonly string[]).includes(key)) {
      if (value === null || value === undefined) continue;
      if (!isTokenValue(value)) throw new VedError('INVALID_CONFIG', `${where}: "${key}" is ${JSON.stringify(value)}, expected a string or an added token.`);
      named.set(key, value);
    } else if (key === 'extra_special_tokens') {
      if (value === null || value === undefined) continue;
      if (Array.isArray(value)) {
        for (const t of value) {
          if (!isTokenValue(t)) throw new VedError('INVALID_CONFIG', `${where}: "additional_special_tokens" holds ${JSON.stringify(t)}, expected strings or added tokens.`);
        }
        extra = [...(value as TokenValue[])];
      } else if (isRecord(value) && !isAddedToken(value)) {
        setSpecific(Object.entries(value));
      } else {
        throw new VedError('INVALID_CONFIG', `${where}: "additional_special_tokens" is ${JSON.stringify(value)}, expected a list of tokens.`);
      }
    } else if (key.endsWith('_token') && isTokenValue(value)) {
      autoSpecific.set(key, value);
    }
  }
  const specific = new Map<string, unknown>([...autoSpecific, ...(isRecord(explicit) ? Object.entries(explicit) : [])]);
  if (specific.size > 0) setSpecific(specific);
  return { named, extra };
}

/**
 * `TokenizersBackend.__init__`'s additions: the `added_tokens_decoder`
 * tokens in index order, then every named special token and extra special
 * token not already among them (strings become special AddedTokens; an
 * AddedToken a named token refers to is made special).
 */
export function tokensToAdd(decoder: Map<number, AddedToken>, specials: SpecialTokens, alreadyAdded: (content: string) => boolean): AddedToken[] {
  const list: TokenValue[] = [...decoder.entries()].sort(([a], [b]) => a - b).map(([, t]) => t);
  const encoder = new Set(list.map(tokenText));
  const inList = (v: TokenValue) => list.some((t) => sameTokenValue(t, v));
  const known = (v: TokenValue) => alreadyAdded(tokenText(v)) || encoder.has(tokenText(v));
  for (const v of specials.named.values()) if (v !== null && !known(v) && !inList(v)) list.push(v);
  for (const v of specials.extra) if (!known(v) && !inList(v)) list.push(v);
  const namedText = new Set([...specials.named.values()].filter((v): v is TokenValue => v !== null && tokenText(v) !== '').map(tokenText));
  return list.map((t) => (typeof t === 'string' ? addedToken(t, { special: true }) : !t.special && namedText.has(t.content) ? { ...t, special: true } : t));
}
