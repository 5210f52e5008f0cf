/** Small assertions for checks that run outside any test framework. */

export class CheckFailure extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CheckFailure';
  }
}

export function fail(message: string): never {
  throw new CheckFailure(message);
}

export function assert(condition: unknown, message: string): asserts condition {
  if (!condition) fail(message);
}

export function assertEqualJson(actual: unknown, expected: unknown, what: string): void {
  const a = JSON.stringify(actual);
  const e = JSON.stringify(expected);
  if (a !== e) fail(`${what}: got ${a}, expected ${e}`);
}

export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>, what: string): number {
  if (a.length !== b.length) fail(`${what}: length ${a.length}, expected ${b.length}`);
  let max = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i]! - b[i]!);
    if (!(d <= max)) max = Number.isNaN(d) ? Infinity : d;
  }
  return max;
}

/** Fails unless max |a - b| <= tolerance; returns the measured difference. */
export function assertClose(a: ArrayLike<number>, b: ArrayLike<number>, tolerance: number, what: string): number {
  const diff = maxAbsDiff(a, b, what);
  if (!(diff <= tolerance)) fail(`${what}: max |diff| ${diff.toExponential(3)} exceeds ${tolerance}`);
  return diff;
}

/** Awaits `promise` and returns its rejection; fails if it resolves. */
export async function rejection(promise: Promise<unknown>, what: string): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  fail(`${what}: expected an error, but it succeeded`);
}
