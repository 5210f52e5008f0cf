/**
 * Help text rendered from the command tables (cli/args.ts): `ved help`,
 * `ved help <command>`, `ved <command> --help`, and the Markdown of
 * docs/cli.md. Nothing here is written by hand per command.
 */
import { allFlags, type Command, type FlagSpec } from './args.js';

/** `--name VALUE` / `-q, --quiet` as help shows it. */
export function flagLabel(name: string, spec: FlagSpec): string {
  const value =
    spec.type === 'boolean'
      ? ''
      : spec.type === 'choice'
        ? ` ${spec.choices.join('|')}`
        : ` ${spec.metavar ?? (spec.type === 'string' ? 'VALUE' : spec.type === 'integer' ? 'N' : 'X')}`;
  return `${spec.short !== undefined ? `-${spec.short}, ` : ''}--${name}${value}`;
}

/** The help line's tail: required, default, repeatable. */
export function flagNotes(spec: FlagSpec): string[] {
  const notes: string[] = [];
  if ('required' in spec && spec.required) notes.push('required');
  if ('defaultText' in spec && spec.defaultText !== undefined) notes.push(`default: ${spec.defaultText}`);
  else if ('default' in spec && spec.default !== undefined) notes.push(`default: ${spec.default}`);
  if (spec.type === 'string' && spec.multiple) notes.push('repeatable');
  return notes;
}

function groups(command: Command): Map<string, [string, FlagSpec][]> {
  const out = new Map<string, [string, FlagSpec][]>();
  for (const [name, spec] of Object.entries(allFlags(command))) {
    const group = spec.group ?? 'options';
    if (!out.has(group)) out.set(group, []);
    out.get(group)!.push([name, spec]);
  }
  return out;
}

export function usageLine(command: Command): string {
  const p = command.positionals;
  const pos = p === undefined ? '' : (p.min ?? 0) > 0 ? ` ${p.name}${p.max === 1 ? '' : '...'}` : ` [${p.name}${p.max === 1 ? '' : '...'}]`;
  const required = Object.entries(command.flags)
    .filter(([, s]) => 'required' in s && s.required)
    .map(([n, s]) => ` ${flagLabel(n, s)}`)
    .join('');
  return `ved ${command.name}${pos}${required} [options]`;
}

/** Wraps `text` to `width` columns, indenting continuation lines by `indent`. */
function wrap(text: string, width: number, indent: number): string {
  const words = text.split(' ');
  const lines: string[] = [];
  let line = '';
  for (const w of words) {
    if (line !== '' && line.length + 1 + w.length > width - indent) {
      lines.push(line);
      line = w;
    } else line = line === '' ? w : `${line} ${w}`;
  }
  lines.push(line);
  return lines.join(`\n${' '.repeat(indent)}`);
}

const WIDTH = 100;

/** `ved <command> --help`. */
export function commandHelp(command: Command): string {
  if (command.rawUsage !== undefined) return `usage: ${command.rawUsage}\n\n${command.summary}\n`;
  const parts = [`usage: ${usageLine(command)}`, '', wrap(command.summary, WIDTH, 0)];
  if (command.description) parts.push('', ...command.description.split('\n\n').map((p) => wrap(p.replace(/\n/g, ' '), WIDTH, 0)));
  const rows: { label: string; text: string; header?: string }[] = [];
  if (command.positionals) rows.push({ header: 'arguments', label: `${command.positionals.name}${command.positionals.max === 1 ? '' : '...'}`, text: command.positionals.help });
  for (const [group, flags] of groups(command)) {
    flags.forEach(([name, spec], i) => {
      const notes = flagNotes(spec);
      rows.push({ ...(i === 0 ? { header: group } : {}), label: flagLabel(name, spec), text: `${spec.help}${notes.length ? ` (${notes.join('; ')})` : ''}` });
    });
  }
  const col = Math.min(34, Math.max(...rows.map((r) => r.label.length)) + 4);
  for (const r of rows) {
    if (r.header !== undefined) parts.push('', `${r.header}:`);
    const label = `  ${r.label}`;
    const pad = label.length + 2 <= col ? label.padEnd(col) : `${label}\n${' '.repeat(col)}`;
    parts.push(`${pad}${wrap(r.text, WIDTH, col)}`);
  }
  if (command.examples?.length) parts.push('', 'examples:', ...command.examples.map((e) => `  ${e}`));
  return `${parts.join('\n')}\n`;
}

/** `ved help`: every command with its summary. */
export function mainHelp(commands: readonly Command[], version: string): string {
  const col = Math.max(...commands.map((c) => c.name.length)) + 4;
  return [
    `ved ${version}: Vision Encoder-Decoder models (image → text) on ONNX Runtime`,
    '',
    'usage: ved <command> [options]',
    '       ved help [command]      the flags of a command (also: ved <command> --help)',
    '       ved --version',
    '',
    'commands:',
    ...commands.map((c) => `  ${c.name.padEnd(col)}${wrap(c.summary, WIDTH, col + 2)}`),
    '',
    'global options (every command): --plugin MODULE (repeatable; or VED_PLUGINS=a,b), -q/--quiet, -h/--help',
    '',
  ].join('\n');
}

const md = (s: string) => s.replace(/\|/g, '\\|');

/** The Markdown reference of every command (docs/cli.md's generated part). */
export function markdownReference(commands: readonly Command[]): string {
  const out: string[] = [];
  out.push('| command | what it does |', '|---|---|', ...commands.map((c) => `| [\`ved ${c.name}\`](#ved-${c.name}) | ${md(c.summary)} |`), '');
  for (const c of commands) {
    out.push(`## ved ${c.name}`, '', '```', usageLine(c), '```', '', c.summary, '');
    if (c.description) out.push(...c.description.split('\n\n').map((p) => `${p.replace(/\n/g, ' ')}\n`));
    if (c.positionals) out.push(`Arguments: \`${c.positionals.name}${c.positionals.max === 1 ? '' : '...'}\` — ${c.positionals.help}`, '');
    for (const [group, flags] of groups(c)) {
      out.push(`**${group.charAt(0).toUpperCase()}${group.slice(1)}**`, '', '| flag | description | default |', '|---|---|---|');
      for (const [name, spec] of flags) {
        const notes = flagNotes(spec);
        const def = notes.find((n) => n.startsWith('default: '))?.slice('default: '.length) ?? '';
        const other = notes.filter((n) => !n.startsWith('default: '));
        out.push(`| \`${md(flagLabel(name, spec))}\` | ${md(spec.help)}${other.length ? ` (${other.join(', ')})` : ''} | ${md(def)} |`);
      }
      out.push('');
    }
    if (c.examples?.length) out.push('Examples:', '', '```sh', ...c.examples, '```', '');
  }
  return out.join('\n');
}
