/**
 * SentencePiece's `precompiled_charsmap` normalizer, as `tokenizers` applies
 * it (tokenizers/src/normalizers/precompiled.rs over the `spm_precompiled`
 * crate): the charsmap is a darts-clone double-array trie over UTF-8 bytes
 * whose values are offsets into a pool of NUL-terminated replacement strings.
 * Each extended grapheme cluster shorter than 6 UTF-8 bytes is replaced
 * whole when the trie has a prefix of it; otherwise each character is
 * looked up alone.
 *
 * Hand-written because `@huggingface/tokenizers` ignores the charsmap and
 * approximates it with NFKC, which differs from the model's own rules (e.g.
 * for rule tables other than `nmt_nfkc`, combining marks, zero-width joiners).
 */
import { VedError } from '../errors.js';

const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true });

const hasLeaf = (unit: number) => ((unit >>> 8) & 1) === 1;
const value = (unit: number) => unit & 0x7fffffff;
const label = (unit: number) => unit & 0x800000ff;
const offset = (unit: number) => (unit >>> 10) << ((unit & (1 << 9)) >>> 6);

export class PrecompiledCharsmap {
  private readonly trie: Uint32Array;
  private readonly pool: Uint8Array;
  private readonly cache = new Map<string, string | null>();

  constructor(charsmap: Uint8Array, where = 'precompiled_charsmap') {
    const fail = (why: string): never => {
      throw new VedError('INVALID_CONFIG', `${where} cannot be read: ${why}.`);
    };
    if (charsmap.length < 4) fail(`${charsmap.length} bytes, shorter than its 4-byte header`);
    const view = new DataView(charsmap.buffer, charsmap.byteOffset, charsmap.byteLength);
    const trieBytes = view.getUint32(0, true);
    const units = Math.floor(trieBytes / 4);
    if (units === 0 || 4 + units * 4 > charsmap.length) fail(`the header announces a ${trieBytes}-byte trie, but ${charsmap.length - 4} bytes follow`);
    this.trie = new Uint32Array(units);
    for (let i = 0; i < units; i++) this.trie[i] = view.getUint32(4 + i * 4, true);
    this.pool = charsmap.subarray(4 + units * 4);
    try {
      decoder.decode(this.pool);
    } catch {
      fail('its replacement strings are not valid UTF-8');
    }
  }

  /** From base64, as `tokenizer.json` stores it. */
  static fromBase64(text: string, where?: string): PrecompiledCharsmap {
    let binary: string;
    try {
      binary = atob(text);
    } catch (cause) {
      throw new VedError('INVALID_CONFIG', `${where ?? 'precompiled_charsmap'} is not base64.`, { cause });
    }
    const bytes = new Uint8Array(binary.length);
    for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
    return new PrecompiledCharsmap(bytes, where);
  }

  /** Values of the keys that are prefixes of `key`, shortest first (`DoubleArray::common_prefix_search`). */
  private commonPrefixSearch(key: Uint8Array): number[] {
    const results: number[] = [];
    let pos = offset(this.trie[0]!);
    for (const c of key) {
      if (c === 0) break;
      pos ^= c;
      const unit = this.trie[pos];
      if (unit === undefined || label(unit) !== c) return results;
      pos ^= offset(unit);
      if (hasLeaf(unit)) {
        const leaf = this.trie[pos];
        if (leaf === undefined) return results;
        results.push(value(leaf));
      }
    }
    return results;
  }

  /** `Precompiled::transform`: the replacement of the shortest key that prefixes `chunk`, or null. */
  transform(chunk: string): string | null {
    const cached = this.cache.get(chunk);
    if (cached !== undefined) return cached;
    const found = this.commonPrefixSearch(encoder.encode(chunk));
    let out: string | null = null;
    if (found.length > 0) {
      const start = found[0]!;
      let end = start;
      while (end < this.pool.length && this.pool[end] !== 0) end++;
      out = decoder.decode(this.pool.subarray(Math.min(start, this.pool.length), end));
    }
    if (this.cache.size < 65536) this.cache.set(chunk, out);
    return out;
  }

  normalize(text: string): string {
    let out = '';
    for (const { segment } of graphemes(text)) {
      if (encoder.encode(segment).length < 6) {
        const whole = this.transform(segment);
        if (whole !== null) {
          out += whole;
          continue;
        }
      }
      for (const c of segment) out += this.transform(c) ?? c;
    }
    return out;
  }
}

let segmenter: Intl.Segmenter | undefined;

/** Extended grapheme clusters (Rust's `graphemes(true)`), from the runtime's ICU. */
function graphemes(text: string): Iterable<Intl.SegmentData> {
  if (segmenter === undefined) {
    if (typeof Intl === 'undefined' || typeof Intl.Segmenter !== 'function') {
      throw new VedError('RUNTIME', 'This JavaScript runtime has no Intl.Segmenter, which the SentencePiece normalizer needs to split text into graphemes.');
    }
    segmenter = new Intl.Segmenter(undefined, { granularity: 'grapheme' });
  }
  return segmenter.segment(text);
}
