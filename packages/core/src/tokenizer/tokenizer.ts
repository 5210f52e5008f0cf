/**
 * The text side: `tokenizer.json` through `@huggingface/tokenizers`, with the
 * batch API of transformers (`batchDecode(ids, {skipSpecialTokens})`).
 *
 * Decoding follows transformers 5.18's `TokenizersBackend._decode` where the
 * JS library differs: `clean_up_tokenization_spaces` defaults to false (the JS
 * library defaults to true), and clean-up is skipped for BPE models (it would
 * strip real spaces before punctuation) unless the config sets
 * `clean_up_tokenization_spaces_for_bpe_even_though_it_will_corrupt_output`.
 */
import { Tokenizer as HfTokenizer } from '@huggingface/tokenizers';
import { VedError } from '../errors.js';
import { isRecord } from '../config/config-reader.js';
import { readJson, readOptionalJson, type ModelFiles } from '../io/model-files.js';

export interface DecodeOptions {
  skipSpecialTokens?: boolean;
  cleanUpTokenizationSpaces?: boolean;
}

export class Tokenizer {
  private constructor(
    private readonly inner: HfTokenizer,
    /** `clean_up_tokenization_spaces` of tokenizer_config.json (Python's default: false). */
    private readonly cleanUpDefault: boolean,
    /** Clean-up is never applied (a BPE model, as in Python 5.18). */
    private readonly cleanUpDisabled: boolean,
  ) {}

  static fromJson(tokenizerJson: unknown, tokenizerConfig: unknown = {}, where = 'tokenizer.json'): Tokenizer {
    if (!isRecord(tokenizerJson) || !isRecord(tokenizerJson.model)) {
      throw new VedError('INVALID_CONFIG', `${where} is not a tokenizers JSON file (no "model" object).`);
    }
    const config = isRecord(tokenizerConfig) ? tokenizerConfig : {};
    const isBpe = tokenizerJson.model.type === 'BPE';
    const forceBpe = config.clean_up_tokenization_spaces_for_bpe_even_though_it_will_corrupt_output === true;
    return new Tokenizer(new HfTokenizer(tokenizerJson, config), config.clean_up_tokenization_spaces === true, isBpe && !forceBpe);
  }

  /** Loads `tokenizer.json` (+ `tokenizer_config.json` when present), or undefined when the checkpoint has none. */
  static async fromFiles(files: ModelFiles): Promise<Tokenizer | undefined> {
    if (!(await files.exists('tokenizer.json'))) return undefined;
    const json = await readJson(files, 'tokenizer.json');
    const config = (await readOptionalJson(files, 'tokenizer_config.json')) ?? {};
    return Tokenizer.fromJson(json, config, `${files.location}/tokenizer.json`);
  }

  encode(text: string, { addSpecialTokens = true } = {}): number[] {
    return this.inner.encode(text, { add_special_tokens: addSpecialTokens }).ids;
  }

  decode(ids: readonly number[], { skipSpecialTokens = false, cleanUpTokenizationSpaces }: DecodeOptions = {}): string {
    // Python returns "" for an empty sequence; the JS tokenizer throws.
    if (ids.length === 0) return '';
    const cleanUp = !this.cleanUpDisabled && (cleanUpTokenizationSpaces ?? this.cleanUpDefault);
    return this.inner.decode([...ids], { skip_special_tokens: skipSpecialTokens, clean_up_tokenization_spaces: cleanUp });
  }

  batchDecode(batch: readonly (readonly number[])[], options: DecodeOptions = {}): string[] {
    return batch.map((ids) => this.decode(ids, options));
  }

  tokenToId(token: string): number | undefined {
    return this.inner.token_to_id(token);
  }
}
