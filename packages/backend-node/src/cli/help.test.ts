/** Help is rendered from the same tables that parse: every flag of every command is listed, and docs/cli.md matches. */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { COMMANDS } from '../cli.js';
import { REPO_ROOT } from '../test-utils/fixtures.js';
import { allFlags } from './args.js';
import { commandHelp, flagLabel, mainHelp } from './help.js';
import { cliMarkdown } from './docs.js';

describe('help', () => {
  it('lists every command', () => {
    const text = mainHelp(COMMANDS, '1.2.3');
    for (const c of COMMANDS) expect(text).toContain(`  ${c.name} `);
  });

  for (const command of COMMANDS.filter((c) => c.rawUsage === undefined)) {
    it(`ved ${command.name} --help lists each of its flags with its help text`, () => {
      const text = commandHelp(command);
      expect(text).toMatch(new RegExp(`^usage: ved ${command.name}`));
      for (const [name, spec] of Object.entries(allFlags(command))) {
        expect(text).toContain(flagLabel(name, spec));
        expect(text.replace(/\s+/g, ' ')).toContain(spec.help.replace(/\s+/g, ' '));
      }
    });
  }

  it('caption and eval list the generation flags', () => {
    for (const name of ['caption', 'eval']) {
      const text = commandHelp(COMMANDS.find((c) => c.name === name)!);
      for (const flag of ['--max-new-tokens N', '--num-beams N', '--do-sample', '--top-p P', '--generation-config JSON|FILE', '--early-stopping true|false|never']) {
        expect(text).toContain(flag);
      }
    }
  });

  // Regenerate after changing a table: pnpm exec vitest run packages/backend-node/src/cli/help.test.ts -u
  it('docs/cli.md is the reference generated from the tables', async () => {
    await expect(cliMarkdown(COMMANDS)).toMatchFileSnapshot(join(REPO_ROOT, 'docs/cli.md'));
  });
});
