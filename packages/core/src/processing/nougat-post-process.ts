/**
 * Nougat's text post-processing: `NougatTokenizer.post_process_generation` / `post_process_single` and
 * the helpers it calls (`markdown_compatible`, `normalize_list_like_lines`, `find_next_punctuation`,
 * `truncate_repetitions`, `correct_tables`), from transformers 5.18,
 * models/nougat/tokenization_nougat.py, giving Python's string for every input (of characters assigned
 * in Unicode 14.0, Python 3.11's tables). The reference removal is in `nougat-references.ts`; Python's
 * `re` and `str` semantics (Unicode `\w`/`\d`/`\s`, `$`, strip, code-point lengths) in `python-text.ts`.
 *
 * Python's last step asks NLTK's English word list whether the text ends in a word; ved does not ship
 * that corpus, so it always takes the branch Python takes when the corpus is not installed
 * (`except LookupError`: append a space). With the corpus installed Python appends the space only
 * after a listed word.
 */
import { removeHallucinatedReferences } from './nougat-references.js';
import {
  PY_DIGIT,
  PY_END,
  PY_LINE_END,
  PY_LINE_START,
  PY_SPACE,
  PY_WORD,
  pyCount,
  pyPartition,
  pyRegExp,
  pyReplace,
  pyStrip,
} from './python-text.js';

/** Options of `nougatPostProcess` / `nougatPostProcessGeneration`. */
export interface NougatPostProcessOptions {
  /** Whether to make the text Markdown-compatible (`fix_markdown`, default true). */
  fixMarkdown?: boolean;
}

const SPACE = `[${PY_SPACE}]`;
const NOT_WORD = `[^${PY_WORD}]`;
const ANY = String.raw`[^\n]`; // Python's `.` (JavaScript's `.` also stops at \r, U+2028, U+2029)

// markdown_compatible
const TAG_BEFORE = pyRegExp(String.raw`${PY_LINE_START}\(([${PY_DIGIT}.]+[a-zA-Z]?)\) \\\[(${ANY}+?)\\\]${PY_LINE_END}`);
const TAG_AFTER = pyRegExp(String.raw`${PY_LINE_START}\\\[(${ANY}+?)\\\] \(([${PY_DIGIT}.]+[a-zA-Z]?)\)${PY_LINE_END}`);
const TAG_BETWEEN = pyRegExp(
  String.raw`${PY_LINE_START}\\\[(${ANY}+?)\\\] \(([${PY_DIGIT}.]+[a-zA-Z]?)\) (\\\[${ANY}+?\\\])${PY_LINE_END}`,
);
const BOLDMATH = pyRegExp(String.raw`\\mbox\{ ?\\boldmath\$(${ANY}*?)\$\}`);
const URL = pyRegExp(
  String.raw`((?:http|ftp|https):\/\/(?:[${PY_WORD}\-]+(?:(?:\.[${PY_WORD}\-]+)+))(?:[${PY_WORD}.,@?^=%&:\/~+#\-]*[${PY_WORD}@?^=%&\/~+#\-]))`,
);
const CODE_BLOCK = pyRegExp('```' + SPACE + String.raw`*([\s\S]+?)` + SPACE + '*```'); // re.DOTALL: `.` is any character

/** `markdown_compatible`: equation tags, bold math, clickable URLs and code blocks in Markdown form. */
export function markdownCompatible(text: string): string {
  // Python's replacement templates keep `\[` and `\]` (unknown escapes of punctuation) as written.
  text = text.replace(TAG_BEFORE, (_m, tag: string, eq: string) => String.raw`\[${eq} \tag{${tag}}\]`);
  text = text.replace(TAG_AFTER, (_m, eq: string, tag: string) => String.raw`\[${eq} \tag{${tag}}\]`);
  text = text.replace(TAG_BETWEEN, (_m, eq: string, tag: string, next: string) => String.raw`\[${eq} \tag{${tag}}\] ` + next);
  text = pyReplace(text, String.raw`\. `, '. ');
  text = pyReplace(text, String.raw`\bm{`, String.raw`\mathbf{`);
  text = pyReplace(text, String.raw`{\\bm `, String.raw`\mathbf{`);
  text = text.replace(BOLDMATH, (_m, body: string) => String.raw`\mathbf{` + body + '}');
  text = text.replace(URL, (_m, url: string) => `[${url}](${url})`);
  return text.replace(CODE_BLOCK, (_m, code: string) => '```\n' + code + '\n```');
}

