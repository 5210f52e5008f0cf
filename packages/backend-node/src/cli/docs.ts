/**
 * docs/cli.md, generated from the command tables: help.test.ts checks the
 * file on disk equals this, and rewrites it when run with `-u`.
 */
import type { Command } from './args.js';
import { markdownReference } from './help.js';

const INTRO = `<!-- Generated from the command tables in packages/backend-node/src/cli/*.ts: edit the tables, then run
     pnpm exec vitest run packages/backend-node/src/cli/help.test.ts -u -->

# The \`ved\` command line

\`ved\` ships with \`@ved/backend-node\` (\`npm install @ved/backend-node\`, then \`npx ved\`; see
[install.md](install.md)). Every command prints the flags below with \`ved <command> --help\` (or
\`ved help <command>\`); \`ved --version\` prints the version.

- Exit codes: 0 done; 1 a ved error (a model, file or input that cannot be used: the message starts with
  \`error [CODE]\`); 2 a bad command line (the message names the flag, the value and what is expected;
  a mistyped command or flag gets the closest one: \`Unknown option '--num-beam' (did you mean --num-beams?)\`).
- Flags take their value as \`--flag VALUE\` or \`--flag=VALUE\`; negative numbers are values
  (\`--length-penalty -0.5\`).
- Progress bars (\`eval\`, \`caption\` of more than one batch, \`export\`, \`compose\`) are drawn on stderr only
  when stderr is a terminal; \`--quiet\` turns them and other notes off. Results always go to stdout.
- Third-party architectures: \`--plugin MODULE\` (repeatable, before or after the command) or
  \`VED_PLUGINS=pkg-a,./local-plugin.js\` imports each module before the command runs. A plugin registers its
  encoders or decoders with \`registerEncoder\` / \`registerDecoder\` from \`@ved/core\` when imported (see
  CONTRIBUTING.md). Package names resolve from the current directory first, then beside ved; paths are
  relative to the current directory.

`;

export function cliMarkdown(commands: readonly Command[]): string {
  const converted = commands.filter((c) => c.rawUsage === undefined);
  const raw = commands.filter((c) => c.rawUsage !== undefined);
  const rawPart = raw.length === 0 ? '' : ['## Other commands', '', ...raw.map((c) => `- \`${c.rawUsage}\`: ${c.summary}`), ''].join('\n');
  return `${INTRO}${markdownReference(converted)}${rawPart}`;
}
