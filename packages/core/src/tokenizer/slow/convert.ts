/**
 * A checkpoint's tokenizer saved without `tokenizer.json` (the files the
 * 4.x "slow" tokenizers wrote), converted to the `tokenizer.json` that
 * transformers 5.18 builds when it loads the same folder
 * (`AutoTokenizer.from_pretrained` → `TokenizersBackend.convert_to_native_format`
 * → the class's `__init__`).
 *
 * The class is the one `AutoTokenizer` picks: tokenizer_config.json's
 * `tokenizer_class`, else config.json's `tokenizer_class`, else the class
 * registered for config.json's `model_type` (models/auto/tokenization_auto.py).
 */
import { VedError, listChoices } from '../../errors.js';
import { isRecord } from '../../config/config-reader.js';
import { readJson, type ModelFiles } from '../../io/model-files.js';
import type { Json } from './backend.js';
import { convertContext, type ConvertContext } from './context.js';
import { mbart50Tokenizer, mbartTokenizer, t5Tokenizer, xlmRobertaTokenizer } from './sentencepiece-classes.js';
import { resolveInitKwargs } from './special-tokens.js';
import { bertTokenizer, gpt2Tokenizer, robertaTokenizer } from './vocab-file-classes.js';

type ClassConverter = (ctx: ConvertContext) => Promise<Json>;

/** Tokenizer classes ved converts, by the name tokenizer_config.json gives (a trailing `Fast` is dropped). */
export const SLOW_TOKENIZER_CLASSES: Readonly<Record<string, ClassConverter>> = {
  GPT2Tokenizer: gpt2Tokenizer,
  RobertaTokenizer: robertaTokenizer,
  BartTokenizer: robertaTokenizer,
  BertTokenizer: bertTokenizer,
  XLMRobertaTokenizer: xlmRobertaTokenizer,
  MBartTokenizer: mbartTokenizer,
  MBart50Tokenizer: mbart50Tokenizer,
  T5Tokenizer: t5Tokenizer,
};

/** `TOKENIZER_MAPPING_NAMES` for the model types of ved's decoders (and T5). */
const CLASS_OF_MODEL_TYPE: Readonly<Record<string, string>> = {
  gpt2: 'GPT2Tokenizer',
  bert: 'BertTokenizer',
  roberta: 'RobertaTokenizer',
  bart: 'RobertaTokenizer',
  mbart: 'MBartTokenizer',
  'xlm-roberta': 'XLMRobertaTokenizer',
  trocr: 'XLMRobertaTokenizer',
  t5: 'T5Tokenizer',
};

/** The files a slow tokenizer keeps its vocabulary in; one of them (or a tokenizer_config.json) means the checkpoint has a tokenizer. */
export const SLOW_VOCAB_FILES = ['vocab.json', 'merges.txt', 'vocab.txt', 'sentencepiece.bpe.model', 'spiece.model'] as const;

async function optionalObject(files: ModelFiles, name: string): Promise<Record<string, unknown> | undefined> {
  if (!(await files.exists(name))) return undefined;
  const json = await readJson(files, name);
  if (!isRecord(json)) throw new VedError('INVALID_CONFIG', `${files.location}/${name} must hold a JSON object.`);
  return json;
}

export interface ConvertedTokenizer {
  /** The `tokenizer.json` object. */
  tokenizerJson: Json;
  /** tokenizer_config.json (empty when absent). */
  tokenizerConfig: Record<string, unknown>;
  /** The class converted, e.g. `XLMRobertaTokenizer`. */
  tokenizerClass: string;
}

/**
 * Converts the slow tokenizer files of `files`; undefined when the checkpoint
 * has no tokenizer at all (no tokenizer_config.json and no vocabulary file).
 */
export async function convertSlowTokenizer(files: ModelFiles): Promise<ConvertedTokenizer | undefined> {
  const tokenizerConfig = await optionalObject(files, 'tokenizer_config.json');
  let anyVocab = false;
  for (const name of SLOW_VOCAB_FILES) if (await files.exists(name)) anyVocab = true;
  if (tokenizerConfig === undefined && !anyVocab) return undefined;

  const where = files.location;
  const config = await optionalObject(files, 'config.json');
  let name: unknown = tokenizerConfig?.tokenizer_class ?? config?.tokenizer_class;
  let from = name === tokenizerConfig?.tokenizer_class ? 'tokenizer_config.json "tokenizer_class"' : 'config.json "tokenizer_class"';
  if ((name === undefined || name === null) && typeof config?.model_type === 'string' && CLASS_OF_MODEL_TYPE[config.model_type] !== undefined) {
    name = CLASS_OF_MODEL_TYPE[config.model_type];
    from = `config.json "model_type" ${JSON.stringify(config.model_type)}`;
  }
  if (name === undefined || name === null) {
    throw new VedError(
      'INVALID_CONFIG',
      `${where} has tokenizer files but no tokenizer.json, and neither tokenizer_config.json nor config.json names a "tokenizer_class" ` +
        `(nor is config.json's model_type one with a known tokenizer), so transformers' AutoTokenizer cannot load it either. ` +
        `Add "tokenizer_class" to tokenizer_config.json, one of ${listChoices(Object.keys(SLOW_TOKENIZER_CLASSES))}.`,
    );
  }
  if (typeof name !== 'string') throw new VedError('INVALID_CONFIG', `${where}: ${from} is ${JSON.stringify(name)}, expected a class name.`);
  const className = name.endsWith('Fast') ? name.slice(0, -4) : name;
  const converter = SLOW_TOKENIZER_CLASSES[className];
  if (converter === undefined) {
    const fast = className === 'PreTrainedTokenizer' || className === 'TokenizersBackend';
    throw new VedError(
      'INVALID_CONFIG',
      fast
        ? `${where}: ${from} is ${JSON.stringify(name)}, which is stored only as tokenizer.json, and the checkpoint has none.`
        : `${where}: ${from} is ${JSON.stringify(name)}; without tokenizer.json ved converts only ${listChoices(Object.keys(SLOW_TOKENIZER_CLASSES))}. ` +
            `Save the tokenizer with tokenizer.json (transformers: AutoTokenizer.from_pretrained(dir).save_pretrained(dir)).`,
    );
  }
  const resolved = resolveInitKwargs({
    tokenizerConfig,
    specialTokensMap: await optionalObject(files, 'special_tokens_map.json'),
    addedTokens: await optionalObject(files, 'added_tokens.json'),
    where,
  });
  const tokenizerJson = await converter(convertContext(files, className, resolved));
  return { tokenizerJson, tokenizerConfig: tokenizerConfig ?? {}, tokenizerClass: className };
}
