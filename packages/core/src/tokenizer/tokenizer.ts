/**
 * The text side: `tokenizer.json` through `@huggingface/tokenizers`, with the
 * batch API of transformers (`batchDecode(ids, {skipSpecialTokens})`).
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
  private constructor(private readonly inner: HfTokenizer) {}

  static fromJson(tokenizerJson: unknown, tokenizerConfig: unknown = {}, where = 'tokenizer.json'): Tokenizer {
    if (!isRecord(tokenizerJson) || !isRecord(tokenizerJson.model)) {
      throw new VedError('INVALID_CONFIG', `${where} is not a tokenizers JSON file (no "model" object).`);
    }
    return new Tokenizer(new HfTokenizer(tokenizerJson, isRecord(tokenizerConfig) ? tokenizerConfig : {}));
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
    return this.inner.decode([...ids], {
      skip_special_tokens: skipSpecialTokens,
      ...(cleanUpTokenizationSpaces === undefined ? {} : { clean_up_tokenization_spaces: cleanUpTokenizationSpaces }),
    });
  }

  batchDecode(batch: readonly (readonly number[])[], options: DecodeOptions = {}): string[] {
    return batch.map((ids) => this.decode(ids, options));
  }

  tokenToId(token: string): number | undefined {
    return this.inner.token_to_id(token);
  }
}
