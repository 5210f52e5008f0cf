/** Argument parsing shared by the subcommands (node's `util.parseArgs`, strict). */
export class UsageError extends Error {}

/** Runs an argument parser, turning its errors into usage errors (exit code 2). */
export function usage<T>(parse: () => T): T {
  try {
    return parse();
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
}

/** Parses a positive integer flag value, naming the flag when it is not one. */
export function positiveInt(flag: string, value: string | undefined, fallback?: number): number | undefined {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new UsageError(`--${flag} must be a positive integer, got ${JSON.stringify(value)}`);
  return n;
}

/** Parses a non-negative integer flag value (seeds, token ids). */
export function nonNegativeInt(flag: string, value: string | undefined, fallback?: number): number | undefined {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (value.trim() === '' || !Number.isInteger(n) || n < 0) throw new UsageError(`--${flag} must be a non-negative integer, got ${JSON.stringify(value)}`);
  return n;
}
