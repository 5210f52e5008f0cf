#!/usr/bin/env node
/**
 * The `ved` command line. Each command is one table in `cli/<name>.ts`
 * (flags, types, defaults, help text) that drives both parsing and
 * `ved help`; this list is the order `ved help` shows them in.
 */
import { realpathSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { type Command, rawCommand } from './cli/args.js';
import { runCli } from './cli/run.js';
import { commandLine } from './cli/long-argv.js';
import { captionCommand } from './cli/caption.js';
import { evalCommand } from './cli/eval.js';
import { initCommand } from './cli/init.js';
import { composeCommand } from './cli/compose.js';
import { lossCommand } from './cli/loss.js';
import { exportCommand } from './cli/export.js';
import { runServe } from './cli/serve.js';
import { runWorker } from './cli/worker.js';
import { runEnqueue } from './cli/enqueue.js';
import { runResults } from './cli/results.js';

export const COMMANDS: readonly Command[] = [
  captionCommand,
  evalCommand,
  initCommand,
  composeCommand,
  lossCommand,
  exportCommand,
  rawCommand(
    'serve',
    'an HTTP server that captions images with continuous batching (see docs/serving.md)',
    'ved serve [--model DIR] [--host 127.0.0.1] [--port 8080] [--max-batch 16] [--max-queue 256] [--max-new-tokens-cap 256] [--max-image-pixels N] [--max-body-bytes N] [--dtype D] [--no-batching]',
    runServe,
  ),
  rawCommand(
    'worker',
    'run the caption jobs of a Redis queue (BullMQ), batching the jobs it holds (see docs/serving.md)',
    'ved worker --redis URL --queue NAME [--model DIR] [--concurrency N] [--max-batch N] [--dtype D] [--lock-duration MS] [--stalled-interval MS]',
    runWorker,
  ),
  rawCommand(
    'enqueue',
    'add one caption job per line of a JSON-lines manifest of {"image"} to a Redis queue (again: adds nothing)',
    'ved enqueue --redis URL --queue NAME --manifest FILE [--generation-config JSON|FILE] [--attempts N]',
    runEnqueue,
  ),
  rawCommand(
    'results',
    'write one `ved caption --json` line per manifest line once its jobs are done (--wait), or count those pending',
    'ved results --redis URL --queue NAME --manifest FILE --out FILE [--wait] [--poll-ms N] [--json]',
    runResults,
  ),
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
