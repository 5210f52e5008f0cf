/**
 * Training examples as a user gives them — `{image, text}` or
 * `{image, labels}`, from an array or any (async) iterable — checked and turned
 * into label rows before training starts, so that a bad example fails fast
 * with its position (or the `where` the caller gave it, e.g. a manifest line).
 *
 * Images stay as given (paths, decoded images, …): they are decoded and
 * preprocessed batch by batch by the caller's `prepareImages`.
 */
import { IGNORE_INDEX, VedError, type Tokenizer } from '@ved/core';
import { tokenizeTarget } from './tokenize-target.js';

export interface TrainingExample<Image> {
  image: Image;
  /** Target text, tokenized as `tokenizer(text).input_ids` (truncated to `maxTargetLength`). */
  text?: string;
  /** Target ids, used as given (not truncated; -100 marks a position the loss ignores). */
  labels?: readonly number[];
  /** Where the example comes from, for error messages (e.g. `train.jsonl, line 12`). */
  where?: string;
}

export type TrainingDataset<Image> = Iterable<TrainingExample<Image>> | AsyncIterable<TrainingExample<Image>>;

export interface PreparedExample<Image> {
  image: Image;
  labels: number[];
  /** The reference text for evaluation (the example's text, or its labels decoded). */
  text: string | undefined;
  where: string;
}

export interface PrepareOptions {
  tokenizer?: Pick<Tokenizer, 'encode'>;
  maxTargetLength?: number;
  /** Appended to tokenized texts that do not end with it (within `maxTargetLength`). */
  eosTokenId?: number;
  vocabSize: number;
  /** Names the dataset in errors ("training dataset", "evaluation dataset"). */
  label: string;
}

/** Reads every example of `dataset`, tokenizes texts and checks the label ids against the vocabulary. */
export async function prepareExamples<Image>(dataset: TrainingDataset<Image>, options: PrepareOptions): Promise<PreparedExample<Image>[]> {
  const out: PreparedExample<Image>[] = [];
  let index = 0;
  for await (const example of dataset as AsyncIterable<TrainingExample<Image>>) {
    out.push(prepareExample(example, index, options));
    index += 1;
  }
  if (out.length === 0) throw new VedError('INVALID_INPUT', `The ${options.label} holds no examples.`);
  return out;
}

function prepareExample<Image>(example: TrainingExample<Image>, index: number, options: PrepareOptions): PreparedExample<Image> {
  const fallback = `${options.label}, example ${index}`;
  if (typeof example !== 'object' || example === null) {
    throw new VedError('INVALID_INPUT', `${fallback}: expected an object {image, text} or {image, labels}, found ${JSON.stringify(example)}.`);
  }
  const where = typeof example.where === 'string' ? example.where : fallback;
  if (example.image === undefined || example.image === null) throw new VedError('INVALID_INPUT', `${where}: "image" is missing.`);
  const hasText = example.text !== undefined;
  const hasLabels = example.labels !== undefined;
  if (hasText === hasLabels) {
    throw new VedError('INVALID_INPUT', `${where}: give exactly one of "text" or "labels", found ${hasText ? 'both' : 'neither'}.`);
  }
  let labels: number[];
  if (hasText) {
    if (typeof example.text !== 'string') throw new VedError('INVALID_INPUT', `${where}: "text" must be a string, found ${JSON.stringify(example.text)}.`);
    if (options.tokenizer === undefined) {
      throw new VedError('INVALID_INPUT', `${where}: the example gives "text", but the model has no tokenizer (tokenizer.json); give "labels" instead.`);
    }
    const eos = options.eosTokenId;
    const max = options.maxTargetLength;
    labels = tokenizeTarget(options.tokenizer, example.text, eos !== undefined && max !== undefined ? Math.max(max - 1, 1) : max);
    if (eos !== undefined && labels[labels.length - 1] !== eos) labels.push(eos);
  } else {
    if (!Array.isArray(example.labels)) throw new VedError('INVALID_INPUT', `${where}: "labels" must be an array of token ids, found ${JSON.stringify(example.labels)}.`);
    labels = [...example.labels];
  }
  labels.forEach((id, t) => {
    if (id === IGNORE_INDEX && !hasText) return;
    if (!Number.isInteger(id) || id < 0 || id >= options.vocabSize) {
      throw new VedError('INVALID_INPUT', `${where}: label ${t} is ${JSON.stringify(id)}, outside the vocabulary [0, ${options.vocabSize})${hasText ? '' : ' (or -100, ignored)'}.`);
    }
  });
  if (labels.every((id) => id === IGNORE_INDEX)) {
    throw new VedError('INVALID_INPUT', `${where}: the target has no tokens the loss counts; the loss of an empty target is undefined (NaN in Python).`);
  }
  return { image: example.image, labels, text: hasText ? example.text : undefined, where };
}
