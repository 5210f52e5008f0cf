/**
 * Places where `@huggingface/tokenizers` (JavaScript) departs from the Rust
 * `tokenizers` library that transformers runs, corrected on a loaded
 * tokenizer's pipeline objects:
 *
 * - `Precompiled` normalizers: the JS library ignores the SentencePiece
 *   charsmap and applies NFKC; here the charsmap itself is applied
 *   (`precompiled.ts`, as tokenizers/src/normalizers/precompiled.rs), and the
 *   added tokens marked `normalized` are normalized again with it.
 * - `ByteLevel` decoders: the JS library passes added tokens through
 *   unchanged; Rust (tokenizers/src/pre_tokenizers/byte_level.rs
 *   `decode_chain`) maps every token's characters back to bytes when all of
 *   them are in the byte alphabet (else takes its UTF-8 bytes) and decodes the
 *   whole sequence once, lossily.
 * - Added tokens marked `normalized` decode as their normalized text (`id_to_token`).
 * - `WhitespaceSplit` pre-tokenizers: Rust splits on Unicode White_Space
 *   (`char::is_whitespace`: U+0085 yes, U+FEFF no), JavaScript on `\s`.
 *
 * The pipeline objects are found with `instanceof` on the library's exported
 * classes; the fields touched beyond those (the added-token splitter) are not
 * in its public types. The version is pinned (0.2.0) and the tokenizer tests
 * fail without each correction.
 */
import * as hf from '@huggingface/tokenizers';
import { VedError } from '../errors.js';
import { PrecompiledCharsmap } from './precompiled.js';

type AnyClass = abstract new (...args: never[]) => unknown;

/** A pipeline class the library exports (its re-exports are not visible to TypeScript under NodeNext resolution). */
function libraryClass(name: string): AnyClass {
  const found = (hf as unknown as Record<string, unknown>)[name];
  if (typeof found !== 'function') throw new VedError('RUNTIME', `@huggingface/tokenizers exports no ${name}; ved needs version 0.2.0.`);
  return found as AnyClass;
}

interface HfInternals {
  normalizer: unknown;
  pre_tokenizer: unknown;
  decoder: unknown;
  added_tokens: { id: number; content: string; normalized: boolean }[];
  model: { vocab: string[] };
  added_tokens_map: Map<string, unknown>;
  splitter_normalized: { constructor: new (words: string[]) => unknown };
}

/** Visits `node` and the members of the sequences it contains. */
function walk(node: unknown, children: (n: object) => unknown[] | undefined, visit: (n: object) => void): void {
  if (node === null || node === undefined || (typeof node !== 'object' && typeof node !== 'function')) return;
  visit(node as object);
  for (const child of children(node as object) ?? []) walk(child, children, visit);
}

function applyPrecompiled(internals: HfInternals, where: string): void {
  let patched = false;
  const members = (n: object) => (n instanceof libraryClass('SequenceNormalizer') ? (n as unknown as { normalizers: unknown[] }).normalizers : undefined);
  walk(internals.normalizer, members, (n) => {
    if (!(n instanceof libraryClass('PrecompiledNormalizer'))) return;
    const base64 = (n as unknown as { charsmap: unknown }).charsmap;
    if (typeof base64 !== 'string') return;
    const charsmap = PrecompiledCharsmap.fromBase64(base64, `${where} "precompiled_charsmap"`);
    (n as unknown as { normalize(text: string): string }).normalize = (text) => charsmap.normalize(text);
    patched = true;
  });
  const normalizer = internals.normalizer as ((text: string) => string) | null;
  if (!patched || normalizer === null) return;
  // The library's constructor normalized the `normalized: true` added tokens with its stand-in: redo it.
  const contents: string[] = [];
  for (const token of internals.added_tokens) {
    if (!token.normalized) continue;
    const entry = internals.added_tokens_map.get(token.content);
    for (const [key, value] of [...internals.added_tokens_map]) if (value === entry && key !== token.content) internals.added_tokens_map.delete(key);
    const normalized = normalizer(token.content);
    contents.push(normalized);
    internals.added_tokens_map.set(normalized, entry);
  }
  internals.splitter_normalized = new internals.splitter_normalized.constructor(contents) as HfInternals['splitter_normalized'];
}

/**
 * Rust's `id_to_token` gives an added token marked `normalized` as the normalizer makes it (tokenizers
 * 0.23: an added "[NEW]" under BERT's lower-casing decodes as "[new]"); the JS library keeps its content.
 * Only the id → token side changes. Special tokens are still skipped by their content, as in Rust, whose
 * `is_special_token` looks the content up too: a special token that normalizes to other text is not
 * skipped there either.
 */
function applyNormalizedAddedTokens(internals: HfInternals): void {
  const normalizer = internals.normalizer as ((text: string) => string) | null;
  if (normalizer === null) return;
  for (const token of internals.added_tokens) if (token.normalized) internals.model.vocab[token.id] = normalizer(token.content);
}

const utf8 = new TextEncoder();
const lossy = new TextDecoder('utf-8', { fatal: false, ignoreBOM: true });

function applyByteLevelDecoding(internals: HfInternals): void {
  const members = (n: object) => (n instanceof libraryClass('SequenceDecoder') ? (n as unknown as { decoders: unknown[] }).decoders : undefined);
  walk(internals.decoder, members, (n) => {
    if (!(n instanceof libraryClass('ByteLevelDecoder'))) return;
    const table = (n as unknown as { byte_decoder: Record<string, number> }).byte_decoder;
    (n as unknown as { decode_chain(tokens: string[]): string[] }).decode_chain = (tokens) => {
      const bytes: number[] = [];
      for (const token of tokens) {
        const mapped: number[] = [];
        for (const c of token) {
          const b = table[c];
          if (b === undefined) break;
          mapped.push(b);
        }
        // Every character mapped (counted in UTF-16 units: the alphabet is all in the BMP).
        if (mapped.length === token.length) for (const b of mapped) bytes.push(b);
        else for (const b of utf8.encode(token)) bytes.push(b);
      }
      return [lossy.decode(new Uint8Array(bytes))];
    };
  });
}

/** Runs of non-White_Space characters (Rust's `char::is_whitespace`). */
const NOT_WHITESPACE = /[^\t\n\v\f\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]+/gu;

function applyWhitespaceSplit(internals: HfInternals): void {
  const members = (n: object) => (n instanceof libraryClass('SequencePreTokenizer') ? (n as unknown as { tokenizers: unknown[] }).tokenizers : undefined);
  walk(internals.pre_tokenizer, members, (n) => {
    if (n instanceof libraryClass('WhitespaceSplitPreTokenizer')) {
      (n as unknown as { pre_tokenize_text(text: string): string[] }).pre_tokenize_text = (text) => text.match(NOT_WHITESPACE) ?? [];
    }
  });
}

/** Makes a loaded tokenizer behave as the Rust library on the points above. */
export function matchRustTokenizers(inner: hf.Tokenizer, where: string): void {
  const internals = inner as unknown as HfInternals;
  applyPrecompiled(internals, where);
  applyNormalizedAddedTokens(internals);
  applyByteLevelDecoding(internals);
  applyWhitespaceSplit(internals);
}
