/**
 * "Did you mean …?" for names a person types: commands, flags, generation options, pipeline tasks. Not
 * for names a file written by a program holds (`model_type`, processor classes): there an unknown name is
 * another architecture ("swinv2", "DetrImageProcessor"), and the nearest known one would mislead.
 */
import { distance } from 'fastest-levenshtein';

/**
 * The known name `typed` most likely meant: the closest by edit distance when at most a third of its
 * letters, 1 to 3, are wrong (`--num-beam`, `captoin`; not `NougatImageProcessor` for
 * `DonutImageProcessor`, 4 edits); else the one name it begins (`--max-new`);
 * else the one name that contains it or that it contains, 4 letters or more (`--lr-schedule`).
 */
export function closestName(typed: string, known: Iterable<string>): string | undefined {
  const names = [...known];
  if (typed === '' || names.length === 0) return undefined;
  const scored = names.map((name) => ({ name, d: distance(typed, name) })).sort((a, b) => a.d - b.d);
  if (scored[0]!.d <= Math.max(1, Math.min(3, Math.floor(typed.length / 3)))) return scored[0]!.name;
  const only = (found: string[]) => (found.length === 1 ? found[0] : undefined);
  return (
    (typed.length >= 3 ? only(names.filter((name) => name.startsWith(typed))) : undefined) ??
    only(names.filter((name) => Math.min(name.length, typed.length) >= 4 && (name.includes(typed) || typed.includes(name))))
  );
}

/** ` (did you mean X?)`, or nothing. */
export function didYouMean(typed: string, known: Iterable<string>, show: (name: string) => string = (n) => n): string {
  const name = closestName(typed, known);
  return name === undefined ? '' : ` (did you mean ${show(name)}?)`;
}
