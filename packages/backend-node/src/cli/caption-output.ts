/**
 * What `ved caption` prints for each returned sequence, with or without a
 * tokenizer. A checkpoint without one (no tokenizer.json, no tokenizer_config.json,
 * no vocabulary file) still generates ids; they are printed in place of the
 * text, after one warning on stderr, so that text is never silently empty:
 *
 * - plain output: `IMAGE<TAB>[id,id,...]` (a JSON array, which no caption looks like);
 * - `--json`: every entry keeps `ids`, and `text` is `null`.
 */

export interface CaptionEntry {
  ids: number[];
  /** The decoded text (special tokens skipped); null when the checkpoint has no tokenizer. */
  text: string | null;
  /** Beam search's length-penalised `sequences_scores`. */
  score?: number;
  /** With --post-process: the text after Nougat's `post_process_generation`. */
  post_processed?: string;
}

/** What `ImageToText.generate` returns that the entries need. */
export interface CaptionBatch {
  sequences: number[][];
  texts: string[];
  sequencesScores?: ArrayLike<number>;
}

/** The entries of image `index` of a batch that returned `perImage` sequences per image. */
export function captionEntries(result: CaptionBatch, index: number, perImage: number, hasTokenizer: boolean): CaptionEntry[] {
  return Array.from({ length: perImage }, (_, j) => {
    const k = index * perImage + j;
    const score = result.sequencesScores?.[k];
    const text = hasTokenizer ? result.texts[k] : null;
    if (text === undefined) throw new Error(`generate() returned no text for sequence ${k}`);
    return { ids: result.sequences[k]!, text, ...(score === undefined ? {} : { score }) };
  });
}

/** One line of the plain (tab-separated) output. */
export function plainLine(image: string, entry: CaptionEntry): string {
  return `${image}\t${entry.post_processed ?? entry.text ?? JSON.stringify(entry.ids)}\n`;
}

/** The warning printed once, on stderr, before the ids of a checkpoint without a tokenizer. */
export function noTokenizerWarning(model: string): string {
  return (
    `ved caption: warning: ${model} has no tokenizer (no tokenizer.json, tokenizer_config.json or vocabulary file), ` +
    'so token ids are printed in place of text (with --json: "text": null).\n'
  );
}
