/** Assertions for checks that run outside any test framework: a failure is a `CheckFailure` whose message says what differed. */
import { VedError } from '@ved/core';
import { maxAbsDiff } from './fixture.js';

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

/** Fails unless both values serialise to the same JSON (ids, shapes, lists of problems). */
export function assertEqualJson(actual: unknown, expected: unknown, what: string): void {
  const a = JSON.stringify(actual);
  const e = JSON.stringify(expected);
  if (a !== e) fail(`${what}: got ${a}, expected ${e}`);
}

/** Fails unless max |a - b| < tolerance (lengths equal); returns the measured difference. */
export function assertClose(a: ArrayLike<number>, b: ArrayLike<number>, tolerance: number, what: string): number {
  if (a.length !== b.length) fail(`${what}: ${a.length} values, expected ${b.length}`);
  const diff = maxAbsDiff(a, b);
  if (!(diff < tolerance)) fail(`${what}: max |diff| ${diff.toExponential(3)}, expected below ${tolerance}`);
  return diff;
}

/**
 * What `fn` throws, as `CODE: message` for a `VedError` (so a plugin's config tests can match both),
 * `not a VedError: …` for anything else, and `no error` when it returns.
 */
export function errorOf(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    return e instanceof VedError ? `${e.code}: ${e.message}` : `not a VedError: ${String(e)}`;
  }
  return 'no error';
}