const LIST_DELIMITER = /[^\n] ([-*]) /u;
// `^[\dixv]+((?:\.[\dixv])?)+$` under re.IGNORECASE: the same strings as `(?:\.[\dixv])*`; Python's
// case folding also matches `[ixv]` to İ (U+0130) and ı (U+0131), JavaScript's does not.
const NUMERAL = /^[\p{Nd}ixvIXV\u0130\u0131]+(?:\.[\p{Nd}ixvIXV\u0130\u0131])*$/u;

/**
 * `normalize_list_like_lines`: a line starting with `-` or `*` that holds further ` - ` / ` * ` items is
 * split into one item per line, indented with a tab per `.` in an item's numeral (`1.2`, `i.v`).
 */
export function normalizeListLikeLines(generation: string): string {
  const lines = generation.split('\n');
  const outputLines: string[] = [];
  lines.forEach((line, lineNo) => {
    const match = LIST_DELIMITER.exec(line);
    if (!match || (line[0] !== '-' && line[0] !== '*')) {
      outputLines.push(line); // Doesn't fit the pattern we want, no changes
      return;
    }
    const delim = match[1] + ' ';
    const delim1 = line[0] + ' ';
    let replacement = '';
    line
      .split(delim)
      .slice(1)
      .forEach((item, i) => {
        const stripped = pyStrip(item);
        const [potentialNumeral, , rest] = pyPartition(stripped, ' ');
        if (!rest) return;
        // Infer the nesting level from the numbering.
        const level = NUMERAL.test(potentialNumeral) ? pyCount(potentialNumeral, '.') : 0;
        replacement += (i > 0 ? '\n' : '') + '\t'.repeat(level) + (i > 0 || lineNo === 0 ? delim : delim1) + stripped;
      });
    if (lineNo === lines.length - 1) replacement += '\n'; // the last line of the generation
    outputLines.push(replacement);
  });
  return outputLines.join('\n');
}

const PUNCTUATION = new Set(['.', '?', '!', '\n']);

/** `find_next_punctuation(text, start_idx)` on code points `at(0..length-1)`: an index, or undefined. */
function findNextPunctuation(length: number, at: (i: number) => string, startIdx: number): number | undefined {
  for (let i = startIdx; i < length; i++) if (PUNCTUATION.has(at(i))) return i;
  return undefined;
}

/**
 * `truncate_repetitions`: when the text ends in a segment of `minLen` or more characters repeated back
 * to back (compared lowercased), keeps the text up to the first repetition, extended to the end of a
 * sentence. Works on code points, and keeps Python's quirks: the sentence start is searched in the
 * reversed text but used as an index into the text, and an index of 0 counts as "not found".
 */
export function truncateRepetitions(text: string, minLen = 30): string {
  // Python's str.lower() and toLowerCase() agree on every character (full mappings, final sigma), but
  // may change the length (İ → i̇), so text and textLower are indexed separately as Python does.
  const lower = Array.from(text.toLowerCase());
  const n = lower.length;
  if (n < 2 * minLen) return text;

  // Try to find a length at which the tail is repeating.
  let maxRep: number | undefined;
  for (let rep = minLen; rep < Math.trunc(n / 2); rep++) {
    let same = true;
    for (let i = 0; i < rep; i++) {
      if (lower[n - rep - i - 1] !== lower[n - i - 1]) {
        same = false;
        break;
      }
    }
    if (same) maxRep = rep;
  }
  if (maxRep === undefined) return text;

  // Remove all but the last repetition (`substituted_text_lower` is lower[0..kept)).
  const endsWithTail = (end: number): boolean => {
    if (end < maxRep) return false;
    for (let i = 1; i <= maxRep; i++) if (lower[end - i] !== lower[n - i]) return false;
    return true;
  };
  let kept = n;
  while (endsWithTail(kept)) kept -= maxRep;
  const repeatingTail = lower.slice(kept).join('');

  // Add until next punctuation and make sure the last sentence is not repeating.
  let outLength = kept;
  for (;;) {
    const sentenceEnd = findNextPunctuation(n, (i) => lower[i]!, outLength);
    const sentenceStart = findNextPunctuation(n, (i) => lower[n - 1 - i]!, outLength);
    if (!sentenceEnd || !sentenceStart) break; // Python's truthiness: 0 is "not found" too
    const sentence = lower.slice(sentenceStart, sentenceEnd).join('');
    outLength = sentenceEnd + 1;
    if (repeatingTail.includes(sentence)) break;
  }
  return Array.from(text).slice(0, outLength).join('');
}

const TABLE_BEFORE_TEXT = pyRegExp(String.raw`${PY_LINE_START}(${ANY}+)\\begin\{tab`);

