#!/usr/bin/env node
/** The `ved` command line. Each subcommand lives in `cli/<name>.ts`. */
import { VedError } from '@ved/core';
import { runCaption } from './cli/caption.js';
import { runEval } from './cli/eval.js';
import { runCompose } from './cli/compose.js';
import { runInit } from './cli/init.js';
import { runLoss } from './cli/loss.js';
import { runExport } from './cli/export.js';
import { UsageError } from './cli/args.js';

const COMMANDS: Record<string, (argv: string[]) => Promise<void>> = {
  caption: runCaption,
  eval: runEval,
  init: runInit,
  compose: runCompose,
  loss: runLoss,
  export: runExport,
};

const USAGE = `usage: ved <command> [options]

commands:
  caption IMAGE... [--model DIR] [--max-new-tokens N] [--batch-size N] [--json]
      read or caption images with a VisionEncoderDecoder checkpoint
      (without --model: the embedded default model, which reads one line of printed text)
      (--format safetensors|onnx: which weights; --dtype fp32|fp16|q8|...: their precision, or the ONNX export's variant)
  init --config FILE --out DIR [--seed N]
      a model with freshly initialised weights from a config
  compose --encoder DIR --decoder DIR --out DIR [--seed N] [--pad-token-id N] [--decoder-start-token-id N]
      join a pretrained encoder and a pretrained decoder (cross-attention initialised)
  loss IMAGE... --model DIR (--text "..." | --labels 1,2,3) [--json]
      the training loss of the images against the labels
  export --model DIR --out DIR [--external-data true|false|auto] [--cache-naming decoder-only|seq2seq]
      write the model as an ONNX export (onnx/encoder_model.onnx, onnx/decoder_model_merged.onnx) for transformers.js / Optimum
  eval --manifest FILE [--model DIR] [--dtype D] [--batch-size N] [--max-new-tokens N] [--num-beams N] [--json] [--errors]
      exact-match rate and character error rate on a JSON-lines manifest of {"image", "text"}
      (--model defaults to the embedded default model)
`;

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command === undefined || command === '--help' || command === '-h') {
    process.stdout.write(USAGE);
    return command === undefined ? 2 : 0;
  }
  const run = COMMANDS[command];
  if (run === undefined) {
    process.stderr.write(`ved: unknown command "${command}"; commands: ${Object.keys(COMMANDS).join(', ')}\n\n${USAGE}`);
    return 2;
  }
  try {
    await run(rest);
    return 0;
  } catch (err) {
    if (err instanceof UsageError) {
      process.stderr.write(`ved ${command}: ${err.message}\n`);
      return 2;
    }
    if (err instanceof VedError) {
      process.stderr.write(`ved ${command}: error [${err.code}]: ${err.message}\n`);
      return 1;
    }
    throw err;
  }
}

// A reader that stops early (`ved eval --errors | head`) closes the pipe: stop quietly, as Unix tools do.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  throw err;
});

process.exitCode = await main(process.argv.slice(2));
