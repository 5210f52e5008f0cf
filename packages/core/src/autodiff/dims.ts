/**
 * Symbolic dimensions for static shape inference: a dimension is a number, or
 * a product of named symbols with an integer coefficient written canonically
 * (`"batch"`, `"4*batch"`, `"batch*sequence"`), so that a reshape of
 * [batch, N, H] to [-1, H] is known to have `N*batch` rows and equal products
 * compare equal. Anything that is not such a product (a sum of symbols, a
 * data-dependent size) is a fresh unknown (`"?12"`), equal only to itself.
 */
import type { Dim } from '../onnx/graph-builder.js';

interface Monomial {
  coef: number;
  syms: string[];
}

let unknownCounter = 0;

/** A dimension nothing is known about, equal only to itself. */
export function unknownDim(): string {
  return `?${unknownCounter++}`;
}

function parse(d: Dim): Monomial {
  if (typeof d === 'number') return { coef: d, syms: [] };
  let coef = 1;
  const syms: string[] = [];
  for (const part of d.split('*')) {
    if (/^\d+$/.test(part)) coef *= Number(part);
    else syms.push(part);
  }
  return { coef, syms: syms.sort() };
}

function format(m: Monomial): Dim {
  if (m.syms.length === 0 || m.coef === 0) return m.coef;
  return m.coef === 1 ? m.syms.join('*') : `${m.coef}*${m.syms.join('*')}`;
}

export function dimEquals(a: Dim, b: Dim): boolean {
  return a === b || (typeof a === 'string' && typeof b === 'string' && format(parse(a)) === format(parse(b)));
}

export function dimMul(a: Dim, b: Dim): Dim {
  const x = parse(a);
  const y = parse(b);
  return format({ coef: x.coef * y.coef, syms: [...x.syms, ...y.syms].sort() });
}

/** a / b when the quotient is a product again; otherwise undefined. */
export function dimDiv(a: Dim, b: Dim): Dim | undefined {
  const x = parse(a);
  const y = parse(b);
  if (y.coef === 0 || x.coef % y.coef !== 0) return undefined;
  const syms = [...x.syms];
  for (const s of y.syms) {
    const i = syms.indexOf(s);
    if (i < 0) return undefined;
    syms.splice(i, 1);
  }
  return format({ coef: x.coef / y.coef, syms });
}

/** a + b: exact for numbers and for adding zero, else a fresh unknown. */
export function dimAdd(a: Dim, b: Dim): Dim {
  if (typeof a === 'number' && typeof b === 'number') return a + b;
  if (a === 0) return b;
  if (b === 0) return a;
  return unknownDim();
}

export function dimSub(a: Dim, b: Dim): Dim {
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  if (b === 0) return a;
  if (dimEquals(a, b)) return 0;
  return unknownDim();
}

export function product(dims: readonly Dim[]): Dim {
  return dims.reduce<Dim>((acc, d) => dimMul(acc, d), 1);
}

/** Whether the dimension is known to be 1. */
export const isOne = (d: Dim | undefined) => d === 1;

/** numpy broadcasting of two dimensions; undefined when the result is not known statically. */
export function broadcastDim(a: Dim, b: Dim): Dim | undefined {
  if (a === 1) return b;
  if (b === 1) return a;
  if (dimEquals(a, b)) return a;
  if (typeof a === 'number') return a;
  if (typeof b === 'number') return b;
  return undefined;
}
