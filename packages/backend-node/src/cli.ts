#!/usr/bin/env node
/**
 * The `ved` command line. Each command is one table in `cli/<name>.ts`
 * (flags, types, defaults, help text) that drives both parsing and
 * `ved help`; this list is the order `ved help` shows them in.
 */
import { realpathSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import type { Command } from './cli/args.js';
import { runCli } from './cli/run.js';
import { commandLine } from './cli/long-argv.js';
import { captionCommand } from './cli/caption.js';
import { evalCommand } from './cli/eval.js';
import { initCommand } from './cli/init.js';
import { composeCommand } from './cli/compose.js';
import { lossCommand } from './cli/loss.js';
import { exportCommand } from './cli/export.js';
import { trainCommand } from './cli/train.js';
import { serveCommand } from './cli/serve.js';
import { workerCommand } from './cli/worker.js';
import { enqueueCommand } from './cli/enqueue.js';
import { resultsCommand } from './cli/results.js';

export const COMMANDS: readonly Command[] = [
  captionCommand,
  evalCommand,
  initCommand,
  composeCommand,
  lossCommand,
  exportCommand,
  trainCommand,
  serveCommand,
  workerCommand,
  enqueueCommand,
  resultsCommand,
];

// Run only as the `ved` binary (tests import the command list).
function isMain(): boolean {
  try {
    return process.argv[1] !== undefined && import.meta.url === pathToFileURL(realpathSync(process.argv[1])).href;
  } catch {
    return false;
  }
}
if (isMain()) {
  // A reader that stops early (`ved eval --errors | head`) closes the pipe: stop quietly, as Unix tools do.
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw err;
  });
  // onnxruntime-node crashes on a long command line: such a command line is run by a child ved.
  const argv = commandLine();
  if (argv !== undefined) process.exitCode = await runCli(argv, COMMANDS);
}