/** `NougatTokenizer.correct_tables`: drops runaway tables and puts tables on their own lines. */
export function correctTables(generation: string): string {
  // Remove obvious wrong tables.
  for (const l of generation.split('\n')) {
    if (pyCount(l, '\\begin{tabular}') > 15 || pyCount(l, '\\multicolumn') > 60 || pyCount(l, '&') > 400) {
      generation = pyReplace(generation, l, '');
    }
  }
  // Whitespace corrections.
  generation = pyReplace(generation, '\\begin{table} \\begin{tabular}', '\\begin{table}\n\\begin{tabular}');
  generation = pyReplace(generation, '\\end{tabular} \\end{table}', '\\end{tabular}\n\\end{table}');
  generation = pyReplace(generation, '\\end{table} Tab', '\\end{table}\nTab');
  generation = generation.replace(TABLE_BEFORE_TEXT, (_m, before: string) => before + '\n\\begin{tab');
  // Remove left-aligned empty LaTeX tabular blocks.
  generation = pyReplace(generation, String.raw`\begin{tabular}{l l}  & \\ \end{tabular}`, '');
  // Remove tabulars with just 2 newline characters.
  return pyReplace(generation, '\\begin{tabular}{}\n\n\\end{tabular}', '');
}

const LONG_TITLE = pyRegExp(String.raw`(?:\n|^)#+ [${PY_DIGIT}]*${NOT_WORD}? ?(${ANY}{100,})`);
const NUMBERED_HEADING = pyRegExp(
  String.raw`${PY_LINE_START}#+ (?:[${PY_DIGIT}+.]+|[ixv.]+)?${SPACE}*(?:${PY_LINE_END}|\n${SPACE}*)`,
);
const LONG_REFERENCE = pyRegExp(String.raw`${PY_LINE_START}\* \[[${PY_DIGIT}]+\](?:${SPACE}?[A-W]\.+${SPACE}?){10,}${ANY}*${PY_LINE_END}`);
const EMPTY_REFERENCE_BRACKETS = pyRegExp(String.raw`${PY_LINE_START}(\* \[[${PY_DIGIT}]+\])\[\](${ANY}*)${PY_LINE_END}`);
const LONE_CHARACTER = pyRegExp(String.raw`^[${PY_WORD}]\n\n|\n\n[${PY_WORD}]${PY_END}`);
const PMC_SUBSCRIPT = pyRegExp(String.raw`([${PY_SPACE}.,()])_([a-zA-Z0-9])__([a-zA-Z0-9]){1,3}_([${PY_SPACE}.,:()])`);
const PMC_SYMBOL = pyRegExp(String.raw`([${PY_SPACE}.,${PY_DIGIT}])_([a-zA-Z0-9])_([${PY_SPACE}.,${PY_DIGIT};])`);
const FOOTNOTE = pyRegExp(String.raw`(\nFootnote ${ANY}*?:) (?:footnotetext|thanks):${NOT_WORD}*(${ANY}*(?:\n\n|${PY_END}))`);
const INLINE_FOOTNOTE = pyRegExp(String.raw`\[FOOTNOTE:${ANY}+?\](${ANY}*?)\[ENDFOOTNOTE\]`);
const ONE_CHARACTER = /^[A-Z0-9,;:]\n?$/; // re.match(r"[A-Z0-9,;:]$", ...)
const EMPTY_TABULAR = pyRegExp(String.raw`\\begin\{tabular\}\{(?:[clr ]){2,}\}${SPACE}*[& ]*${SPACE}*(?:\\\\)? \\end\{tabular\}`);
const SAB_LINES = pyRegExp(String.raw`(?:\*\*S\. A\. B\.\*\*\n+){2,}`);
const EMPTY_HEADING = pyRegExp(String.raw`${PY_LINE_START}#+(?: [\[${PY_DIGIT}${PY_WORD}])?${PY_LINE_END}`);
const LONE_PERIOD = pyRegExp(String.raw`${PY_LINE_START}\.${SPACE}*${PY_LINE_END}`);

