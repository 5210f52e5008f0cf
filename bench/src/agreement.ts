/**
 * How far two runtimes' generated ids agree: token by token over the
 * generated part (the start token excluded), and row by row. A runtime that
 * stops early or returns fewer rows loses the positions it did not produce,
 * so no one scores well by doing less.
 */

export interface Agreement {
  /** Generated positions compared (the longer side of each row pair). */
  tokens: number;
  /** Positions where both sides hold the same id. */
  sameTokens: number;
  rows: number;
  sameRows: number;
}

export function agreement(a: readonly (readonly number[])[], b: readonly (readonly number[])[], promptLength = 1): Agreement {
  const rows = Math.max(a.length, b.length);
  let tokens = 0;
  let sameTokens = 0;
  let sameRows = 0;
  for (let r = 0; r < rows; r++) {
    const x = a[r]?.slice(promptLength) ?? [];
    const y = b[r]?.slice(promptLength) ?? [];
    const n = Math.max(x.length, y.length);
    let same = 0;
    for (let i = 0; i < n; i++) if (x[i] !== undefined && x[i] === y[i]) same++;
    tokens += n;
    sameTokens += same;
    if (same === n && a[r] !== undefined && b[r] !== undefined && a[r]![0] === b[r]![0]) sameRows++;
  }
  return { tokens, sameTokens, rows, sameRows };
}

export function formatAgreement(a: Agreement): string {
  if (a.tokens === 0) return 'n/a';
  const pct = (100 * a.sameTokens) / a.tokens;
  return `${pct === 100 ? '100' : pct.toFixed(1)}% (${a.sameRows}/${a.rows} rows)`;
}

/** Rows whose length differs from `expected` (start token included): work not done as asked. */
export function wrongLengths(sequences: readonly (readonly number[])[], expected: number): number[] {
  return sequences.flatMap((s, r) => (s.length === expected ? [] : [r]));
}
