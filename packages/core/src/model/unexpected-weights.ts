/**
 * Checkpoint tensors the model never reads: Python's load report lists them
 * as UNEXPECTED (`PreTrainedModel._adjust_missing_and_unexpected_keys`,
 * transformers/modeling_utils.py), after dropping the names that match the
 * architectures' `_keys_to_ignore_on_load_unexpected` patterns. A config with
 * fewer layers than its checkpoint loads "fine" and reads garbage: saying so
 * is the only hint the user gets. ved warns by default and, with `strict`,
 * refuses (`UNEXPECTED_WEIGHTS`).
 */
import { VedError } from '../errors.js';
import type { Composition } from './composition.js';
import { modelWeightSpecs } from './weight-specs.js';

/** How many names a message lists before "and N more". */
const LISTED = 8;

const LEGACY: Array<[RegExp, string]> = [
  [/\.gamma$/, '.weight'],
  [/\.beta$/, '.bias'],
];

/** Names of `unused` (checkpoint tensors no graph read) that Python would report as unexpected. */
export function findUnexpectedWeights(parts: Composition, unused: readonly string[]): string[] {
  if (unused.length === 0) return [];
  const known = new Set(modelWeightSpecs(parts).map((s) => s.name));
  for (const name of Object.keys(parts.decoder.tiedWeights?.(parts.decoderConfig) ?? {})) known.add(`decoder.${name}`);
  const patterns = [...(parts.encoder.unexpectedKeysToIgnore ?? []), ...(parts.decoder.unexpectedKeysToIgnore ?? [])];
  // Python joins the patterns into one regex and `search`es each full name.
  const ignore = patterns.length === 0 ? undefined : new RegExp(patterns.map((p) => `(${p})`).join('|'));
  return unused.filter((name) => {
    if (known.has(name) || LEGACY.some(([legacy, modern]) => legacy.test(name) && known.has(name.replace(legacy, modern)))) return false;
    return ignore === undefined || !ignore.test(name);
  });
}

/** The message for unexpected tensors of the checkpoint at `where`. */
export function describeUnexpectedWeights(unexpected: readonly string[], where: string, strict: boolean): string {
  const shown = unexpected.slice(0, LISTED).join(', ');
  const more = unexpected.length > LISTED ? `, and ${unexpected.length - LISTED} more` : '';
  return (
    `${where}: ${unexpected.length} checkpoint tensor(s) are not used by the model (UNEXPECTED in Python's load report): ${shown}${more}. ` +
    'They can be ignored when loading from a different task or architecture, but not if you expect the identical architecture ' +
    '(e.g. a config with fewer layers than its checkpoint computes something else).' +
    (strict ? '' : ' Load with `strict: true` (ved: --strict) to make this an error.')
  );
}

/** Warns about (or, with `strict`, refuses) unexpected tensors. */
export function reportUnexpectedWeights(
  parts: Composition,
  unused: readonly string[],
  where: string,
  options: { strict?: boolean; onWarning?: (message: string) => void },
): string[] {
  const unexpected = findUnexpectedWeights(parts, unused);
  if (unexpected.length === 0) return unexpected;
  if (options.strict === true) throw new VedError('UNEXPECTED_WEIGHTS', describeUnexpectedWeights(unexpected, where, true));
  (options.onWarning ?? ((m: string) => console.warn(`ved: ${m}`)))(describeUnexpectedWeights(unexpected, where, false));
  return unexpected;
}
