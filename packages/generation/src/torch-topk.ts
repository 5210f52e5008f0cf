/**
 * `torch.topk(values, k)` on CPU, ties included: which of several equal
 * scores comes first decides beam search's candidates when scores tie (forced
 * tokens all score 0, dead beams sit at -inf or -1e9), so we reproduce it.
 *
 * torch (aten/src/ATen/native/TopKImpl.h) fills (value, index) pairs in index
 * order, then with comparator `x > y` (NaN largest) runs
 * `std::partial_sort(k)` when `64·k <= n`, else `std::nth_element(k-1)`
 * followed by `std::sort` of the first k-1. Below are libstdc++'s algorithms
 * (introselect, introsort with a 16-element insertion-sort threshold, heap
 * select / sort) step for step. torch-topk.test.ts checks it against torch
 * 2.13 on tie-heavy rows (fixtures/generation/topk.json, both code paths).
 */

const THRESHOLD = 16;

class PairArray {
  constructor(
    readonly v: Float64Array,
    readonly i: Int32Array,
  ) {}

  /** x > y, NaN counting as the largest (torch's comparator). */
  less(a: number, b: number): boolean {
    return this.lessValues(this.v[a]!, this.v[b]!);
  }

  lessValues(x: number, y: number): boolean {
    return (Number.isNaN(x) && !Number.isNaN(y)) || x > y;
  }

  swap(a: number, b: number): void {
    const tv = this.v[a]!;
    this.v[a] = this.v[b]!;
    this.v[b] = tv;
    const ti = this.i[a]!;
    this.i[a] = this.i[b]!;
    this.i[b] = ti;
  }

  move(to: number, from: number): void {
    this.v[to] = this.v[from]!;
    this.i[to] = this.i[from]!;
  }

  set(to: number, value: number, index: number): void {
    this.v[to] = value;
    this.i[to] = index;
  }
}

const lg = (n: number) => 31 - Math.clz32(n);

function insertionSort(a: PairArray, first: number, last: number): void {
  if (first === last) return;
  for (let i = first + 1; i < last; i++) {
    if (a.less(i, first)) {
      const v = a.v[i]!;
      const ix = a.i[i]!;
      for (let j = i; j > first; j--) a.move(j, j - 1);
      a.set(first, v, ix);
    } else {
      unguardedLinearInsert(a, i);
    }
  }
}

function unguardedLinearInsert(a: PairArray, last: number): void {
  const v = a.v[last]!;
  const ix = a.i[last]!;
  let next = last - 1;
  while (a.lessValues(v, a.v[next]!)) {
    a.move(last, next);
    last = next;
    next--;
  }
  a.set(last, v, ix);
}

function finalInsertionSort(a: PairArray, first: number, last: number): void {
  if (last - first > THRESHOLD) {
    insertionSort(a, first, first + THRESHOLD);
    for (let i = first + THRESHOLD; i < last; i++) unguardedLinearInsert(a, i);
  } else {
    insertionSort(a, first, last);
  }
}

function moveMedianToFirst(a: PairArray, result: number, x: number, y: number, z: number): void {
  if (a.less(x, y)) {
    if (a.less(y, z)) a.swap(result, y);
    else if (a.less(x, z)) a.swap(result, z);
    else a.swap(result, x);
  } else if (a.less(x, z)) a.swap(result, x);
  else if (a.less(y, z)) a.swap(result, z);
  else a.swap(result, y);
}

function unguardedPartition(a: PairArray, first: number, last: number, pivot: number): number {
  for (;;) {
    while (a.less(first, pivot)) first++;
    last--;
    while (a.less(pivot, last)) last--;
    if (!(first < last)) return first;
    a.swap(first, last);
    first++;
  }
}

function unguardedPartitionPivot(a: PairArray, first: number, last: number): number {
  const mid = first + Math.floor((last - first) / 2);
  moveMedianToFirst(a, first, first + 1, mid, last - 1);
  return unguardedPartition(a, first + 1, last, first);
}

function pushHeap(a: PairArray, first: number, hole: number, top: number, v: number, ix: number): void {
  let parent = Math.floor((hole - 1) / 2);
  while (hole > top && a.lessValues(a.v[first + parent]!, v)) {
    a.move(first + hole, first + parent);
    hole = parent;
    parent = Math.floor((hole - 1) / 2);
  }
  a.set(first + hole, v, ix);
}

function adjustHeap(a: PairArray, first: number, hole: number, len: number, v: number, ix: number): void {
  const top = hole;
  let second = hole;
  while (second < Math.floor((len - 1) / 2)) {
    second = 2 * (second + 1);
    if (a.less(first + second, first + second - 1)) second--;
    a.move(first + hole, first + second);
    hole = second;
  }
  if ((len & 1) === 0 && second === Math.floor((len - 2) / 2)) {
    second = 2 * (second + 1);
    a.move(first + hole, first + second - 1);
    hole = second - 1;
  }
  pushHeap(a, first, hole, top, v, ix);
}

function makeHeap(a: PairArray, first: number, last: number): void {
  const len = last - first;
  if (len < 2) return;
  for (let parent = Math.floor((len - 2) / 2); ; parent--) {
    adjustHeap(a, first, parent, len, a.v[first + parent]!, a.i[first + parent]!);
    if (parent === 0) return;
  }
}

function popHeap(a: PairArray, first: number, last: number, result: number): void {
  const v = a.v[result]!;
  const ix = a.i[result]!;
  a.move(result, first);
  adjustHeap(a, first, 0, last - first, v, ix);
}

