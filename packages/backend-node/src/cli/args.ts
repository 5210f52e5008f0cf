/**
 * The CLI's declarative command tables and the parser they drive.
 *
 * Each command is one `defineCommand({...})` table: its positionals, every
 * flag with its type, default and help text, and the function that runs it.
 * The same table parses the arguments (node's `util.parseArgs`, strict, then
 * typed checks per flag) and renders `ved <command> --help` and docs/cli.md,
 * so help cannot drift from what is parsed.
 */
import { parseArgs } from 'node:util';
import { didYouMean } from '@ved/core';

/** A bad command line (exit code 2); the message names the flag, the value found and what is expected. */
export class UsageError extends Error {}

interface FlagBase {
  /** One line of help. */
  help: string;
  /** The section of the help it is listed under (default `options`). */
  group?: string;
  /** A one-letter alias (`-o`). */
  short?: string;
}

export interface StringFlag extends FlagBase {
  type: 'string';
  /** The placeholder in help (`DIR`, `FILE`); default `VALUE`. */
  metavar?: string;
  default?: string;
  /** Shown instead of `default` when the default is not a literal (e.g. "the embedded default model"). */
  defaultText?: string;
  required?: boolean;
  /** Repeatable: the values in order. */
  multiple?: boolean;
}

export interface ChoiceFlag extends FlagBase {
  type: 'choice';
  choices: readonly string[];
  default?: string;
  defaultText?: string;
  required?: boolean;
}

export interface NumberFlag extends FlagBase {
  /** `integer` refuses fractions. */
  type: 'integer' | 'number';
  metavar?: string;
  default?: number;
  defaultText?: string;
  /** Smallest value accepted (inclusive). */
  min?: number;
  /** Largest value accepted (inclusive). */
  max?: number;
  /** The value must be greater than `min`, not equal. */
  exclusiveMin?: boolean;
  required?: boolean;
}

export interface BooleanFlag extends FlagBase {
  type: 'boolean';
}

export type FlagSpec = StringFlag | ChoiceFlag | NumberFlag | BooleanFlag;
export type FlagTable = Record<string, FlagSpec>;

type Scalar<F extends FlagSpec> = F extends BooleanFlag ? boolean : F extends NumberFlag ? number : string;

/** What a flag table parses into: booleans are always set; a flag with a default or `required` is never undefined. */
export type FlagValues<T extends FlagTable> = {
  [K in keyof T]: T[K] extends BooleanFlag
    ? boolean
    : T[K] extends { multiple: true }
      ? string[]
      : T[K] extends { required: true } | { default: string | number }
        ? Scalar<T[K]>
        : Scalar<T[K]> | undefined;
};

export interface PositionalSpec {
  /** The placeholder (`IMAGE`). */
  name: string;
  help: string;
  /** Fewest accepted (default 0). */
  min?: number;
  /** Most accepted (default unlimited). */
  max?: number;
}

export interface ParsedArgs<T extends FlagTable> {
  values: FlagValues<T> & GlobalValues;
  positionals: string[];
  /** The command's arguments as given (what a child process running the same command gets). */
  argv: readonly string[];
}

export interface CommandSpec<T extends FlagTable = FlagTable> {
  name: string;
  /** One line, shown in `ved help`. */
  summary: string;
  /** Paragraphs shown under the usage line of `ved <command> --help`. */
  description?: string;
  positionals?: PositionalSpec;
  flags: T;
  /** Command lines shown under "examples". */
  examples?: readonly string[];
  /** Runs the command; a number is the exit code (a child process ran it). */
  run(args: ParsedArgs<T>): Promise<void | number>;
}

/** A command table of any flags (what the command list holds). */
export interface Command {
  readonly name: string;
  readonly summary: string;
  readonly description?: string;
  readonly positionals?: PositionalSpec;
  readonly flags: FlagTable;
  readonly examples?: readonly string[];
  run(args: ParsedArgs<FlagTable>): Promise<void | number>;
  /**
   * A command that parses its own arguments (not yet converted to a table):
   * it gets the raw argv, and `--help` prints `rawUsage`.
   */
  readonly rawRun?: (argv: string[]) => Promise<void>;
  readonly rawUsage?: string;
}

