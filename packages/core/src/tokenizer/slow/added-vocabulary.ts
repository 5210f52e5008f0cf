/**
 * Added tokens as transformers and `tokenizers` hold them: Python's
 * `AddedToken` (content plus five flags) and the id assignment of
 * `tokenizers`' `AddedVocabulary::add_tokens` (tokenizer/added_vocabulary.rs),
 * which decides the ids of tokens that are not in the model's vocabulary.
 *
 * Hand-written because the ids must come out exactly as Python's: the
 * `@huggingface/tokenizers` package reads added tokens from a
 * `tokenizer.json` but has no API that assigns them.
 */

/** `tokenizers.AddedToken`: equality compares every field, as in Python. */
export interface AddedToken {
  readonly content: string;
  readonly singleWord: boolean;
  readonly lstrip: boolean;
  readonly rstrip: boolean;
  readonly normalized: boolean;
  readonly special: boolean;
}

/** `AddedToken(content, **flags)`: `normalized` defaults to `not special`, the others to false. */
export function addedToken(content: string, flags: Partial<Omit<AddedToken, 'content'>> = {}): AddedToken {
  const special = flags.special ?? false;
  return {
    content,
    singleWord: flags.singleWord ?? false,
    lstrip: flags.lstrip ?? false,
    rstrip: flags.rstrip ?? false,
    normalized: flags.normalized ?? !special,
    special,
  };
}

export function isAddedToken(value: unknown): value is AddedToken {
  return typeof value === 'object' && value !== null && typeof (value as AddedToken).content === 'string' && typeof (value as AddedToken).special === 'boolean';
}

export function sameAddedToken(a: AddedToken, b: AddedToken): boolean {
  return (
    a.content === b.content &&
    a.singleWord === b.singleWord &&
    a.lstrip === b.lstrip &&
    a.rstrip === b.rstrip &&
    a.normalized === b.normalized &&
    a.special === b.special
  );
}

/** A special token as Python holds it before it is added: a plain string or an `AddedToken`. */
export type TokenValue = string | AddedToken;

/** Python's `str(token)`. */
export function tokenText(value: TokenValue): string {
  return typeof value === 'string' ? value : value.content;
}

/** Python's `a == b` between a str and an AddedToken (never equal), or two of a kind. */
export function sameTokenValue(a: TokenValue, b: TokenValue): boolean {
  if (typeof a === 'string' || typeof b === 'string') return a === b;
  return sameAddedToken(a, b);
}

/** The `added_tokens` entry of a `tokenizer.json`. */
export interface AddedTokenJson {
  id: number;
  content: string;
  single_word: boolean;
  lstrip: boolean;
  rstrip: boolean;
  normalized: boolean;
  special: boolean;
}

/** The model vocabulary as `AddedVocabulary` sees it. */
export interface ModelVocab {
  tokenToId(token: string): number | undefined;
  idToToken(id: number): string | undefined;
  readonly size: number;
}

/**
 * `tokenizers`' `AddedVocabulary`: content → id and id → token, with the
 * id rule of `add_tokens` (a token the model or the added vocabulary knows
 * keeps its id and takes the new flags; a new one gets the next id after
 * the model's vocabulary and every added id).
 */
export class AddedVocabulary {
  private readonly ids = new Map<string, number>();
  private readonly tokens = new Map<number, AddedToken>();

  constructor(private readonly model: ModelVocab) {}

  /** `Tokenizer.token_to_id`: added tokens first, then the model. */
  tokenToId(token: string): number | undefined {
    return this.ids.get(token) ?? this.model.tokenToId(token);
  }

  /** `Tokenizer.add_special_tokens` (every token marked special) or `add_tokens`. */
  add(tokens: readonly TokenValue[], special = false): void {
    for (const value of tokens) {
      let token = typeof value === 'string' ? addedToken(value, { special }) : value;
      if (special && !token.special) token = { ...token, special: true };
      if (token.content === '' || [...this.tokens.values()].some((t) => sameAddedToken(t, token))) continue;
      let id = this.tokenToId(token.content);
      if (id === undefined) {
        const ids = [...this.ids.values()];
        const max = ids.length === 0 ? undefined : Math.max(...ids);
        id = max === undefined ? this.model.size : max >= this.model.size || this.model.size === 0 ? max + 1 : this.model.size;
      }
      this.ids.set(token.content, id);
      this.tokens.set(id, token);
    }
  }

  /** `Tokenizer.id_to_token`: added tokens first, then the model. */
  idToToken(id: number): string | undefined {
    return this.tokens.get(id)?.content ?? this.model.idToToken(id);
  }

  has(content: string): boolean {
    return this.ids.has(content);
  }

  /** The `added_tokens` of `tokenizer.json`, sorted by id. */
  toJson(): AddedTokenJson[] {
    return [...this.tokens.entries()]
      .sort(([a], [b]) => a - b)
      .map(([id, t]) => ({ id, content: t.content, single_word: t.singleWord, lstrip: t.lstrip, rstrip: t.rstrip, normalized: t.normalized, special: t.special }));
  }
}