/** `NougatTokenizer.post_process_single(generation, fix_markdown)`: one generated page. */
export function nougatPostProcess(generation: string, options: NougatPostProcessOptions = {}): string {
  const fixMarkdown = checkOptions(options);
  if (typeof generation !== 'string') {
    throw new TypeError(`nougatPostProcess: "generation" must be a string, got ${describe(generation)}`);
  }
  // Too long section titles probably are none.
  generation = generation.replace(LONG_TITLE, (_m, title: string) => '\n' + title);
  generation = pyStrip(generation);
  // Remove LaTeX left margin tag.
  generation = pyReplace(generation, '\n* [leftmargin=*]\n', '\n');
  // Remove markdown headings of only a numeral (arabic or roman), with their trailing blank lines.
  generation = generation.replace(NUMBERED_HEADING, '');
  // Most likely hallucinated titles.
  const lines = generation.split('\n');
  const last = lines[lines.length - 1]!;
  if (last.startsWith('#') && last.replace(/^#+/, '').startsWith(' ') && lines.length > 1) {
    generation = lines.slice(0, -1).join('\n');
  }
  // Obvious repetition detection.
  generation = truncateRepetitions(generation);
  // Reference corrections.
  generation = removeHallucinatedReferences(generation);
  // Remove "* [1]" lines followed by ten or more capital initials (too long references).
  generation = generation.replace(LONG_REFERENCE, '');
  // Remove empty brackets after a reference number in brackets: "* [12][]ABC" becomes "* [12]ABC".
  generation = generation.replace(EMPTY_REFERENCE_BRACKETS, (_m, ref: string, rest: string) => ref + rest);
  // Remove single characters before or after 2 new lines.
  generation = generation.replace(LONE_CHARACTER, '');
  // PMC math artifact correction.
  generation = generation.replace(PMC_SUBSCRIPT, (_m, a: string, x: string, sub: string, b: string) => `${a}\\(${x}_{${sub}}\\)${b}`);
  generation = generation.replace(PMC_SYMBOL, (_m, a: string, x: string, b: string) => `${a}\\(${x}\\)${b}`);
  // Footnote mistakes.
  generation = generation.replace(FOOTNOTE, (_m, head: string, body: string) => `${head} ${body}`);
  generation = generation.replace(INLINE_FOOTNOTE, '');
  // Itemize post-processing.
  generation = normalizeListLikeLines(generation);

  if (generation.endsWith('.') || generation.endsWith('}')) generation += '\n\n';
  if (ONE_CHARACTER.test(generation)) {
    generation += ' '; // in case there is a comma or word ending
  } else if (generation.startsWith('#') || generation.startsWith('**') || generation.startsWith('\\begin')) {
    generation = '\n\n' + generation;
  } else if (/^(?:#|Figure|Table)/.test(generation.slice(generation.lastIndexOf('\n') + 1))) {
    generation += '\n\n';
  } else {
    // Python's `nltk.corpus.words.words()` raises LookupError without the corpus (see the header): "add
    // space just in case. Will split words but better than concatenating them".
    generation += ' ';
  }

  // Table corrections.
  generation = correctTables(generation);
  // Remove optional, empty square brackets after begin{array}.
  generation = pyReplace(generation, '\\begin{array}[]{', '\\begin{array}{');
  // Remove empty or malformed tabular blocks of 2 or more columns holding only spaces and ampersands.
  generation = generation.replace(EMPTY_TABULAR, '');
  // Remove repeated "**S. A. B.**" lines (from Nougat's code).
  generation = generation.replace(SAB_LINES, '');
  // Remove markdown headers that are incomplete or empty.
  generation = generation.replace(EMPTY_HEADING, '');
  // Remove lines with just one period.
  generation = generation.replace(LONE_PERIOD, '');
  // Replace three or more newlines with two.
  generation = generation.replace(/\n{3,}/g, '\n\n');
  return fixMarkdown ? markdownCompatible(generation) : generation;
}

/** `NougatTokenizer.post_process_generation(generation, fix_markdown)`: one page or a list of pages. */
export function nougatPostProcessGeneration(generation: string, options?: NougatPostProcessOptions): string;
export function nougatPostProcessGeneration(generation: readonly string[], options?: NougatPostProcessOptions): string[];
export function nougatPostProcessGeneration(generation: string | readonly string[], options?: NougatPostProcessOptions): string | string[];
export function nougatPostProcessGeneration(generation: string | readonly string[], options: NougatPostProcessOptions = {}): string | string[] {
  checkOptions(options);
  if (typeof generation === 'string') return nougatPostProcess(generation, options);
  if (!Array.isArray(generation)) {
    throw new TypeError(`nougatPostProcessGeneration: "generation" must be a string or an array of strings, got ${describe(generation)}`);
  }
  return generation.map((page: unknown, i) => {
    if (typeof page !== 'string') {
      throw new TypeError(`nougatPostProcessGeneration: "generation[${i}]" must be a string, got ${describe(page)}`);
    }
    return nougatPostProcess(page, options);
  });
}

function checkOptions(options: NougatPostProcessOptions): boolean {
  const { fixMarkdown = true } = options;
  if (typeof fixMarkdown !== 'boolean') {
    throw new TypeError(`Nougat post-processing: "fixMarkdown" must be a boolean, got ${describe(fixMarkdown)}`);
  }
  return fixMarkdown;
}

function describe(value: unknown): string {
  return value === null ? 'null' : Array.isArray(value) ? 'an array' : typeof value;
}
