/**
 * Text metrics of an evaluation: the exact-match rate and the character error
 * rate (Levenshtein distance over Unicode code points, summed over examples,
 * divided by the reference characters), as `ved eval` reports them.
 */

/** Levenshtein distance between two strings, over Unicode code points. */
export function levenshtein(a: string, b: string): number {
  const s = Array.from(a);
  const t = Array.from(b);
  let prev = Array.from({ length: t.length + 1 }, (_, j) => j);
  for (let i = 1; i <= s.length; i++) {
    const cur = [i];
    for (let j = 1; j <= t.length; j++) {
      cur.push(Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + (s[i - 1] === t[j - 1] ? 0 : 1)));
    }
    prev = cur;
  }
  return prev[t.length]!;
}

export interface TextMetrics {
  exactMatch: number;
  cer: number;
}

export function textMetrics(predictions: readonly string[], references: readonly string[]): TextMetrics {
  let exact = 0;
  let edits = 0;
  let chars = 0;
  references.forEach((ref, i) => {
    const pred = predictions[i] ?? '';
    if (pred === ref) exact++;
    edits += levenshtein(ref, pred);
    chars += Array.from(ref).length;
  });
  const n = references.length;
  return { exactMatch: n === 0 ? 0 : exact / n, cer: chars === 0 ? (edits === 0 ? 0 : Infinity) : edits / chars };
}
