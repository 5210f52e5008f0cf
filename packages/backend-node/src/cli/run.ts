/**
 * The `ved` dispatcher: `--version`, `help [command]`, `<command> --help`,
 * global flags (`--plugin`, `--quiet`) before or after the command, plugin
 * loading, then the command parsed by its table. Exit codes: 0 done, 1 a
 * `VedError` (bad model, file or input), 2 a bad command line.
 */
import { readFileSync } from 'node:fs';
import { VedError, didYouMean } from '@ved/core';
import { parseCommandArgs, UsageError, type Command } from './args.js';
import { commandHelp, mainHelp } from './help.js';
import { loadPlugins, pluginList } from './plugins.js';


export interface CliIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  env: Record<string, string | undefined>;
}

const defaultIo: CliIo = {
  stdout: (t) => process.stdout.write(t),
  stderr: (t) => process.stderr.write(t),
  env: process.env,
};

/** @ved/backend-node's version (its package.json sits one level above both src/ and dist/). */
export function cliVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

/** Index of `--help` / `-h` before a `--`, or -1. */
function helpFlag(argv: readonly string[]): number {
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--') return -1;
    if (argv[i] === '--help' || argv[i] === '-h') return i;
  }
  return -1;
}

/** Splits global flags given before the command name from the rest. */
function leadingGlobals(argv: readonly string[]): { globals: string[]; rest: string[] } {
  const globals: string[] = [];
  let i = 0;
  for (; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--quiet' || a === '-q' || a.startsWith('--plugin=')) globals.push(a);
    else if (a === '--plugin' && argv[i + 1] !== undefined) globals.push(a, argv[++i]!);
    else break;
  }
  return { globals, rest: argv.slice(i) };
}

export async function runCli(argv: readonly string[], commands: readonly Command[], io: CliIo = defaultIo): Promise<number> {
  const byName = new Map(commands.map((c) => [c.name, c]));
  const version = cliVersion();
  const { globals, rest } = leadingGlobals(argv);
  const [name, ...args] = rest;
  if (name === undefined) {
    io.stderr(mainHelp(commands, version));
    return 2;
  }
  if (name === '--version' || name === '-V' || name === '-v' || name === 'version') {
    io.stdout(`${version}\n`);
    return 0;
  }
  if (name === '--help' || name === '-h' || name === 'help') {
    const topic = name === 'help' ? args[0] : undefined;
    if (topic === undefined) {
      io.stdout(mainHelp(commands, version));
      return 0;
    }
    const command = byName.get(topic);
    if (command === undefined) {
      io.stderr(`ved help: unknown command ${JSON.stringify(topic)}${didYouMean(topic, byName.keys())}; commands: ${[...byName.keys()].join(', ')}\n`);
      return 2;
    }
    io.stdout(commandHelp(command));
    return 0;
  }
  const command = byName.get(name);
  if (command === undefined) {
    io.stderr(`ved: unknown command ${JSON.stringify(name)}${didYouMean(name, byName.keys())}; commands: ${[...byName.keys()].join(', ')} (see \`ved help\`)\n`);
    return 2;
  }
  const commandArgs = [...globals, ...args];
  if (helpFlag(commandArgs) !== -1) {
    io.stdout(commandHelp(command));
    return 0;
  }
  try {
    if (command.rawRun !== undefined) {
      const plugins = pluginList([], io.env.VED_PLUGINS);
      if (plugins.length > 0) await loadPlugins(plugins);
      await command.rawRun(args);
      return 0;
    }
    const parsed = parseCommandArgs(command, commandArgs);
    const plugins = pluginList(parsed.values.plugin, io.env.VED_PLUGINS);
    if (plugins.length > 0) await loadPlugins(plugins);
    const code = await command.run(parsed);
    return typeof code === 'number' ? code : 0;
  } catch (err) {
    if (err instanceof UsageError) {
      io.stderr(`ved ${name}: ${err.message}\n`);
      return 2;
    }
    if (err instanceof VedError) {
      io.stderr(`ved ${name}: error [${err.code}]: ${err.message}\n`);
      return 1;
    }
    throw err;
  }
}
