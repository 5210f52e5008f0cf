/**
 * The text side: a `tokenizer.json` run by `@huggingface/tokenizers`, with
 * the batch API of transformers (`batchDecode(ids, {skipSpecialTokens})`).
 * A checkpoint without `tokenizer.json` has its slow tokenizer files
 * (`vocab.json` + `merges.txt`, `vocab.txt`, `sentencepiece.bpe.model`,
 * `spiece.model`) converted to one first (`slow/convert.ts`), so both kinds
 * of checkpoint share one encoding and decoding path.
 *
 * Decoding follows transformers 5.18's `TokenizersBackend._decode` where the
 * JS library differs: `clean_up_tokenization_spaces` defaults to false (the JS
 * library defaults to true), and clean-up is skipped for BPE models (it would
 * strip real spaces before punctuation) unless the config sets
 * `clean_up_tokenization_spaces_for_bpe_even_though_it_will_corrupt_output`.
 * Special tokens are skipped by the flags of `added_tokens`, as the Python
 * backend does (`additional_special_tokens` of the config is not consulted).
 * Where the JS library departs from the Rust `tokenizers` that Python runs
 * (SentencePiece charsmaps, byte-level decoding of added tokens), the
 * pipeline is corrected in place (`rust-parity.ts`).
 */
import { Tokenizer as HfTokenizer } from '@huggingface/tokenizers';
import { VedError } from '../errors.js';
import { isRecord } from '../config/config-reader.js';
import { readJson, readOptionalJson, type ModelFiles } from '../io/model-files.js';
import { matchRustTokenizers } from './rust-parity.js';
import { convertSlowTokenizer } from './slow/convert.js';

export interface DecodeOptions {
  skipSpecialTokens?: boolean;
  cleanUpTokenizationSpaces?: boolean;
}

/** Where a tokenizer came from: the checkpoint's `tokenizer.json`, or its slow files converted as the named class. */
export type TokenizerSource = { kind: 'tokenizer.json' } | { kind: 'converted'; tokenizerClass: string };

export class Tokenizer {
  private constructor(
    private readonly inner: HfTokenizer,
    /** The `tokenizer.json` object the tokenizer runs (converted ones included): what `ved export` writes. */
    readonly tokenizerJson: Record<string, unknown>,
    readonly source: TokenizerSource,
    /** `clean_up_tokenization_spaces` of tokenizer_config.json (Python's default: false). */
    private readonly cleanUpDefault: boolean,
    /** Clean-up is never applied (a BPE model, as in Python 5.18). */
    private readonly cleanUpDisabled: boolean,
    /** The file (or the converted files) in messages. */
    private readonly where: string,
  ) {}

  static fromJson(tokenizerJson: unknown, tokenizerConfig: unknown = {}, where = 'tokenizer.json', source: TokenizerSource = { kind: 'tokenizer.json' }): Tokenizer {
    if (!isRecord(tokenizerJson) || !isRecord(tokenizerJson.model)) {
      throw new VedError('INVALID_CONFIG', `${where} is not a tokenizers JSON file (no "model" object).`);
    }
    const config = isRecord(tokenizerConfig) ? tokenizerConfig : {};
    const isBpe = tokenizerJson.model.type === 'BPE';
    const forceBpe = config.clean_up_tokenization_spaces_for_bpe_even_though_it_will_corrupt_output === true;
    // The JS library would also skip tokens named in additional_special_tokens; Python skips by the added tokens' flags only.
    const { additional_special_tokens: _ignored, ...jsConfig } = config;
    let inner: HfTokenizer;
    try {
      inner = new HfTokenizer(tokenizerJson, jsConfig);
    } catch (cause) {
      throw new VedError('INVALID_CONFIG', `${where} cannot be loaded: ${(cause as Error).message}`, { cause });
    }
    matchRustTokenizers(inner, where);
    return new Tokenizer(inner, tokenizerJson, source, config.clean_up_tokenization_spaces === true, isBpe && !forceBpe, where);
  }

  /**
   * Loads `tokenizer.json` (+ `tokenizer_config.json` when present); without
   * it, converts the slow tokenizer files as transformers 5.18 does. Undefined
   * when the checkpoint has no tokenizer at all.
   */
  static async fromFiles(files: ModelFiles): Promise<Tokenizer | undefined> {
    if (await files.exists('tokenizer.json')) {
      const json = await readJson(files, 'tokenizer.json');
      const config = (await readOptionalJson(files, 'tokenizer_config.json')) ?? {};
      return Tokenizer.fromJson(json, config, `${files.location}/tokenizer.json`);
    }
    const converted = await convertSlowTokenizer(files);
    if (converted === undefined) return undefined;
    return Tokenizer.fromJson(converted.tokenizerJson, converted.tokenizerConfig, `${files.location} (${converted.tokenizerClass} converted from its vocabulary files)`, {
      kind: 'converted',
      tokenizerClass: converted.tokenizerClass,
    });
  }

  encode(text: string, { addSpecialTokens = true } = {}): number[] {
    return this.guarded('encode text', () => this.inner.encode(text, { add_special_tokens: addSpecialTokens }).ids);
  }

  decode(ids: readonly number[], { skipSpecialTokens = false, cleanUpTokenizationSpaces }: DecodeOptions = {}): string {
    // Ids the tokenizer has no token for (a model's vocab_size padded past its tokenizer's) are left out, as
    // the Rust library's `TokenizerImpl::decode` does (`id_to_token` gives None and `filter_map` drops it);
    // the JS library would write the unknown token in their place, or fail on a vocabulary without one.
    const known = ids.filter((id) => this.inner.id_to_token(id) !== undefined);
    // Python returns "" for an empty sequence; the JS tokenizer throws.
    if (known.length === 0) return '';
    const cleanUp = !this.cleanUpDisabled && (cleanUpTokenizationSpaces ?? this.cleanUpDefault);
    return this.guarded('decode ids', () => this.inner.decode(known, { skip_special_tokens: skipSpecialTokens, clean_up_tokenization_spaces: cleanUp }));
  }

  /**
   * Runs the JS library. It builds a pipeline from whatever `tokenizer.json` holds and finds a part that
   * does not match its type (a post-processor without its template, a decoder's missing field) only when
   * running it, where the Rust library refuses the file when loading it: such a failure is the file's,
   * and is reported as such.
   */
  private guarded<T>(what: string, run: () => T): T {
    try {
      return run();
    } catch (cause) {
      if (cause instanceof VedError) throw cause;
      throw new VedError('INVALID_CONFIG', `${this.where} cannot ${what}: ${(cause as Error).message} (the file does not describe a tokenizer the tokenizers library can run).`, { cause });
    }
  }

  batchDecode(batch: readonly (readonly number[])[], options: DecodeOptions = {}): string[] {
    return batch.map((ids) => this.decode(ids, options));
  }

  tokenToId(token: string): number | undefined {
    return this.inner.token_to_id(token);
  }

  /** `tokenizer.json` as `tokenizers` writes it (`Tokenizer.save(path, pretty=True)`). */
  toJsonString(): string {
    return `${JSON.stringify(this.tokenizerJson, null, 2)}\n`;
  }
}