/** Wraps a command that still parses its own argv (`runX(argv)`), until it gets a table. */
export function rawCommand(name: string, summary: string, rawUsage: string, rawRun: (argv: string[]) => Promise<void>): Command {
  return { name, summary, flags: {}, rawUsage, rawRun, run: () => Promise.reject(new Error(`${name} parses its own arguments`)) };
}

/** Declares a command; the flag table's types flow into `run`'s values. */
export function defineCommand<const T extends FlagTable>(spec: CommandSpec<T>): Command {
  return spec as unknown as Command;
}

/** Flags every command takes (handled by cli.ts before the command runs). */
export const GLOBAL_FLAGS = {
  plugin: {
    type: 'string',
    metavar: 'MODULE',
    multiple: true,
    group: 'global options',
    help: 'load a third-party architecture package (a module that registers encoders or decoders) before the command runs; also the comma-separated VED_PLUGINS environment variable',
  },
  quiet: { type: 'boolean', short: 'q', group: 'global options', help: 'no progress bars or notes on stderr (errors are still printed)' },
  help: { type: 'boolean', short: 'h', group: 'global options', help: 'show this help and exit' },
} as const satisfies FlagTable;

export type GlobalValues = FlagValues<typeof GLOBAL_FLAGS>;

/** Every flag of a command: its own, then the global ones. */
export function allFlags(command: Pick<Command, 'flags'>): FlagTable {
  return { ...command.flags, ...GLOBAL_FLAGS };
}

const NUMERIC = /^-(\d|\.\d|Infinity|inf)/i;

/**
 * `--max-new-tokens -1`: node's parser reads a value starting with `-` as a
 * missing value ("argument is ambiguous"). For flags that take a value, a
 * following negative number is joined (`--max-new-tokens=-1`), so the flag's
 * own check can say what is wrong with it.
 */
function joinNegativeNumbers(argv: readonly string[], flags: FlagTable): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--') {
      out.push(...argv.slice(i));
      break;
    }
    const next = argv[i + 1];
    const name = arg.startsWith('--') ? arg.slice(2) : undefined;
    const spec = name === undefined ? undefined : flags[name];
    if (spec !== undefined && spec.type !== 'boolean' && next !== undefined && NUMERIC.test(next)) {
      out.push(`${arg}=${next}`);
      i++;
    } else out.push(arg);
  }
  return out;
}

function describeExpected(name: string, spec: NumberFlag): string {
  const kind = spec.type === 'integer' ? 'an integer' : 'a number';
  const { min, max } = spec;
  if (spec.type === 'integer' && min === 1 && max === undefined) return 'a positive integer (1 or more)';
  if (spec.type === 'integer' && min === 0 && max === undefined) return 'a non-negative integer (0 or more)';
  if (min !== undefined && max !== undefined) return `${kind} from ${min}${spec.exclusiveMin ? ' (exclusive)' : ''} to ${max}`;
  if (min !== undefined) return `${kind} ${spec.exclusiveMin ? 'greater than' : 'of at least'} ${min}`;
  if (max !== undefined) return `${kind} of at most ${max}`;
  void name;
  return kind;
}

/** Checks and converts one value of a number flag. */
export function parseNumberFlag(name: string, spec: NumberFlag, raw: string): number {
  const n = Number(raw);
  const ok =
    raw.trim() !== '' &&
    Number.isFinite(n) &&
    (spec.type !== 'integer' || Number.isInteger(n)) &&
    (spec.min === undefined || (spec.exclusiveMin ? n > spec.min : n >= spec.min)) &&
    (spec.max === undefined || n <= spec.max);
  if (!ok) throw new UsageError(`--${name} must be ${describeExpected(name, spec)}, got ${JSON.stringify(raw)}`);
  return n;
}