function heapSelect(a: PairArray, first: number, middle: number, last: number): void {
  makeHeap(a, first, middle);
  for (let i = middle; i < last; i++) if (a.less(i, first)) popHeap(a, first, middle, i);
}

function sortHeap(a: PairArray, first: number, last: number): void {
  while (last - first > 1) {
    last--;
    popHeap(a, first, last, last);
  }
}

function partialSort(a: PairArray, first: number, middle: number, last: number): void {
  heapSelect(a, first, middle, last);
  sortHeap(a, first, middle);
}

function introsortLoop(a: PairArray, first: number, last: number, depth: number): void {
  while (last - first > THRESHOLD) {
    if (depth === 0) {
      partialSort(a, first, last, last);
      return;
    }
    depth--;
    const cut = unguardedPartitionPivot(a, first, last);
    introsortLoop(a, cut, last, depth);
    last = cut;
  }
}

function stdSort(a: PairArray, first: number, last: number): void {
  if (first === last) return;
  introsortLoop(a, first, last, lg(last - first) * 2);
  finalInsertionSort(a, first, last);
}

function nthElement(a: PairArray, first: number, nth: number, last: number): void {
  if (first === last || nth === last) return;
  let depth = lg(last - first) * 2;
  while (last - first > 3) {
    if (depth === 0) {
      heapSelect(a, first, nth + 1, last);
      a.swap(first, nth);
      return;
    }
    depth--;
    const cut = unguardedPartitionPivot(a, first, last);
    if (cut <= nth) first = cut;
    else last = cut;
  }
  insertionSort(a, first, last);
}

/**
 * The k largest values when they decide torch.topk's answer alone: one pass
 * keeps the k + 1 largest values (a multiset, so duplicates count); if these
 * are strictly decreasing, no tie touches the top k and the answer is the top
 * k in descending order, whatever order torch's algorithm visits them in.
 * Otherwise (a tie, a NaN) returns undefined and the caller emulates torch.
 * Beam search calls this on [beams × vocab] rows every step, where ties in the
 * top k are rare; it spares copying the row into (value, index) pairs.
 */
function distinctTopk(values: ArrayLike<number>, k: number): number[] | undefined {
  const kept = new Largest(Math.min(k + 1, values.length));
  for (let i = 0; i < values.length; i++) if (!kept.offer(values[i]!, i)) return undefined;
  return kept.distinctTop(k);
}

/**
 * `distinctTopk` over the concatenation of `rows[j] + shifts[j]` (each sum
 * rounded to float32), without writing that concatenation: beam search's
 * accumulated scores, one row per beam of an image. Indices count across the
 * rows (row j's entry v is `j * rows[j].length + v`); rows have one length.
 */
export function distinctTopkShifted(rows: readonly Float32Array[], shifts: readonly number[], k: number): number[] | undefined {
  const width = rows[0]?.length ?? 0;
  const kept = new Largest(Math.min(k + 1, rows.length * width));
  for (let j = 0; j < rows.length; j++) {
    const r = rows[j]!;
    const shift = shifts[j]!;
    const base = j * width;
    let floor = kept.floor;
    for (let v = 0; v < width; v++) {
      const x = Math.fround(r[v]! + shift);
      if (x <= floor) continue;
      if (!kept.offer(x, base + v)) return undefined;
      floor = kept.floor;
    }
  }
  return kept.distinctTop(k);
}

/** The m largest values offered so far (a multiset: duplicates count), in descending order, with their indices. */
class Largest {
  private readonly tv: Float64Array;
  private readonly ti: Int32Array;
  private filled = 0;
  /** A value not above this cannot enter: the smallest kept once `m` are kept, NaN (compares false) before. */
  floor = Number.NaN;

  constructor(private readonly m: number) {
    this.tv = new Float64Array(m).fill(-Infinity);
    this.ti = new Int32Array(m).fill(-1);
  }

  /** Offers value x at index i; false for NaN (the caller gives up). */
  offer(x: number, i: number): boolean {
    if (x !== x) return false;
    const { m, tv, ti } = this;
    if (x <= this.floor) return true;
    // Insert after the values >= x (equal values are detected by distinctTop).
    let j = this.filled === m ? m - 1 : this.filled++;
    while (j > 0 && tv[j - 1]! < x) {
      tv[j] = tv[j - 1]!;
      ti[j] = ti[j - 1]!;
      j--;
    }
    tv[j] = x;
    ti[j] = i;
    if (this.filled === m) this.floor = tv[m - 1]!;
    return true;
  }

  /** The k best indices if the kept values are strictly decreasing (no tie touches the top k), else undefined. */
  distinctTop(k: number): number[] | undefined {
    for (let j = 1; j < this.filled; j++) if (!(this.tv[j - 1]! > this.tv[j]!)) return undefined;
    return Array.from(this.ti.subarray(0, Math.min(k, this.filled)));
  }
}

/** Indices of the k largest values, best first, in torch.topk's order (ties included). */
export function topkIndices(values: ArrayLike<number>, k: number): number[] {
  const n = values.length;
  const kk = Math.min(k, n);
  if (kk <= 0) return [];
  if (kk <= 64 && n >= 256) {
    const fast = distinctTopk(values, kk);
    if (fast !== undefined) return fast;
  }
  const a = new PairArray(Float64Array.from(values), new Int32Array(n));
  for (let j = 0; j < n; j++) a.i[j] = j;
  if (kk * 64 <= n) {
    partialSort(a, 0, kk, n);
  } else {
    nthElement(a, 0, kk - 1, n);
    stdSort(a, 0, kk - 1);
  }
  return Array.from(a.i.subarray(0, kk));
}
