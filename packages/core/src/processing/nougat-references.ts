/**
 * `NougatTokenizer.remove_hallucinated_references` and its helpers (`remove_numbers`, `get_slices`,
 * `remove_slice_from_lines`) from transformers 5.18, models/nougat/tokenization_nougat.py: a run of 16
 * or more near-identical lines (a reference list the model keeps repeating) becomes
 * `[MISSING_PAGE_POST]`. Lengths and indices count code points, as Python's do.
 */
import { PY_DIGIT, isNumericChar, pyLen, pyPartition, pyRegExp, pyReplace, pyStrip } from './python-text.js';

/**
 * `Levenshtein.ratio(s1, s2)` (python-Levenshtein, i.e. rapidfuzz's `Indel.normalized_similarity`):
 * `1 - indel_distance / (len1 + len2)` over code points, where the indel distance is
 * `len1 + len2 - 2 * LCS`; 1 for two empty strings. It must match rapidfuzz to the last bit, since
 * Nougat compares it with 0.9: the same two divisions in float64, in the same order.
 */
export function levenshteinRatio(s1: string, s2: string): number {
  const a = Array.from(s1);
  const b = Array.from(s2);
  const maximum = a.length + b.length;
  if (maximum === 0) return 1;
  // Longest common subsequence, one row at a time.
  let prev = new Int32Array(b.length + 1);
  let row = new Int32Array(b.length + 1);
  for (const ca of a) {
    for (let j = 0; j < b.length; j++) {
      row[j + 1] = ca === b[j] ? prev[j]! + 1 : Math.max(prev[j + 1]!, row[j]!);
    }
    [prev, row] = [row, prev];
  }
  const distance = maximum - 2 * prev[b.length]!;
  return 1 - distance / maximum;
}

const NUMBERS = pyRegExp(String.raw`[${PY_DIGIT}_]|\*\*`);

/** `remove_numbers` on one line: drops digits, `_` and `**`, then strips. */
export function removeNumbers(line: string): string {
  return pyStrip(line.replace(NUMBERS, ''));
}

/**
 * `get_slices`: `[start, end)` line ranges (end two past the last marked line) of runs of short lines
 * (4 to 199 code points, numbers removed) that match the next non-empty line (`ratio > 0.9`), gaps of
 * up to 3 lines joined, kept when longer than 15 lines.
 */
export function getSlices(lines: readonly string[], cleanLines: readonly string[]): Array<[number, number]> {
  const n = lines.length;
  const lengths = cleanLines.map(pyLen);
  const marked = new Uint8Array(n); // np.zeros(len(lines))
  for (let i = 0; i < n - 1; i++) {
    let j = i + 1;
    while (!cleanLines[j] && j < n - 1) j++;
    const li = lengths[i]!;
    const lj = lengths[j]!;
    if (
      li < 200 &&
      li > 3 &&
      lj < 200 &&
      lj > 3 &&
      !cleanLines[i]!.startsWith('[MISSING_PAGE') &&
      (cleanLines[i] === cleanLines[j] || levenshteinRatio(cleanLines[i]!, cleanLines[j]!) > 0.9)
    ) {
      marked.fill(1, i, j);
    }
  }
  const ids: number[] = [];
  marked.forEach((m, i) => {
    if (m) ids.push(i);
  });
  if (ids.length === 0) return [];
  const slices: Array<[number, number]> = [];
  let j0 = 0;
  for (let j = 0; j + 1 < ids.length; j++) {
    if (ids[j + 1]! - ids[j]! > 3) {
      slices.push([ids[j0]!, ids[j]! + 2]);
      j0 = j + 1;
    }
  }
  slices.push([ids[j0]!, ids[ids.length - 1]! + 2]);
  return slices.filter(([start, end]) => end - start > 15);
}

/**
 * `remove_slice_from_lines`: the text of a slice widened to where the repetition starts (at most 4 lines
 * back, or a `## References` heading) and ends (at most 5 lines on), cut at the first character in which
 * its last two lines differ (digits skipped), stripped.
 */
export function removeSliceFromLines(lines: readonly string[], cleanText: readonly string[], slice: readonly [number, number]): string {
  const n = lines.length;
  const base = cleanText[slice[0]]!;
  const section: [number, number] = [slice[0], slice[1]];
  let checkStartFlag = false;
  // Backwards pass, at most 5 lines.
  for (let lineIdx = Math.max(0, slice[0] - 1); lineIdx > Math.max(0, slice[0] - 5); lineIdx--) {
    const line = lines[lineIdx]!;
    if (!line) continue;
    if (line === '## References') {
      section[0] = lineIdx;
      break;
    } else if (levenshteinRatio(base, removeNumbers(line)) < 0.9) {
      section[0] = lineIdx + 1;
      const potentialRef = removeNumbers(pyPartition(lines[Math.max(0, lineIdx - 1)]!, '* [')[2]);
      if (pyLen(potentialRef) >= 0.75 * pyLen(base) && levenshteinRatio(base, potentialRef) < 0.9) section[0] = lineIdx;
      checkStartFlag = true;
      break;
    }
  }
  // Forward pass, at most 5 lines.
  for (let lineIdx = Math.min(n, slice[1]); lineIdx < Math.min(n, slice[1] + 5); lineIdx++) {
    if (levenshteinRatio(base, removeNumbers(lines[lineIdx]!)) < 0.9) {
      section[1] = lineIdx;
      break;
    }
  }
  if (n <= section[1]) section[1] = n - 1;
  let toDelete = lines.slice(section[0], section[1] + 1).join('\n');
  // Cut off next page content: walk both lines (numerals skipped) to their first difference. `ib`, the
  // index reached in the second, stays unset (Python's UnboundLocalError) when it yields nothing.
  const a = Array.from(lines.at(section[1] - 1)!); // Python's lines[-1] when section[1] is 0
  const b = Array.from(lines[section[1]]!);
  let ib: number | undefined;
  for (let pa = 0, pb = 0; ; ) {
    if (pa >= a.length) break;
    let ca = a[pa++]!;
    while (isNumericChar(ca) && pa < a.length) ca = a[pa++]!;
    if (isNumericChar(ca)) break; // StopIteration
    if (pb >= b.length) break;
    ib = pb;
    let cb = b[pb++]!;
    while (isNumericChar(cb) && pb < b.length) {
      ib = pb;
      cb = b[pb++]!;
    }
    if (isNumericChar(cb) || ca !== cb) break;
  }
  if (checkStartFlag && toDelete.includes('* [')) toDelete = '* [' + pyPartition(toDelete, '* [')[2];
  if (ib !== undefined) {
    const delta = b.length - ib - 1;
    if (delta > 0) {
      const cps = Array.from(toDelete);
      toDelete = cps.slice(0, Math.max(0, cps.length - delta)).join('');
    }
  }
  return pyStrip(toDelete);
}

const REFERENCES_THEN_MISSING = pyRegExp(String.raw`## References\n+\[MISSING_PAGE_POST(:[${PY_DIGIT}]+)?\]`);

/** `NougatTokenizer.remove_hallucinated_references`. */
export function removeHallucinatedReferences(text: string): string {
  const lines = text.split('\n');
  const cleanLines = lines.map(removeNumbers);
  const toDelete = getSlices(lines, cleanLines).map((slice) => removeSliceFromLines(lines, cleanLines, slice));
  for (const d of toDelete.reverse()) text = pyReplace(text, d, '\n\n[MISSING_PAGE_POST]\n\n');
  return text.replace(REFERENCES_THEN_MISSING, (_m, page: string | undefined) => `\n\n[MISSING_PAGE_POST${page ?? ''}]`);
}
