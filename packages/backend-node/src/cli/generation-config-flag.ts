/**
 * `--generation-config JSON|FILE`, read as written: inline JSON (it starts
 * with `{`) or a JSON file, holding an object of snake_case generation options.
 * Light on imports: `ved enqueue` stores the object in jobs as it is, the
 * generating commands convert it (common-flags.ts).
 */
import { readFile } from 'node:fs/promises';
import { isRecord } from '@ved/core';
import { UsageError } from './args.js';

/** Whether the flag's value is the JSON itself rather than a file name. */
export function isInlineGenerationConfig(value: string): boolean {
  return value.trimStart().startsWith('{');
}

/** The flag's JSON object; `{}` without the flag. Errors name the flag and the file. */
export async function readGenerationConfigFlag(value: string | undefined): Promise<Record<string, unknown>> {
  if (value === undefined) return {};
  const inline = isInlineGenerationConfig(value);
  let text = value;
  if (!inline) {
    try {
      text = await readFile(value, 'utf8');
    } catch (err) {
      throw new UsageError(`--generation-config: cannot read ${JSON.stringify(value)} (${(err as Error).message}); give a JSON object or a JSON file`);
    }
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new UsageError(`--generation-config: ${inline ? 'the argument' : value} is not valid JSON (${(err as Error).message})`);
  }
  if (!isRecord(json)) throw new UsageError('--generation-config must hold a JSON object of snake_case generation options');
  return json;
}