/** `a, b or c`. */
function orList(items: readonly string[]): string {
  return items.length <= 1 ? (items[0] ?? '') : `${items.slice(0, -1).join(', ')} or ${items[items.length - 1]}`;
}

/** Parses `argv` against a command's table (its flags plus the global ones). */
export function parseCommandArgs<T extends FlagTable>(command: Pick<Command, 'name' | 'flags' | 'positionals'>, argv: readonly string[]): ParsedArgs<T> {
  const flags = allFlags(command);
  const options: Record<string, { type: 'string' | 'boolean'; short?: string; multiple?: boolean }> = {};
  for (const [name, spec] of Object.entries(flags)) {
    options[name] = {
      type: spec.type === 'boolean' ? 'boolean' : 'string',
      ...(spec.short !== undefined ? { short: spec.short } : {}),
      ...(spec.type === 'string' && spec.multiple ? { multiple: true } : {}),
    };
  }
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({ args: joinNegativeNumbers(argv, flags), options, allowPositionals: true, strict: true });
  } catch (err) {
    const message = (err as Error).message;
    // Node's "Unknown option '--x'" gains the closest flag and the way to list the right ones.
    const unknown = /^Unknown option '--([^']+)'/.exec(message)?.[1];
    const hint = unknown === undefined ? '' : didYouMean(unknown, Object.keys(flags), (n) => `--${n}`);
    throw new UsageError(message.startsWith('Unknown option') ? `${message.replace(/\. To specify a positional.*$/s, '')}${hint}; see \`ved ${command.name} --help\`` : message);
  }
  const raw = parsed.values as Record<string, string | boolean | string[] | undefined>;
  const values: Record<string, unknown> = {};
  for (const [name, spec] of Object.entries(flags)) {
    const v = raw[name];
    if (spec.type === 'boolean') {
      values[name] = v === true;
      continue;
    }
    if (v === undefined) {
      if ('required' in spec && spec.required) {
        const metavar = spec.type === 'choice' ? spec.choices.join('|') : (spec.metavar ?? (spec.type === 'string' ? 'VALUE' : 'N'));
        throw new UsageError(`--${name} ${metavar} is required; see \`ved ${command.name} --help\``);
      }
      values[name] = spec.type === 'string' && spec.multiple ? [] : spec.default;
      continue;
    }
    if (spec.type === 'string') values[name] = v;
    else if (spec.type === 'choice') {
      if (!spec.choices.includes(v as string)) {
        throw new UsageError(`--${name} must be ${orList(spec.choices)}, got ${JSON.stringify(v)}`);
      }
      values[name] = v;
    } else values[name] = parseNumberFlag(name, spec, v as string);
  }
  const positionals = parsed.positionals;
  const p = command.positionals;
  if (p === undefined && positionals.length > 0) {
    throw new UsageError(`unexpected argument ${JSON.stringify(positionals[0])}; see \`ved ${command.name} --help\``);
  }
  if (p !== undefined) {
    if (positionals.length < (p.min ?? 0)) throw new UsageError(`give at least ${p.min === 1 ? 'one' : p.min} ${p.name}; see \`ved ${command.name} --help\``);
    if (p.max !== undefined && positionals.length > p.max) {
      throw new UsageError(`at most ${p.max} ${p.name} expected, got ${positionals.length}; see \`ved ${command.name} --help\``);
    }
  }
  return { values: values as FlagValues<T> & GlobalValues, positionals, argv: [...argv] };
}

/** Parses `argv` with the command's table and runs it (what `ved <command>` does after plugins are loaded); for tests and embedding. */
export async function runCommand(command: Command, argv: readonly string[]): Promise<void> {
  await command.run(parseCommandArgs(command, argv));
}

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
  return parseNumberFlag(flag, { type: 'integer', min: 1, help: '' }, value);
}

/** Parses a non-negative integer flag value (seeds, token ids). */
export function nonNegativeInt(flag: string, value: string | undefined, fallback?: number): number | undefined {
  if (value === undefined) return fallback;
  return parseNumberFlag(flag, { type: 'integer', min: 0, help: '' }, value);
}
